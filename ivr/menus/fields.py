"""Reading single values of a menu document: types, ranges, codes, node ids and prompts.

Every reader takes the :class:`Context`, the dotted path of a value and the value as
YAML gave it; it reports what is wrong to ``ctx.problems`` and returns the typed value,
or None when the value is unusable. Readers never raise for bad input, so one pass over
a document finds every problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ivr.menus.document import Prompt
from ivr.menus.wording import N_, Text

MAX_PROBLEMS = 100
MAX_SAY_CHARS = 4096  # Twilio's limit for the text of one <Say>
MAX_TAGS = 20
SHOWN_TEXT_CHARS = 40

NODE_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
LANGUAGE = re.compile(r"[a-z]{2,3}")
TAG = re.compile(r"[a-z0-9_-]{1,64}")
STATION = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
PLAY_FILE = re.compile(
    r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}"
)  # no leading dot: no "..", no hidden files
VOICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
SAY_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
PROMPT_FIELDS = ("say", "play", "voice")
# SSML <prosody rate>: Twilio's neural and standard voices take these words, or a
# percentage of the voice's own rate from 20% to 200%.
RATE_WORDS = ("x-slow", "slow", "medium", "fast", "x-fast")
RATE_PERCENT = re.compile(r"([0-9]{1,3})%")
MIN_RATE, MAX_RATE = 20, 200


@dataclass(frozen=True)
class MenuProblem:
    """One thing wrong with a menu: where (a dotted path such as ``nodes.main.next``) and what."""

    path: str
    message: str | Text  # a Text renders in the language of whoever reads it

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class TooManyProblems(Exception):
    """Raised by :meth:`Problems.add` past the limit, to stop a hopeless document early."""


class Problems:
    def __init__(self, items: list[MenuProblem] | None = None, limit: int = MAX_PROBLEMS):
        self.items: list[MenuProblem] = list(items or [])
        self.limit = limit

    def add(self, path: str, message: str | Text) -> None:
        if len(self.items) >= self.limit:
            raise TooManyProblems
        self.items.append(MenuProblem(path, message))


@dataclass
class Context:
    problems: Problems
    languages: tuple[str, ...] | None  # None: ``languages`` is unusable; skip coverage checks
    node_ids: frozenset[str] | None  # None: ``nodes`` is unusable; skip reference checks
    known_stations: frozenset[str] | None
    graph_complete: bool = True  # False once any edge is missing or broken
    known_prompts: frozenset[str] | None = None  # the station's library; None: not checked

    def error(self, path: str, message: str | Text) -> None:
        self.problems.add(path, message)


Reader = Callable[[Context, str, object], object]


def join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


def show(text: str) -> str:
    """``text`` quoted for a message, shortened: the input may be any length."""
    if len(text) > SHOWN_TEXT_CHARS:
        text = text[: SHOWN_TEXT_CHARS - 1] + "…"
    return f"'{text}'"


def key_text(key: object) -> str:
    """A mapping key as the author wrote it, for paths and messages (``1`` → ``"1"``)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    try:
        text = str(key)
    except ValueError:  # an int too long to print (Python refuses past 4300 digits)
        return "(a very long number)"
    return text if len(text) <= SHOWN_TEXT_CHARS else text[: SHOWN_TEXT_CHARS - 1] + "…"


def describe(value: object) -> Text:
    """What a wrong value is, after "got"."""
    if value is None:
        return N_("空值（null）")
    if isinstance(value, bool):
        return N_("布尔值 %(value)s", value=key_text(value))
    if isinstance(value, int | float):
        return N_("数字 %(value)s", value=key_text(value))
    if isinstance(value, str):
        return N_("文字 %(value)s", value=show(value))
    if isinstance(value, dict):
        return N_("一个映射")
    if isinstance(value, list):
        return N_("一个列表")
    return N_("%(type)s 类型的值", type=type(value).__name__)


def describe_text(value: object) -> Text:
    """Like :func:`describe`, where text was expected."""
    if isinstance(value, bool):  # YAML 1.1 reads yes/no/on/off as booleans: `no` is not Norwegian
        return N_("%(value)s（如果指的是文字，请加引号）", value=describe(value))
    return describe(value)


