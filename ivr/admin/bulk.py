"""Many stations at once: apply a template or a notice, preview it, then a per-station report.

District and city admins only. The stations offered are those in the admin's scope; a
posted station id outside it is refused for that station (reported as not found, as a
404 would) and never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ivr.admin import bp
from ivr.admin.access import multi_station_required
from ivr.admin.menu_editor import MAX_BODY_BYTES as MENU_BODY_BYTES
from ivr.console.common import audit, me, scope
from ivr.db import get_session
from ivr.edge.body_limits import body_allowance
from ivr.menus.default_menu import default_menu_yaml
from ivr.menus.merge import Placement
from ivr.menus.rollout import (
    Outcome,
    StationResult,
    apply_notice,
    apply_template,
    notice_problems,
    withdraw_notice,
)
from ivr.menus.templates import TemplateInvalid, list_templates, save_template
from ivr.menus.validate import MenuInvalid
from models import MenuTemplate, Station

NOTICE_LANGUAGES = (("zh", _l("普通话")), ("yue", _l("粤语")), ("en", _l("英语")))
WHAT = ("template", "notice", "withdraw")
PLACEMENT_LABELS = (("after_language", _l("选择语言之后")), ("start", _l("来电一接通就播放")))
BUILT_IN = "default"


@dataclass
class BulkForm:
    """What the admin asked for, as posted, and what is wrong with it by field."""

    what: str = "notice"
    template: str = BUILT_IN
    node_id: str = ""
    prompts: dict[str, str] = field(default_factory=dict)
    placement: str = "after_language"
    publish: bool = False  # drafts unless the admin chooses to publish at once
    station_ids: list[str] = field(default_factory=list)
    errors: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def posted(cls) -> BulkForm:
        form = request.form
        return cls(
            what=form.get("what", ""),
            template=form.get("template", ""),
            node_id=form.get("node_id", "").strip(),
            prompts={lang: form.get(f"prompt_{lang}", "") for lang, _ in NOTICE_LANGUAGES},
            placement=form.get("placement", ""),
            publish=form.get("publish") == "1",
            station_ids=form.getlist("station"),
        )

    def clean_prompts(self) -> dict[str, str]:
        return {lang: text.strip() for lang, text in self.prompts.items() if text.strip()}


def _id(raw: str) -> int | None:
    """A posted row id: ASCII digits only, and short (no 5,000-digit int() on our time)."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else None


def _stations_in_scope() -> list[Station]:
    return list(
        get_session().scalars(
            select(Station)
            .where(scope().stations_clause(Station.id))
            .options(selectinload(Station.district))
            .order_by(Station.district_id, Station.code)
        )
    )


def _districts(stations: list[Station]) -> list[tuple[Any, list[Station]]]:
    groups: dict[int, tuple[Any, list[Station]]] = {}
    for station in stations:
        groups.setdefault(station.district_id, (station.district, []))[1].append(station)
    return sorted(groups.values(), key=lambda group: group[0].code)


def _check(form: BulkForm) -> MenuTemplate | None:
    """Fill ``form.errors``; the chosen saved template, if one is chosen."""
    template = None
    if form.what not in WHAT:
        form.errors["what"] = _("请选择要做的更改")
    elif form.what == "template" and form.template != BUILT_IN:
        template_id = _id(form.template)
        if template_id is not None:
            template = get_session().get(MenuTemplate, template_id)
        if template is None:
            form.errors["template"] = _("没有这个模板，请重新选择")
    elif form.what == "notice":
        form.errors.update(notice_problems(form.node_id, form.clean_prompts(), form.placement))
        for lang, text in form.prompts.items():
            if text and not text.strip():
                form.errors[f"prompt_{lang}"] = _("内容不能只有空格")
    elif not form.node_id:
        form.errors["node_id"] = _("请填写要撤下的通知节点编号")
    if not form.station_ids:
        form.errors["stations"] = _("请至少选择一个站点")
    return template


def _chosen(form: BulkForm, in_scope: dict[int, Station]) -> tuple[list[Station], list[str]]:
    """The chosen stations the admin may manage, and the posted ids refused."""
    chosen: dict[int, Station] = {}
    refused: list[str] = []
    for raw in form.station_ids:
        station_id = _id(raw)
        station = in_scope.get(station_id) if station_id is not None else None
        if station is None:
            refused.append(raw[:20])
        else:
            chosen[station.id] = station
    return list(chosen.values()), refused


