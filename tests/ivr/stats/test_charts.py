"""Server-side SVG charts: well-formed, every number and label present, text escaped."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from ivr.stats import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # raises on anything not well-formed


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in parse(svg).iter(f"{SVG}text")]


def titles(svg: str) -> list[str]:
    return [t.text or "" for t in parse(svg).iter(f"{SVG}title")]


def test_a_bar_chart_prints_each_label_and_value_beside_its_bar():
    svg = charts.bar_chart([("食物和日用品", 1234), ("Medicine", 56), ("其他", 0)], "按类别")
    shown = texts(svg)
    assert shown[0] == "按类别"
    assert {"食物和日用品", "1,234", "Medicine", "56", "其他", "0"} <= set(shown)
    assert titles(svg) == ["按类别", "食物和日用品: 1,234", "Medicine: 56", "其他: 0"]
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "按类别"
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] > widths[1] > widths[2] == 0  # bars scale with their values


def test_bar_lengths_are_proportional():
    svg = charts.bar_chart([("a", 100), ("b", 50)], "t")
    first, second = (float(r.get("width")) for r in parse(svg).iter(f"{SVG}rect"))
    assert abs(first - 2 * second) < 0.01


def test_text_is_escaped_everywhere():
    evil = '<script>alert("x")</script>&'
    for svg in (
        charts.bar_chart([(evil, 1)], evil),
        charts.weekday_chart([1] * 7, [evil] * 7, evil),
        charts.heatmap([[1] * 24] * 7, [evil] * 7, evil, legend_title=evil),
        charts.segmented_bar([(evil, 1)], evil, total=2, rest_label=evil),
        charts.hour_chart([1] * 24, evil),
    ):
        assert "<script>" not in svg
        assert "&lt;script&gt;" in svg
        assert evil in titles(svg)[0]  # parsed back, the text is exactly what was given


def test_long_labels_are_shortened_but_kept_whole_in_the_hover_title():
    label = "一个非常非常非常非常非常非常非常非常非常长的社工站名字"
    svg = charts.bar_chart([(label, 3)], "t", width=200)
    assert label not in texts(svg)
    assert any(t.endswith("…") for t in texts(svg))
    assert f"{label}: 3" in titles(svg)


def test_the_hour_chart_has_all_24_hours_with_their_counts():
    counts = [h * 11 for h in range(24)]
    svg = charts.hour_chart(counts, "按小时")
    shown = texts(svg)
    for hour, count in enumerate(counts):
        assert str(hour) in shown
        assert f"{count:,}" in shown
        assert f"{hour:02d}:00–{hour:02d}:59: {count:,}" in titles(svg)


def test_the_weekday_chart_labels_each_day():
    days = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    svg = charts.weekday_chart([7, 6, 5, 4, 3, 2, 10001], days, "按星期")
    for day, count in zip(days, [7, 6, 5, 4, 3, 2, "10,001"], strict=True):
        assert f"{day}: {count}" in titles(svg)


def test_the_heatmap_puts_every_count_in_a_title_and_has_a_legend():
    grid = [[d * 24 + h for h in range(24)] for d in range(7)]
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    svg = charts.heatmap(grid, days, "Calls", legend_title="Calls")
    hover = titles(svg)
    for d, day in enumerate(days):
        for h in range(24):
            assert f"{day} {h:02d}:00–{h:02d}:59: {grid[d][h]:,}" in hover
    shown = texts(svg)
    assert shown.count("Calls") == 2  # the heading and the legend's name
    assert "0" in shown and "141–167" in shown  # the legend's first and last steps
    fills = {r.get("fill") for r in parse(svg).iter(f"{SVG}rect")}
    assert charts.EMPTY in fills and set(charts.SEQUENTIAL) <= fills


def test_the_heatmap_scale_is_ordered_and_zero_is_distinct():
    assert charts.shade(0, 10) == charts.EMPTY
    steps = [charts.shade(v, 600) for v in (1, 100, 101, 300, 600)]
    assert steps == [charts.SEQUENTIAL[i] for i in (0, 0, 1, 2, 5)]
    assert charts.legend_buckets(0) == [(charts.EMPTY, "0")]
    assert [span for _, span in charts.legend_buckets(3)] == ["0", "1", "2", "3"]


def test_the_segmented_bar_shows_counts_shares_and_the_remainder():
    svg = charts.segmented_bar(
        [("接听", 50), ("留言", 30), ("挂断", 10)],
        "来电结果",
        total=100,
        rest_label="其他",
        width=480,
    )
    shown = texts(svg)
    for expected in ("接听  50 (50%)", "留言  30 (30%)", "挂断  10 (10%)", "其他  10 (10%)"):
        assert expected in shown
    widths = [float(r.get("width")) for r in parse(svg).iter(f"{SVG}rect")][:4]
    assert widths == [240, 144, 48, 48]


def test_charts_of_nothing_still_draw():
    for svg in (
        charts.bar_chart([], "空"),
        charts.hour_chart([0] * 24, "空"),
        charts.heatmap([[0] * 24] * 7, list("一二三四五六日"), "空"),
        charts.segmented_bar([("a", 0)], "空", total=0),
    ):
        assert parse(svg).get("aria-label") == "空"


def test_charts_are_deterministic_and_use_the_colour_blind_safe_palette():
    one = charts.bar_chart([("a", 1), ("b", 2)], "t", color=charts.ORANGE)
    assert one == charts.bar_chart([("a", 1), ("b", 2)], "t", color=charts.ORANGE)
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert set(charts.PALETTE) == okabe_ito
    used = set(re.findall(r'fill="(#[0-9A-F]{6})"', charts.segmented_bar([("a", 1)], "t")))
    assert used - {charts.INK} <= okabe_ito


def test_numbers_are_grouped_and_decimals_kept_short():
    assert charts.number(1234567) == "1,234,567"
    assert charts.number(95.0) == "95"
    assert charts.number(301.56) == "301.6"