def expected(what: Text, got: Text) -> Text:
    return N_("应为%(what)s，实际是%(got)s", what=what, got=got)


def unknown_fields(
    ctx: Context, path: str, mapping: dict, allowed: tuple[str, ...], what: Text
) -> None:
    for key in mapping:
        if not (isinstance(key, str) and key in allowed):
            name = key_text(key)
            message = N_(
                "%(what)s不能有字段 '%(name)s'（可用：%(allowed)s）",
                name=name,
                what=what,
                allowed=", ".join(allowed),
            )
            ctx.error(join(path, name), message)


def text_value(ctx: Context, path: str, value: object, what: Text) -> str | None:
    if isinstance(value, str):
        return value
    ctx.error(path, expected(what, describe_text(value)))
    return None


def pattern_value(
    ctx: Context, path: str, value: object, pattern: re.Pattern[str], what: Text
) -> str | None:
    if isinstance(value, str) and pattern.fullmatch(value):
        return value
    ctx.error(path, expected(what, describe_text(value)))
    return None


def int_between(low: int, high: int) -> Reader:
    def read(ctx: Context, path: str, value: object) -> int | None:
        # bool is an int to Python, but `repeat: yes` is a mistake, not a 1
        if not isinstance(value, int) or isinstance(value, bool):
            what = N_("%(low)d 到 %(high)d 之间的整数", low=low, high=high)
            ctx.error(path, expected(what, describe(value)))
            return None
        if not low <= value <= high:
            message = N_(
                "须在 %(low)d 到 %(high)d 之间，实际是 %(value)s",
                low=low,
                high=high,
                value=key_text(value),
            )
            ctx.error(path, message)
            return None
        return value

    return read


