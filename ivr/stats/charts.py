"""Charts drawn on the server as SVG: no JavaScript, no CDN, the same bytes every time.

Every chart prints its numbers beside the marks or puts them in a ``<title>`` (shown on
hover and read by screen readers). Colours are Okabe–Ito's colour-blind-safe palette;
the heatmap uses a sequential scale from viridis, which stays ordered for every kind of
colour blindness and in grey. Functions here are pure: labels come in already translated.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from html import escape

# Okabe & Ito (2008), "Color Universal Design".
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#BBBBBB"
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, SKY_BLUE, PURPLE, YELLOW)
# Light to dark; an empty cell gets EMPTY so "none" never looks like "a few".
SEQUENTIAL = ("#FDE725", "#7AD151", "#22A884", "#2A788E", "#414487", "#440154")
EMPTY = "#F0F0F0"
INK = "#1F2328"
MUTED = "#59636E"
FONT = 'font-family="system-ui, PingFang SC, Noto Sans CJK SC, Microsoft YaHei, sans-serif"'
TITLE_SIZE = 14
TEXT_SIZE = 12
SMALL_SIZE = 10


def number(value: float) -> str:
    """12,345 or 12.5: grouped digits, at most one decimal, no trailing zero."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def text_width(text: str, size: float) -> float:
    """About how wide ``text`` sets: CJK and full-width characters are square."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in ("W", "F"))
    return (wide + 0.6 * (len(text) - wide)) * size


def _fit(text: str, width: float, size: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` (the whole of it stays in <title>)."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}" '
        f'aria-label="{escape(title)}" {FONT}>'
    )
    heading = (
        f'<text x="0" y="{TITLE_SIZE}" font-size="{TITLE_SIZE}" font-weight="600" '
        f'fill="{INK}">{escape(title)}</text>'
    )
    return "".join([head, f"<title>{escape(title)}</title>", heading, *body, "</svg>"])


def _text(x: float, y: float, text: str, size: float = TEXT_SIZE, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    fill = "" if "fill" in attrs else f' fill="{INK}"'
    return f'<text x="{x:g}" y="{y:g}" font-size="{size:g}"{fill}{extra}>{escape(text)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str) -> str:
    return f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" fill="{fill}"/>'


def bar_chart(
    items: Sequence[tuple[str, float]],
    title: str,
    *,
    color: str = BLUE,
    width: int = 360,
    bar_height: int = 18,
    gap: int = 6,
) -> str:
    """Horizontal bars, one per (label, value), the value printed beside each bar."""
    top = TITLE_SIZE + 12
    values = [number(v) for _, v in items]
    value_w = max((text_width(v, TEXT_SIZE) for v in values), default=0) + 8
    label_w = min(
        max((text_width(label, TEXT_SIZE) for label, _ in items), default=0) + 8, width * 0.5
    )
    area = max(width - label_w - value_w, 1)
    peak = max((v for _, v in items), default=0) or 1
    body = []
    for i, ((label, value), shown) in enumerate(zip(items, values, strict=True)):
        y = top + i * (bar_height + gap)
        length = area * value / peak if value > 0 else 0
        middle = y + bar_height / 2 + TEXT_SIZE * 0.35
        body.append(
            f"<g><title>{escape(label)}: {shown}</title>"
            + _text(0, middle, _fit(label, label_w - 8, TEXT_SIZE))
            + _rect(label_w, y, length, bar_height, color)
            + _text(label_w + length + 4, middle, shown)
            + "</g>"
        )
    height = top + max(len(items), 1) * (bar_height + gap)
    return _svg(width, height, title, body)


def weekday_chart(counts7: Sequence[int], labels: Sequence[str], title: str, **kw: int) -> str:
    """Calls by weekday, Monday first: a bar per day with its count."""
    return bar_chart(list(zip(labels, counts7, strict=True)), title, color=SKY_BLUE, **kw)


def hour_chart(counts24: Sequence[int], title: str, *, column: int = 30, height: int = 160) -> str:
    """Calls by local hour of day: a column per hour, its count printed above it."""
    top, bottom = TITLE_SIZE + 24, 18
    plot = height - top - bottom
    peak = max(counts24, default=0) or 1
    body = []
    for hour, count in enumerate(counts24):
        x = hour * column
        length = plot * count / peak if count > 0 else 0
        base = top + plot
        body.append(
            f"<g><title>{hour:02d}:00–{hour:02d}:59: {number(count)}</title>"
            + _rect(x + 3, base - length, column - 6, length, BLUE)
            + _text(
                x + column / 2, base - length - 3, number(count), SMALL_SIZE, text_anchor="middle"
            )
            + _text(
                x + column / 2, height - 4, str(hour), SMALL_SIZE, text_anchor="middle", fill=MUTED
            )
            + "</g>"
        )
    return _svg(column * len(counts24), height, title, body)


def shade(value: int, peak: int) -> str:
    """The sequential colour for ``value`` on a scale up to ``peak`` (EMPTY for none)."""
    if value <= 0 or peak <= 0:
        return EMPTY
    step = -(-peak // len(SEQUENTIAL))  # ceiling: every bucket the same width
    return SEQUENTIAL[min((value - 1) // step, len(SEQUENTIAL) - 1)]


def legend_buckets(peak: int) -> list[tuple[str, str]]:
    """(colour, "from–to") for each step of the heatmap's scale, "0" first."""
    buckets = [(EMPTY, "0")]
    if peak <= 0:
        return buckets
    step = -(-peak // len(SEQUENTIAL))
    for i, colour in enumerate(SEQUENTIAL):
        low, high = i * step + 1, min((i + 1) * step, peak)
        if low > peak:
            break
        buckets.append((colour, number(low) if low == high else f"{number(low)}–{number(high)}"))
    return buckets


def heatmap(
    grid: Sequence[Sequence[int]],
    row_labels: Sequence[str],
    title: str,
    *,
    cell: int = 24,
    legend_title: str = "",
) -> str:
    """Weekday × hour counts as coloured cells; each cell's count is in its <title>."""
    label_w = max((text_width(label, TEXT_SIZE) for label in row_labels), default=0) + 8
    top = TITLE_SIZE + 24
    columns = max((len(row) for row in grid), default=0)
    peak = max((max(row, default=0) for row in grid), default=0)
    body = [
        _text(label_w + h * cell + cell / 2, top - 4, str(h), SMALL_SIZE, text_anchor="middle")
        for h in range(0, columns, 3)
    ]
    for r, (label, row) in enumerate(zip(row_labels, grid, strict=True)):
        y = top + r * cell
        body.append(_text(0, y + cell / 2 + TEXT_SIZE * 0.35, label))
        for h, value in enumerate(row):
            body.append(
                f"<g><title>{escape(label)} {h:02d}:00–{h:02d}:59: {number(value)}</title>"
                + _rect(label_w + h * cell + 1, y + 1, cell - 2, cell - 2, shade(value, peak))
                + "</g>"
            )
    y = top + len(row_labels) * cell + 16
    x = 0.0
    if legend_title:
        body.append(_text(0, y + 11, legend_title, SMALL_SIZE, fill=MUTED))
        x = text_width(legend_title, SMALL_SIZE) + 8
    for colour, span in legend_buckets(peak):
        body.append(_rect(x, y, 14, 14, colour) + _text(x + 18, y + 11, span, SMALL_SIZE))
        x += 18 + text_width(span, SMALL_SIZE) + 12
    width = max(label_w + columns * cell, x)
    return _svg(width, y + 20, title, body)


def segmented_bar(
    parts: Sequence[tuple[str, int]],
    title: str,
    *,
    total: int | None = None,
    rest_label: str = "",
    width: int = 360,
) -> str:
    """One bar split into parts (e.g. call outcomes), with a legend of counts and shares.

    Shares are of ``total`` (default: the parts' sum); when ``total`` is larger, what the
    parts leave is drawn grey and named ``rest_label``.
    """
    shown = [(label, value, PALETTE[i % len(PALETTE)]) for i, (label, value) in enumerate(parts)]
    whole = sum(v for _, v in parts) if total is None else total
    if whole > sum(v for _, v in parts) and rest_label:
        shown.append((rest_label, whole - sum(v for _, v in parts), GREY))
    top, bar = TITLE_SIZE + 10, 24
    body, x = [], 0.0
    for label, value, colour in shown:
        share = value / whole if whole else 0
        body.append(
            f"<g><title>{escape(label)}: {number(value)} ({share:.0%})</title>"
            + _rect(x, top, width * share, bar, colour)
            + "</g>"
        )
        x += width * share
    if not whole:
        body.append(_rect(0, top, width, bar, EMPTY))
    y = top + bar + 8
    for label, value, colour in shown:
        share = value / whole if whole else 0
        body.append(
            _rect(0, y, 12, 12, colour)
            + _text(18, y + 10.5, f"{label}  {number(value)} ({share:.0%})")
        )
        y += 20
    return _svg(width, y, title, body)
