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


@dataclass(frozen=True)
class MenuProblem:
    """One thing wrong with a menu: where (a dotted path such as ``nodes.main.next``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class TooManyProblems(Exception):
    """Raised by :meth:`Problems.add` past the limit, to stop a hopeless document early."""


class Problems:
    def __init__(self, items: list[MenuProblem] | None = None, limit: int = MAX_PROBLEMS):
        self.items: list[MenuProblem] = list(items or [])
        self.limit = limit

    def add(self, path: str, message: str) -> None:
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

    def error(self, path: str, message: str) -> None:
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


def describe(value: object) -> str:
    """What a wrong value is, after "got"."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {key_text(value)}"
    if isinstance(value, int | float):
        return f"the number {key_text(value)}"
    if isinstance(value, str):
        return f"the text {show(value)}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a value of type {type(value).__name__}"


def describe_text(value: object) -> str:
    """Like :func:`describe`, where text was expected."""
    if isinstance(value, bool):  # YAML 1.1 reads yes/no/on/off as booleans: `no` is not Norwegian
        return f"{describe(value)} (quote it if you meant text)"
    return describe(value)


def unknown_fields(
    ctx: Context, path: str, mapping: dict, allowed: tuple[str, ...], what: str
) -> None:
    for key in mapping:
        if not (isinstance(key, str) and key in allowed):
            name = key_text(key)
            ctx.error(
                join(path, name),
                f"unknown field '{name}' for {what} (allowed: {', '.join(allowed)})",
            )


def text_value(ctx: Context, path: str, value: object, what: str) -> str | None:
    if isinstance(value, str):
        return value
    ctx.error(path, f"expected {what}, got {describe_text(value)}")
    return None


def pattern_value(
    ctx: Context, path: str, value: object, pattern: re.Pattern[str], what: str
) -> str | None:
    if isinstance(value, str) and pattern.fullmatch(value):
        return value
    ctx.error(path, f"expected {what}, got {describe_text(value)}")
    return None


def int_between(low: int, high: int) -> Reader:
    def read(ctx: Context, path: str, value: object) -> int | None:
        # bool is an int to Python, but `repeat: yes` is a mistake, not a 1
        if not isinstance(value, int) or isinstance(value, bool):
            ctx.error(path, f"expected a whole number from {low} to {high}, got {describe(value)}")
            return None
        if not low <= value <= high:
            ctx.error(path, f"must be from {low} to {high}, got {key_text(value)}")
            return None
        return value

    return read


def one_of(choices: tuple[str, ...], what: str) -> Reader:
    def read(ctx: Context, path: str, value: object) -> str | None:
        if isinstance(value, str) and value in choices:
            return value
        expected = ", ".join(choices)
        if isinstance(value, str):
            ctx.error(path, f"unknown {what} {show(value)} (expected one of: {expected})")
        else:
            ctx.error(path, f"expected a {what} ({expected}), got {describe_text(value)}")
        return None

    return read


def node_ref(ctx: Context, path: str, value: object) -> str | None:
    """A node id naming an existing node; an unknown one is returned too, but marked."""
    if not isinstance(value, str):
        ctx.graph_complete = False
        ctx.error(path, f"expected a node id, got {describe_text(value)}")
        return None
    if ctx.node_ids is not None and value not in ctx.node_ids:
        ctx.graph_complete = False
        ctx.error(path, f"unknown node {show(value)}")
    return value


def tag_code(ctx: Context, path: str, value: object) -> str | None:
    what = "a tag code (lowercase letters, digits, '_' or '-')"
    return pattern_value(ctx, path, value, TAG, what)