def _run(
    form: BulkForm, template: MenuTemplate | None, stations: list[Station], dry_run: bool
) -> list[StationResult]:
    session, user, ip = get_session(), me(), request.remote_addr
    if form.what == "template":
        return apply_template(
            session, template, stations, user, form.publish, dry_run=dry_run, ip=ip
        )
    if form.what == "notice":
        prompts, placement = form.clean_prompts(), cast(Placement, form.placement)
        return apply_notice(
            session, stations, form.node_id, prompts, placement, user, form.publish,
            dry_run=dry_run, ip=ip,
        )  # fmt: skip
    return withdraw_notice(
        session, stations, form.node_id, user, form.publish, dry_run=dry_run, ip=ip
    )


def _refused(raw: list[str]) -> list[StationResult]:
    message = _l("没有这个站点，或它不在您的管理范围内")
    return [StationResult(None, f"#{r}", "", Outcome.FAILED, problems=[message]) for r in raw]


def _counts(results: list[StationResult]) -> dict[str, int]:
    return {o.value: sum(1 for r in results if r.outcome is o) for o in Outcome}


def _nothing_to_apply(counts: dict[str, int]) -> str | None:
    """Why a run cannot be confirmed: no station would be updated by it."""
    if counts[Outcome.UPDATED.value]:
        return None
    if counts[Outcome.FAILED.value] and not counts[Outcome.UNCHANGED.value]:
        return _("每个站点都会失败，没有执行。请按下面列出的问题修改后再预览。")
    return _("没有站点需要更新，没有执行。")


def _page(template_name: str, form: BulkForm, stations: list[Station], **context: Any) -> str:
    return render_template(
        template_name,
        form=form,
        districts=_districts(stations),
        templates=list_templates(get_session()),
        languages=NOTICE_LANGUAGES,
        placements=PLACEMENT_LABELS,
        built_in=BUILT_IN,
        history="admin.menu_history" in current_app.view_functions,
        **context,
    )


@bp.route("/bulk", methods=["GET", "POST"])
@multi_station_required
def bulk():  # type: ignore[no-untyped-def]
    stations = _stations_in_scope()
    if request.method == "GET":
        return _page("admin/bulk.html", BulkForm(), stations)
    form = BulkForm.posted()
    step = request.form.get("step", "preview")
    if step == "edit":  # back from the preview, choices as they were
        return _page("admin/bulk.html", form, stations)
    template = _check(form)
    if form.errors:
        return _page("admin/bulk.html", form, stations), 400
    chosen, refused = _chosen(form, {s.id: s for s in stations})
    results = _run(form, template, chosen, dry_run=step != "apply") + _refused(refused)
    counts = _counts(results)
    refusal = _nothing_to_apply(counts) if step == "apply" else None
    if step != "apply" or refusal:
        page = _page(
            "admin/bulk.html",
            form,
            stations,
            preview=results,
            counts=counts,
            chosen_template=template,
            refusal=refusal,
        )
        if not refusal:
            return page
        get_session().rollback()  # a refused run leaves every station as it was
        return page, 422
    get_session().commit()
    return render_template(
        "admin/bulk_report.html",
        form=form,
        chosen_template=template,
        results=results,
        counts=counts,
        languages=NOTICE_LANGUAGES,
        history="admin.menu_history" in current_app.view_functions,
    )


@bp.route("/bulk/templates", methods=["GET", "POST"])
@multi_station_required
@body_allowance(MENU_BODY_BYTES)  # a whole menu document, as YAML
def bulk_templates():  # type: ignore[no-untyped-def]
    """The saved templates, and a new version of one from YAML."""
    session = get_session()
    values = {"name": "", "note": "", "document": ""}
    errors: dict[str, Any] = {}
    problems: list[str] = []
    saved = None
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in values}
        try:
            saved = save_template(
                session, values["name"], values["document"], me(), values["note"].strip()
            )
        except TemplateInvalid as error:
            errors[error.field] = error.message
        except MenuInvalid as error:
            problems = [str(problem) for problem in error.errors]
        if saved is not None:
            audit(
                "menu_template.save", "menu_template", saved.id, None, request.remote_addr,
                name=saved.name, version=saved.version,
            )  # fmt: skip
            session.commit()
            values = {"name": saved.name, "note": "", "document": saved.document}
    else:
        source = _id(request.args.get("from", ""))
        template = session.get(MenuTemplate, source) if source is not None else None
        if template is not None:
            values = {"name": template.name, "note": "", "document": template.document}
        else:
            values["document"] = default_menu_yaml(["zh", "yue", "en"])
    status = 400 if errors or problems else 200
    page = render_template(
        "admin/bulk_templates.html",
        templates=list_templates(session),
        values=values,
        errors=errors,
        problems=problems,
        saved=saved,
    )
    return page, status
