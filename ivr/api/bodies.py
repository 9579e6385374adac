"""Reading JSON request bodies: an object with known fields of the documented types."""

from __future__ import annotations

import json
from typing import Any

from flask import request

from ivr.api.errors import ApiError, invalid_field

MAX_BODY_BYTES = 64 * 1024


def json_object(allowed: set[str]) -> dict[str, Any]:
    """The body as a dict holding only ``allowed`` keys; otherwise a 400/413/415."""
    if not request.is_json:
        raise ApiError(
            415, "unsupported_media_type", "请求体必须是 JSON（Content-Type: application/json）"
        )
    request.max_content_length = MAX_BODY_BYTES
    try:
        data = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "请求体不是有效的 JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_body", "请求体必须是 JSON 对象")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ApiError(400, "unknown_field", f"未知的字段：{', '.join(unknown)}")
    return data


def _given(data: dict[str, Any], name: str) -> bool:
    """Whether the field is there; ``null`` is refused (only ``assignee`` may be null)."""
    if name not in data:
        return False
    if data[name] is None:
        raise invalid_field(name, "不能为 null")
    return True


def text(data: dict[str, Any], name: str, max_length: int, required: bool = False) -> str | None:
    """A string field: storable text (no NUL, no lone surrogates), at most ``max_length``."""
    if not _given(data, name):
        if required:
            raise invalid_field(name, "必填")
        return None
    value = data[name]
    if not isinstance(value, str):
        raise invalid_field(name, "应为字符串")
    if len(value) > max_length:
        raise ApiError(422, "invalid_change", f"{name}: 不能超过{max_length}个字符")
    if "\x00" in value:
        raise invalid_field(name, "不能含有 NUL 字符")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid_field(name, "不是有效的 Unicode 文本") from None
    return value


def integer(data: dict[str, Any], name: str, least: int, most: int) -> int | None:
    if not _given(data, name):
        return None
    value = data[name]
    if type(value) is not int:  # bool is an int in Python, not in JSON
        raise invalid_field(name, "应为整数")
    if not least <= value <= most:
        raise invalid_field(name, f"应在{least}到{most}之间")
    return value


def choice(data: dict[str, Any], name: str, choices: tuple[str, ...]) -> str | None:
    if not _given(data, name):
        return None
    if data[name] not in choices:
        raise invalid_field(name, f"应为 {' | '.join(choices)} 之一")
    return data[name]


def string_list(data: dict[str, Any], name: str, max_items: int) -> list[str] | None:
    if not _given(data, name):
        return None
    value = data[name]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid_field(name, "应为字符串数组")
    if len(value) > max_items:
        raise ApiError(422, "invalid_change", f"{name}: 最多{max_items}个")
    return value
