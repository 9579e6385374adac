"""Error pages people read: 400 to 500 in the interface language, not Werkzeug's English.

Pages (console, admin, statistics) get a small translated page with a way back; a
client that asks for JSON gets ``{"error": {"code", "message"}}``. Twilio's URLs
(``/twilio``, ``/prompts``) keep Werkzeug's plain answers, which Twilio only logs, and
the API keeps its own JSON errors (``ivr/api/errors.py``).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ivr.api.errors import _http_response, under_api
from ivr.console.redirects import is_local_path

log = logging.getLogger(__name__)

# Paths Twilio fetches: its own plain answers, whatever they are, stay as they were.
TWILIO_PREFIXES = ("/twilio/", "/prompts/")
PAGES = {
    400: (_l("请求无效"), _l("这个请求无法处理，没有保存任何内容。请返回上一页重试。")),
    401: (_l("需要登录"), _l("请先登录，再打开这个页面。")),
    403: (_l("没有权限"), _l("你没有权限查看或修改这个页面。需要权限时，请联系你的管理员。")),
    404: (_l("找不到页面"), _l("找不到这个页面，或者它不在你的权限范围内。")),
    405: (_l("不支持这种操作"), _l("这个页面不接受这种请求。请使用页面上的按钮和链接。")),
    413: (_l("提交的内容太大"), _l("提交的内容超过了允许的大小，没有被接受。")),
    429: (_l("操作过于频繁"), _l("操作过于频繁，请稍后再试。")),
    431: (
        _l("请求头太大"),
        _l("浏览器发送的信息太多（通常是 Cookie）。请清除本站的 Cookie 后再试。"),
    ),
    500: (_l("服务器出错"), _l("服务器出错了，错误已记录。请稍后再试；一直出现时请联系管理员。")),
}
CSRF_PAGE = (
    _l("页面已过期"),
    _l("表单已过期或缺少安全校验，没有保存任何内容。请刷新页面后重新提交。"),
)


BARE_500 = "服务器出错了，错误已记录。\nInternal server error; it has been logged.\n"


def _twilio_path() -> bool:
    return request.path.startswith(TWILIO_PREFIXES) or request.path in ("/twilio", "/prompts")


def _wants_json() -> bool:
    accepted = request.accept_mimetypes
    return accepted.best_match(["text/html", "application/json"]) == "application/json"


def _back() -> str | None:
    """The page the person came from, when it is on this site (to retry from)."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return None
    target = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return target if is_local_path(target) and target != request.full_path.rstrip("?") else None


def _texts(exc: HTTPException) -> tuple[str, str]:
    if isinstance(exc, CSRFError):
        title, text = CSRF_PAGE
    else:
        title, text = PAGES.get(
            exc.code or 500, (_l("出错了"), _l("请求未能完成（错误 %(code)d）。", code=exc.code))
        )
        # What the application itself said when it refused (abort(400, description=…),
        # already translated) says more than the generic text. Only Werkzeug's own
        # exceptions: others (Flask-Limiter's) describe themselves in English.
        own = type(exc).__module__.startswith("werkzeug.")
        if own and exc.description and exc.description != type(exc).description:
            text = exc.description
    return str(title), str(text)


def error_page(exc: HTTPException) -> Response | HTTPException:
    if exc.code is None or _twilio_path():
        return exc
    if under_api(request.path):
        return _http_response(exc)
    status = exc.code
    title, text = _texts(exc)
    if _wants_json():
        response = jsonify({"error": {"code": status, "message": text}})
    else:
        response = make_response(
            render_template(
                "console/error.html", status=status, title=title, text=text, back=_back()
            )
        )
    response.status_code = status
    for name, value in exc.get_headers():  # Allow (405), Retry-After (429) …
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def server_error(exc: InternalServerError) -> Response | HTTPException:
    """A 500 page that cannot fail in turn: if the page itself fails (the database is
    what broke, say), a few plain words in both languages."""
    try:
        return error_page(exc)
    except Exception:
        log.exception("the error page for %s %s failed", request.method, request.path)
        # Both languages, without the catalogue: choosing one may be what fails.
        return Response(BARE_500, status=500, mimetype="text/plain")


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, error_page)
    app.register_error_handler(InternalServerError, server_error)
