"""Names people read for the codes stored in the database, in the interface language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, g, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import CallOutcome, Role, TicketStatus, VoicemailState, Vulnerability
from transcription.text import is_cjk

VULNERABILITIES = {
    Vulnerability.DIBAO: _l("低保"),
    Vulnerability.DISHOU: _l("低收"),
    Vulnerability.TEKUN: _l("特困"),
    Vulnerability.LONE_ELDERLY: _l("独居/孤寡/留守老人"),
    Vulnerability.CHILD_IN_DIFFICULTY: _l("困境儿童"),
    Vulnerability.SEVERE_DISABILITY: _l("重度残疾"),
}
STATUSES = {
    TicketStatus.OPEN: _l("待回电"),
    TicketStatus.IN_PROGRESS: _l("处理中"),
    TicketStatus.RESOLVED: _l("已结案"),
}
OUTCOMES = {
    "reached": _l("已联系上"),
    "no_answer": _l("无人接听"),
    "busy": _l("占线"),
    "wrong_number": _l("号码错误"),
    "left_message": _l("已留言"),
    "ringing_worker": _l("正在呼叫社工手机"),
    "worker_unreachable": _l("社工手机未接通"),
    "sms_sent": _l("已发送"),
    "sms_held": _l("夜间暂缓，早上发送"),
    "sms_opted_out": _l("居民已退订，未发送"),
    "sms_failed": _l("发送失败"),
}
CATEGORIES = {
    "food": _l("食物和日用品"),
    "medicine": _l("药品"),
    "medical": _l("就医"),
    "emotional": _l("情绪支持"),
    "policy": _l("防疫政策"),
    "other": _l("其他"),
}
EVENTS = {
    "opened": _l("开单"),
    "voicemail_added": _l("新留言"),
    "merged": _l("再次来电"),
    "transcribed": _l("转写完成"),
    "transcription_failed": _l("无法转写"),
    "tagged": _l("加标签"),
    "untagged": _l("去标签"),
    "priority_changed": _l("调整优先级"),
    "note": _l("备注"),
    "callback_attempt": _l("回电"),
    "assigned": _l("分派"),
    "status_changed": _l("状态变更"),
    "referred": _l("转介"),
    "resolved": _l("结案"),
    "reopened": _l("重新打开"),
    "transcript_corrected": _l("修改转写"),
    "referral_accepted": _l("接收转介"),
    "referral_declined": _l("退回转介"),
    "referral_resolved": _l("转介结果已通知转介方"),
    "message": _l("短信回执"),
    "alert": _l("紧急提醒"),
}
# Where a referral stands, as both stations read it.
REFERRAL_STATES = {
    "pending": _l("待接收"),
    "accepted": _l("已接收"),
    "declined": _l("已退回"),
    "resolved": _l("已办结"),
}
# How an alert (ivr.alerts) went; shown after the event with its step and phone.
ALERT_OUTCOMES = {
    "sent": _l("已发出"),
    "retrying": _l("Twilio 暂未接受，稍后重试"),
    "given_up": _l("发送失败，已放弃"),
    "skipped": _l("此步没有可联系的电话，跳过"),
    "cancelled": _l("工单已被查看，取消"),
    "opened": _l("工单已被查看，停止升级"),
}
ALERT_STEPS = {
    "sms": _l("短信通知值班电话"),
    "call": _l("电话升级"),
}

# A call's outcome, and where its voicemail stands, in caller history.
CALL_OUTCOMES = {
    CallOutcome.IN_PROGRESS: _l("通话中"),
    CallOutcome.VOICEMAIL: _l("留言"),
    CallOutcome.ANSWERED: _l("社工已接听"),
    CallOutcome.TRANSFERRED: _l("已转接"),
    CallOutcome.ABANDONED: _l("在菜单中挂断"),
    CallOutcome.COMPLETED: _l("听完提示后结束"),
    CallOutcome.BLOCKED: _l("号码已拉黑，提示后挂断"),
}
VOICEMAIL_STATES = {
    VoicemailState.RECEIVED: _l("等待取回录音"),
    VoicemailState.FETCHED: _l("等待转写"),
    VoicemailState.TRANSCRIBED: _l("已转写"),
    VoicemailState.NO_AUDIO: _l("没有录音"),
    VoicemailState.FAILED: _l("无法转写"),
}
ROLES = {
    Role.WORKER: _l("社工"),
    Role.STATION_ADMIN: _l("社工站管理员"),
    Role.DISTRICT_ADMIN: _l("区级管理员"),
    Role.CITY_ADMIN: _l("市级管理员"),
}


def local_time(
    moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M", zone: str = "Asia/Shanghai"
) -> str:
    """A stored UTC time as the stations read it: their own clock."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(zone)).strftime(fmt)


def due_text(due_at: datetime, now: datetime) -> tuple[str, bool]:
    """How long is left, or how late it is, in the largest whole unit a person reads at a
    glance ("超时 29 天", "剩 3 小时"); and whether it is late."""
    seconds = (due_at - now).total_seconds()
    late, minutes = seconds < 0, int(abs(seconds) // 60)
    if minutes >= 24 * 60:
        amount, unit = minutes // (24 * 60), "d"
    elif minutes >= 60:
        amount, unit = minutes // 60, "h"
    else:
        amount, unit = minutes, "m"
    return _due_form(late, unit).format(n=amount), late


def _due_form(late: bool, unit: str) -> str:
    """Translated once per request: a queue page asks for one per row."""
    forms = g.setdefault("due_forms", {}) if has_request_context() else {}
    if (late, unit) not in forms:
        forms[late, unit] = str(DUE_FORMS[late, unit])
    return forms[late, unit]


def priority_names() -> dict[int, str]:
    return {0: _("紧急"), 1: _("较急"), 2: _("一般"), 3: _("不急")}


# The {n} is filled in here and by console.js, which counts down with the same words.
DUE_FORMS = {
    (True, "d"): _l("超时 {n} 天"),
    (True, "h"): _l("超时 {n} 小时"),
    (True, "m"): _l("超时 {n} 分钟"),
    (False, "d"): _l("剩 {n} 天"),
    (False, "h"): _l("剩 {n} 小时"),
    (False, "m"): _l("剩 {n} 分钟"),
}


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local"] = local_time
    app.jinja_env.globals.update(
        vulnerability_label=lambda v: VULNERABILITIES.get(v, v),
        status_label=lambda s: STATUSES.get(s, s),
        outcome_label=lambda o: OUTCOMES.get(o, o),
        alert_outcome_label=lambda o: ALERT_OUTCOMES.get(o, o),
        alert_step_label=lambda c: ALERT_STEPS.get(c, c),
        category_label=lambda c: CATEGORIES.get(c, c),
        event_label=lambda e: EVENTS.get(e, e),
        referral_state_label=lambda s: REFERRAL_STATES.get(s, s),
        call_outcome_label=lambda o: CALL_OUTCOMES.get(o, o),
        voicemail_state_label=lambda v: VOICEMAIL_STATES.get(v, v),
        role_label=lambda r: ROLES.get(r, r),
        due_text=due_text,
        priority_names=priority_names,
        due_forms=lambda: {
            f"{'late' if late else 'left'}-{unit}": str(text)
            for (late, unit), text in DUE_FORMS.items()
        },
    )
    app.jinja_env.tests["cjk"] = lambda text: bool(text) and is_cjk(text[-1])