def boolean(ctx: Context, path: str, value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    ctx.error(path, expected(N_("true 或 false"), describe(value)))
    return None


def speech_rate(ctx: Context, path: str, value: object) -> str | None:
    """How fast ``<Say>`` speaks: a percentage of the voice's rate, or one of SSML's words."""
    if isinstance(value, str) and value in RATE_WORDS:
        return value
    match = RATE_PERCENT.fullmatch(value) if isinstance(value, str) else None
    if match is not None and MIN_RATE <= int(match.group(1)) <= MAX_RATE:
        return value  # type: ignore[return-value]  # matched: a str
    what = N_(
        "语速：%(low)d%% 到 %(high)d%% 之间的百分比（如 '85%%'，慢于正常语速），或 %(words)s",
        low=MIN_RATE,
        high=MAX_RATE,
        words=", ".join(RATE_WORDS),
    )
    ctx.error(path, expected(what, describe_text(value)))
    return None


def one_of(choices: tuple[str, ...], what: Text) -> Reader:
    def read(ctx: Context, path: str, value: object) -> str | None:
        if isinstance(value, str) and value in choices:
            return value
        names = ", ".join(choices)
        if isinstance(value, str):
            message = N_(
                "未知的%(what)s %(value)s（应为其中之一：%(choices)s）",
                what=what,
                value=show(value),
                choices=names,
            )
            ctx.error(path, message)
        else:
            one = N_("%(what)s（%(choices)s）", what=what, choices=names)
            ctx.error(path, expected(one, describe_text(value)))
        return None

    return read


def node_ref(ctx: Context, path: str, value: object) -> str | None:
    """A node id naming an existing node; an unknown one is returned too, but marked."""
    if not isinstance(value, str):
        ctx.graph_complete = False
        ctx.error(path, expected(N_("节点编号"), describe_text(value)))
        return None
    if ctx.node_ids is not None and value not in ctx.node_ids:
        ctx.graph_complete = False
        ctx.error(path, N_("没有这个节点：%(node)s", node=show(value)))
    return value


def tag_code(ctx: Context, path: str, value: object) -> str | None:
    what = N_("标签代码（小写字母、数字、'_' 或 '-'）")
    return pattern_value(ctx, path, value, TAG, what)


def tag_list(ctx: Context, path: str, value: object) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        ctx.error(path, expected(N_("标签代码的列表"), describe(value)))
        return None
    if len(value) > MAX_TAGS:
        ctx.error(path, N_("标签太多：%(n)d 个（最多 %(max)d 个）", n=len(value), max=MAX_TAGS))
        return None
    tags: list[str] = []
    for i, item in enumerate(value):
        tag = tag_code(ctx, join(path, str(i)), item)
        if tag is not None and tag in tags:
            ctx.error(join(path, str(i)), N_("标签 %(tag)s 重复了", tag=show(tag)))
        elif tag is not None:
            tags.append(tag)
    return tuple(tags)


def station_code(ctx: Context, path: str, value: object) -> str | None:
    what = N_("社工站编码（小写字母、数字和 '-'）")
    code = pattern_value(ctx, path, value, STATION, what)
    if code is not None and ctx.known_stations is not None and code not in ctx.known_stations:
        ctx.error(path, N_("转到的社工站不存在：%(code)s", code=show(code)))
    return code


def prompt_map(ctx: Context, path: str, value: object) -> dict[str, Prompt] | None:
    """Prompts by language: one for every offered language, and none for any other."""
    if not isinstance(value, dict):
        ctx.error(path, expected(N_("语言 → 提示语的映射"), describe(value)))
        return None
    prompts: dict[str, Prompt] = {}
    for key, entry in value.items():
        language = key_text(key)
        if ctx.languages is not None and key not in ctx.languages:
            ctx.error(join(path, language), not_offered(language))
            continue
        prompt = prompt_entry(ctx, join(path, language), entry)
        if prompt is not None and isinstance(key, str):
            prompts[key] = prompt
    for language in ctx.languages or ():
        if language not in value:
            what = show(language)
            ctx.error(path, N_("缺少语言 %(lang)s 的提示语（languages 提供了这种语言）", lang=what))
    return prompts


def not_offered(language: str) -> Text:
    return N_("languages 没有提供语言 %(lang)s", lang=show(language))


def prompt_entry(ctx: Context, path: str, value: object) -> Prompt | None:
    """One language's prompt: text to say, or a mapping with ``say`` or ``play``."""
    if isinstance(value, str):
        say = say_text(ctx, path, value)
        return Prompt(say=say) if say is not None else None
    if not isinstance(value, dict):
        what = N_("文字，或含 'say' 或 'play' 的映射")
        ctx.error(path, expected(what, describe(value)))
        return None
    unknown_fields(ctx, path, value, PROMPT_FIELDS, N_("提示语条目"))
    readers: dict[str, Reader] = {"say": say_text, "play": play_source, "voice": voice_name}
    parts = {
        name: read(ctx, join(path, name), value[name])
        for name, read in readers.items()
        if name in value
    }
    if ("say" in value) == ("play" in value):
        ctx.error(path, N_("'say' 和 'play' 须有且只有一个"))
        return None
    if None in parts.values():
        return None
    return Prompt(**parts)  # type: ignore[arg-type]  # the readers above return str


def say_text(ctx: Context, path: str, value: object) -> str | None:
    text = text_value(ctx, path, value, N_("要朗读的文字"))
    if text is None:
        return None
    if not text.strip():
        ctx.error(path, N_("文字是空的"))
        return None
    if len(text) > MAX_SAY_CHARS:
        ctx.error(path, N_("太长：%(n)d 个字（最多 %(max)d 个）", n=len(text), max=MAX_SAY_CHARS))
        return None
    return text


def play_source(ctx: Context, path: str, value: object) -> str | None:
    """A file in the station's prompt library, by name. Never a URL: a library file was
    checked, converted and stored by us; a URL would play whatever its host serves."""
    what = N_("录音文件名（字母、数字、'_'、'-'、'.'）")
    if isinstance(value, str) and "://" in value:
        message = N_(
            "%(value)s 是网址；play 只播放本站录音库里的文件："
            "请先把录音上传到录音库，再在这里写它的名字",
            value=show(value),
        )
        ctx.error(path, message)
        return None
    name = pattern_value(ctx, path, value, PLAY_FILE, what)
    if name is not None and ctx.known_prompts is not None and name not in ctx.known_prompts:
        ctx.error(path, N_("本站录音库里没有录音 %(name)s", name=show(name)))
    return name


def voice_name(ctx: Context, path: str, value: object) -> str | None:
    what = N_("Twilio 声音名称，如 'Polly.Joanna'")
    return pattern_value(ctx, path, value, VOICE_NAME, what)
