"""How good the machine's transcripts are: the share people corrected, and the machine's
error rate against their corrections, per language and station.

Over the transcripts of voicemails left in the period (local days, each station on its own
clock) at the scope's stations. The error rate is the machine's edits over the corrected
text's tokens, summed over the corrected transcripts (the correction in force for each):
for Chinese a character error rate (CER), for languages written with spaces a word error
rate (WER), as ``transcription.correction`` counts them. Counts survive retention, which
blanks the texts but keeps each correction's edit counts.

The dashboard shows it in a section of its own (``stats/_transcripts.html``), and
``/stats/transcripts.csv|xlsx`` exports it (audit-logged, like every export).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import Session

from ivr.stats import exports
from ivr.stats.periods import utc_bounds
from ivr.stats.report import Period, ReportScope
from models import Station, Transcript, TranscriptCorrection, Voicemail
from transcription.correction import metric

LANGUAGE_NAMES = {"zh": _l("普通话"), "yue": _l("粤语"), "en": _l("英语")}


@dataclass(frozen=True)
class Quality:
    """Transcripts of one language at one station (or, with no station, all of them)."""

    language: str
    transcripts: int
    corrected: int
    machine_edits: int  # summed over the corrected transcripts
    reference_length: int  # their corrected texts' tokens
    station_code: str = ""
    station_zh: str = ""
    station_en: str = ""

    @property
    def metric(self) -> str:
        return metric(self.language)

    @property
    def language_name(self) -> str:
        return language_name(self.language)

    @property
    def metric_name(self) -> str:
        return metric_name(self.metric)

    @property
    def corrected_share(self) -> float | None:
        """Percent of the transcripts people corrected."""
        return 100 * self.corrected / self.transcripts if self.transcripts else None

    @property
    def error_rate(self) -> float | None:
        """Percent: the machine's edits over the corrected texts' tokens."""
        return 100 * self.machine_edits / self.reference_length if self.reference_length else None


@dataclass(frozen=True)
class TranscriptQuality:
    languages: tuple[Quality, ...]  # totals per language
    stations: tuple[Quality, ...]  # per station and language, where anything was corrected


def _left_in(stations: list[Station], period: Period):  # type: ignore[no-untyped-def]
    by_zone: dict[str, list[int]] = defaultdict(list)
    for station in stations:
        by_zone[station.timezone].append(station.id)
    clauses = []
    for zone, ids in sorted(by_zone.items()):
        start, end = utc_bounds(period.start, period.end, zone)
        clauses.append(
            and_(
                Voicemail.station_id.in_(ids),
                Voicemail.created_at >= start,
                Voicemail.created_at < end,
            )
        )
    return or_(*clauses) if clauses else false()


def transcript_quality(session: Session, scope: ReportScope, period: Period) -> TranscriptQuality:
    stations = list(session.scalars(select(Station).where(Station.id.in_(scope.station_ids))))
    by_id = {s.id: s for s in stations}
    current = and_(
        TranscriptCorrection.transcript_id == Transcript.id,
        TranscriptCorrection.superseded_at.is_(None),
    )
    rows = session.execute(
        select(
            Voicemail.station_id,
            Transcript.language,
            func.count(Transcript.id),
            func.count(TranscriptCorrection.id),
            func.coalesce(func.sum(TranscriptCorrection.machine_edits), 0),
            func.coalesce(func.sum(TranscriptCorrection.reference_length), 0),
        )
        .join(Voicemail, Voicemail.id == Transcript.voicemail_id)
        .outerjoin(TranscriptCorrection, current)
        .where(_left_in(stations, period))
        .group_by(Voicemail.station_id, Transcript.language)
    ).all()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    per_station = []
    for station_id, language, count, corrected, edits, length in rows:
        total = totals[language]
        for k, value in enumerate((count, corrected, edits, length)):
            total[k] += int(value)
        station = by_id[station_id]
        if corrected:
            per_station.append(
                Quality(
                    language,
                    count,
                    corrected,
                    int(edits),
                    int(length),
                    station.code,
                    station.name_zh,
                    station.name_en,
                )
            )
    languages = tuple(Quality(lang, *numbers) for lang, numbers in sorted(totals.items()))
    per_station.sort(key=lambda q: (q.station_code, q.language))
    return TranscriptQuality(languages, tuple(per_station))


def language_name(code: str) -> str:
    return str(LANGUAGE_NAMES.get(code, code))


def metric_name(code: str) -> str:
    return str(_l("字错误率（CER）") if code == "cer" else _l("词错误率（WER）"))


def _percent(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def quality_table(quality: TranscriptQuality, locale: str) -> exports.Table:
    """Per-language totals (no station) then per-station rows, one table."""
    with force_locale(locale):
        header: list[exports.Cell] = [
            str(label)
            for label in (
                _l("社工站代码"),
                _l("社工站"),
                _l("语言"),
                _l("转写数"),
                _l("人工校对数"),
                _l("校对比例（%）"),
                _l("机器错误率（%）"),
                _l("错误率口径"),
                _l("机器错误数"),
                _l("校对文本字/词数"),
            )
        ]
        table: exports.Table = [header]
        for row in (*quality.languages, *quality.stations):
            table.append(
                [
                    row.station_code or str(_l("合计")),
                    exports.name_in(locale, row.station_zh, row.station_en),
                    language_name(row.language),
                    row.transcripts,
                    row.corrected,
                    _percent(row.corrected_share),
                    _percent(row.error_rate),
                    metric_name(row.metric),
                    row.machine_edits,
                    row.reference_length,
                ]
            )
    return table
