"""The English catalogue: Chinese message id → English. Run to rebuild the .po and .mo.

.venv/bin/python scripts/english.py

The console's messages are below; each later area of the interface keeps its own in
``scripts/english/<area>.json`` (one JSON object, Chinese → English), merged in here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "ivr" / "translations" / "en" / "LC_MESSAGES"

ENGLISH = {
    "Twilio 拒绝了回电请求：%(reason)s": "Twilio refused the call-back: %(reason)s",
    "一般": "Normal",
    "不分派": "Nobody",
    "不急": "Low",
    "低保": "Minimum allowance",
    "低收": "Low income",
    "保存标签": "Save tags",
    "全部": "All",
    "其他": "Other",
    "再次来电": "Called again",
    "分派": "Assign",
    "分派给": "Assign to",
    "分派给我": "Assigned to me",
    "刷新": "Refresh",
    "剩 %(h)d 小时 %(m)d 分钟": "%(h)d h %(m)d min left",
    "剩 %(h)s 小时 %(m)s 分钟": "%(h)s h %(m)s min left",
    "已超时 %(m)s 分钟": "%(m)s min overdue",
    "加标签": "Tagged",
    "占线": "Busy",
    "去标签": "Untagged",
    "只显示前 %(n)d 张，请用筛选缩小范围。": "Showing the first %(n)d only; narrow the filters.",
    "只能分派给本社工站的同事": "Tickets can only be assigned to colleagues at their station",
    "号码未显示": "Number withheld",
    "号码错误": "Wrong number",
    "回电": "Call back",
    "回电结果": "Call-back outcome",
    "回电队列": "Call-back queue",
    "回电（先呼叫我的手机）": "Call back (rings my phone first)",
    "困境儿童": "Child in difficulty",
    "处理": "Act",
    "处理中": "In progress",
    "处理记录": "Case trail",
    "备注": "Note",
    "备注不能为空": "The note is empty",
    "备注不能超过%(n)d字": "Notes are at most %(n)d characters",
    "备注（可选）": "Note (optional)",
    "密码": "Password",
    "就医": "Medical care",
    "工单": "Ticket",
    "工单已经在这个社工站": "The ticket is already at that station",
    "工单已经结案": "The ticket is already resolved",
    "已保存": "Saved",
    "已在所有设备上退出登录": "Signed out on every device",
    "已留言": "Left a message",
    "已结案": "Resolved",
    "已结案的工单不能转介": "A resolved ticket cannot be referred",
    "已结案的工单不能重新打开": "A resolved ticket cannot be reopened",
    "已联系上": "Reached",
    "已超时": "Overdue",
    "已超时 %(m)d 分钟": "%(m)d min overdue",
    "开单": "Opened",
    "待回电": "To call back",
    "待处理": "Active",
    "情绪支持": "Emotional support",
    "我来处理": "I'll take it",
    "找不到要转介的社工站": "No such station to refer to",
    "找不到这位同事": "No such colleague",
    "新留言": "New voicemail",
    "无人接听": "No answer",
    "无法转写": "Not transcribed",
    "日期": "Date",
    "日期格式应为 YYYY-MM-DD，已忽略": "Dates are YYYY-MM-DD; the date filter was ignored",
    "未分派": "Unassigned",
    "未分配": "Unassigned queue",
    "未知的状态筛选，已忽略": "Unknown status filter; ignored",
    "未结案": "Not resolved",
    "未配置 Twilio 账户，无法回电": "No Twilio account is configured; cannot call back",
    "来电": "Calls",
    "来电历史": "Caller history",
    "来电居民": "Caller",
    "标签": "Tags",
    "标签最多%(n)d个": "At most %(n)d tags",
    "标签格式不正确：%(tags)s（只能用小写字母、数字、_ 和 -）": "Bad tag: %(tags)s (use lower-case letters, digits, _ and -)",
    "标签筛选格式不正确，已忽略": "Bad tag filter; ignored",
    "正在呼叫社工手机": "Ringing the worker's phone",
    "正在拨打您的电话，接听后将为您接通居民": "Ringing your phone; answer it to be connected to the resident",
    "正在转写…": "Transcribing…",
    "没有符合条件的工单。": "No tickets match.",
    "没有转写": "No transcript",
    "添加备注": "Add note",
    "热线回电": "Call-backs",
    "特困": "Extreme hardship",
    "状态": "Status",
    "状态变更": "Status changed",
    "独居/孤寡/留守老人": "Elderly living alone",
    "用户名": "Username",
    "用户名或密码不正确": "Wrong username or password",
    "由 %(s)s 转介": "referred by %(s)s",
    "留言": "Voicemail",
    "登录": "Sign in",
    "登录失败次数过多，请15分钟后再试": "Too many failed sign-ins; try again in 15 minutes",
    "社工手机未接通": "The worker's phone did not answer",
    "社工站": "Station",
    "社工站守护热线": "Neighbourhood hotline",
    "筛选": "Filter",
    "粤语借用普通话模型识别": "Cantonese, recognised with the Mandarin model",
    "紧急": "Urgent",
    "结案": "Resolve",
    "结案类别": "Resolution",
    "结案说明（可选）": "Resolution note (optional)",
    "药品": "Medicine",
    "解决问题数": "Problems solved",
    "解决问题数应在0到99之间": "Problems solved must be between 0 and 99",
    "记录回电": "Log call-back",
    "识别置信度": "Recognition confidence",
    "该居民在%(station)s已有未结案的工单 #%(id)d，请直接联系对方社工站": "This resident already has open ticket #%(id)d at %(station)s; contact that station",
    "请先在账户里填写您自己的手机号码（E.164 格式）": "Add your own phone number (E.164) to your account first",
    "请选择回电结果": "Choose the call-back outcome",
    "请选择结案类别": "Choose a resolution",
    "调整优先级": "Priority changed",
    "负责人": "Assignee",
    "转介": "Refer",
    "转介到": "Refer to",
    "转介原因": "Reason for referral",
    "转写完成": "Transcribed",
    "较急": "High",
    "这个社工站没有热线号码，无法回电": "This station has no hotline number to call from",
    "这位居民的号码无法拨打": "This resident's number cannot be dialled",
    "这张工单刚被其他人修改过，请刷新后再试": "Someone else just changed this ticket; reload and try again",
    "退出": "Sign out",
    "重度残疾": "Severe disability",
    "重新打开": "Reopened",
    "防疫政策": "Quarantine and policy",
    "食物和日用品": "Food and daily supplies",
}
for _part in sorted((ROOT / "scripts" / "english").glob("*.json")):
    ENGLISH.update(json.loads(_part.read_text(encoding="utf-8")))


def extract(template: Path) -> Catalog:
    """Every message the interface shows, as pybabel finds them in code and templates."""
    command = [
        sys.executable,
        "-m",
        "babel.messages.frontend",
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "--no-location",
        "--sort-output",
        "-o",
        str(template),
        str(ROOT),
    ]
    subprocess.run(command, check=True, capture_output=True)
    with template.open("rb") as handle:
        return read_po(handle)


def main() -> int:
    template = FOLDER / "messages.pot"
    extracted = extract(template)
    template.unlink()
    catalog = Catalog(locale="en", project="hotline-ivr")
    missing = []
    for message in extracted:
        if message.id:
            catalog.add(message.id, ENGLISH.get(message.id, ""))
            if message.id not in ENGLISH:
                missing.append(message.id)
    with (FOLDER / "messages.po").open("wb") as handle:
        write_po(handle, catalog, omit_header=True)
    with (FOLDER / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)
    for message_id in missing:
        print(f"untranslated: {message_id}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
