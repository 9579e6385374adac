"""Reading CSV files whose every bad row must be named by its line number."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from ivr.formula_guard import unguard


@dataclass(frozen=True)
class RowError:
    line: int  # 1-based line in the file; the header is line 1
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class CsvInvalid(Exception):
    """The file was refused; nothing was changed. ``errors`` names each bad line."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


Row = tuple[int, dict[str, str]]


def read_rows(
    data: bytes, required: tuple[str, ...], optional: tuple[str, ...]
) -> tuple[list[Row], list[RowError]]:
    """The ``(line, row)`` pairs with stripped values, and the rows of the wrong shape.

    Values lose the guard quote our exports put before text a spreadsheet would run as a
    formula (``ivr.formula_guard``). A file that cannot be read at all (not UTF-8, bad
    header) raises CsvInvalid; rows with too many or too few fields are returned as errors
    so that one run reports every broken line together with the caller's own checks.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvInvalid([RowError(1, f"the file is not UTF-8 text ({exc.reason})")]) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvInvalid([RowError(1, "the file is empty; expected a header row")]) from None
    except csv.Error as exc:
        raise CsvInvalid([RowError(1, f"malformed CSV: {exc}")]) from None
    columns = [c.strip() for c in header]
    header_errors = []
    unknown = [c for c in columns if c not in required + optional]
    if unknown:
        header_errors.append(
            RowError(
                1,
                f"unknown column(s) {', '.join(unknown)}; allowed: "
                f"{', '.join(required + optional)}",
            )
        )
    missing = [c for c in required if c not in columns]
    if missing:
        header_errors.append(RowError(1, f"missing required column(s) {', '.join(missing)}"))
    if len(set(columns)) != len(columns):
        header_errors.append(RowError(1, "a column is named twice"))
    if header_errors:
        raise CsvInvalid(header_errors)

    rows: list[Row] = []
    shape_errors: list[RowError] = []
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            shape_errors.append(RowError(reader.line_num, f"malformed CSV: {exc}"))
            break
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue  # blank line
        if len(fields) != len(columns):
            shape_errors.append(
                RowError(line, f"{len(fields)} fields, but the header has {len(columns)}")
            )
            continue
        # unguard: a cell an export wrote as '=… (never a formula) reads back as =…
        values = zip(columns, fields, strict=True)
        rows.append((line, {n: unguard(v.strip()) for n, v in values}))
    return rows, shape_errors


def split_list(value: str) -> list[str]:
    """``"a; b;;c"`` → ``["a", "b", "c"]``: the list separator inside one CSV field."""
    return [part.strip() for part in value.split(";") if part.strip()]