def tag_list(ctx: Context, path: str, value: object) -> tuple[str, ...] | None:
    if not isinstance(value, list):
        ctx.error(path, f"expected a list of tag codes, got {describe(value)}")
        return None
    if len(value) > MAX_TAGS:
        ctx.error(path, f"too many tags: {len(value)} (at most {MAX_TAGS})")
        return None
    tags: list[str] = []
    for i, item in enumerate(value):
        tag = tag_code(ctx, join(path, str(i)), item)
        if tag is not None and tag in tags:
            ctx.error(join(path, str(i)), f"tag {show(tag)} listed twice")
        elif tag is not None:
            tags.append(tag)
    return tuple(tags)


def station_code(ctx: Context, path: str, value: object) -> str | None:
    what = "a station code (lowercase letters, digits and '-')"
    code = pattern_value(ctx, path, value, STATION, what)
    if code is not None and ctx.known_stations is not None and code not in ctx.known_stations:
        ctx.error(path, f"transfer to unknown station {show(code)}")
    return code


def prompt_map(ctx: Context, path: str, value: object) -> dict[str, Prompt] | None:
    """Prompts by language: one for every offered language, and none for any other."""
    if not isinstance(value, dict):
        ctx.error(path, f"expected a mapping of language → prompt, got {describe(value)}")
        return None
    prompts: dict[str, Prompt] = {}
    for key, entry in value.items():
        language = key_text(key)
        if ctx.languages is not None and key not in ctx.languages:
            ctx.error(
                join(path, language), f"language {show(language)} is not offered in languages"
            )
            continue
        prompt = prompt_entry(ctx, join(path, language), entry)
        if prompt is not None and isinstance(key, str):
            prompts[key] = prompt
    for language in ctx.languages or ():
        if language not in value:
            ctx.error(path, f"missing prompt for language {show(language)} (offered in languages)")
    return prompts


def prompt_entry(ctx: Context, path: str, value: object) -> Prompt | None:
    """One language's prompt: text to say, or a mapping with ``say`` or ``play``."""
    if isinstance(value, str):
        say = say_text(ctx, path, value)
        return Prompt(say=say) if say is not None else None
    if not isinstance(value, dict):
        what = "text, or a mapping with 'say' or 'play'"
        ctx.error(path, f"expected {what}, got {describe(value)}")
        return None
    unknown_fields(ctx, path, value, PROMPT_FIELDS, "a prompt")
    readers: dict[str, Reader] = {"say": say_text, "play": play_source, "voice": voice_name}
    parts = {
        name: read(ctx, join(path, name), value[name])
        for name, read in readers.items()
        if name in value
    }
    if ("say" in value) == ("play" in value):
        ctx.error(path, "needs exactly one of 'say' or 'play'")
        return None
    if None in parts.values():
        return None
    return Prompt(**parts)  # type: ignore[arg-type]  # the readers above return str


def say_text(ctx: Context, path: str, value: object) -> str | None:
    text = text_value(ctx, path, value, "text to say")
    if text is None:
        return None
    if not text.strip():
        ctx.error(path, "empty text")
        return None
    if len(text) > MAX_SAY_CHARS:
        ctx.error(path, f"too long: {len(text)} characters (at most {MAX_SAY_CHARS})")
        return None
    return text


def play_source(ctx: Context, path: str, value: object) -> str | None:
    """A file in the station's prompt library, by name. Never a URL: a library file was
    checked, converted and stored by us; a URL would play whatever its host serves."""
    what = "a prompt file name (letters, digits, '_', '-', '.')"
    if isinstance(value, str) and "://" in value:
        ctx.error(
            path,
            f"{show(value)} is a URL; play only plays files of the station's prompt "
            "library: upload the recording there and name it here",
        )
        return None
    name = pattern_value(ctx, path, value, PLAY_FILE, what)
    if name is not None and ctx.known_prompts is not None and name not in ctx.known_prompts:
        ctx.error(path, f"no prompt {show(name)} in the station's prompt library")
    return name


def voice_name(ctx: Context, path: str, value: object) -> str | None:
    return pattern_value(ctx, path, value, VOICE_NAME, "a Twilio voice name like 'Polly.Joanna'")
