"""The menu diagram page: a station's menu (any version) drawn, with its gaps listed."""

from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _

from ivr.admin import bp
from ivr.admin.access import admin_required, station_or_404
from ivr.admin.rehearsal import source_label
from ivr.db import get_session
from ivr.menus.diagram import Labels, draw
from ivr.menus.sources import menu_sources, pick_source

LANGUAGE_NAMES = {"zh": "普通话", "yue": "廣東話", "en": "English"}


def labels() -> Labels:
    """The diagram's words in the interface language. Messages leave out the node id: the
    page shows it as a link beside each one."""
    return Labels(
        title=_("菜单图"),
        start=_("开始"),
        key=_("按键 {key}"),
        missing=_("不存在"),
        unreachable_column=_("无法到达的节点"),
        edges={
            "fallback": _("兜底"),
            "next": _("下一步"),
            "no_answer": _("无人接听"),
            "open": _("开放时间内"),
            "closed": _("非开放时间"),
        },
        kinds={
            "menu": _("菜单"),
            "language": _("选择语言"),
            "message": _("播报"),
            "voicemail": _("留言"),
            "forward": _("转接值班电话"),
            "transfer": _("转到其他站"),
            "hours": _("按开放时间分流"),
            "callback": _("挂机回拨"),
            "hangup": _("挂断"),
            "": _("未指定类型"),
        },
        markers={
            "missing_node": _("节点不存在"),
            "dead_end": _("死路"),
            "unreachable": _("无法到达"),
            "missing_translation": _("缺少翻译"),
        },
        messages={
            "unreachable": _("从开始节点无法到达这里"),
            "dead_end": _("来电者到这里以后，再也到不了留言、转接、转站或挂断"),
            "leads_nowhere": _("没有下一步：来电者会停在这里"),
            "missing_node": _("{field} 指向不存在的节点“{target}”"),
            "missing_start": _("start 指向不存在的节点“{target}”"),
            "no_start": _("文档没有指定开始节点（start）"),
            "missing_translation": _("{field} 缺少这些语言的内容：{languages}"),
            "invalid_yaml": _("YAML 无法读取：{error}"),
            "invalid_document": _("文档不是包含 nodes 的映射，无法画图"),
        },
    )


@bp.get("/stations/<int:station_id>/menu/diagram")
@admin_required
def menu_diagram(station_id: int):  # type: ignore[no-untyped-def]
    station = station_or_404(station_id)
    sources = menu_sources(get_session(), station)
    source = pick_source(sources, request.args.get("version", "")[:20] or None)
    if source is None:
        abort(404)
    language = request.args.get("lang", "")[:8] or None
    diagram = draw(source.document, language, labels())
    if language not in diagram.languages:
        language = diagram.languages[0] if diagram.languages else None
    test_call_url = None
    if "admin.test_call" in current_app.view_functions:
        test_call_url = url_for("admin.test_call", station_id=station.id, version=source.choice)
    return render_template(
        "admin/menu_diagram.html",
        station=station,
        sources=[(s, source_label(s)) for s in sources],
        source=source,
        diagram=diagram,
        language=language,
        language_names=LANGUAGE_NAMES,
        markers=labels().markers,
        test_call_url=test_call_url,
    )
