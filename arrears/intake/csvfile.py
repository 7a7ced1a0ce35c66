"""Reading the operators' CSV files (accounts, roster, agencies) the same way.

Every row comes with the line it starts on (a quoted field may span lines), so
a bad row can be reported by line while the good rows still go. A header with a
missing or unknown column stops the whole file: a typo must not silently drop
a field.
"""

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TextIO

from pydantic import ValidationError


class CsvHeaderError(ValueError):
    """The header does not match the format; the message names the columns."""


def csv_rows(
    handle: TextIO, required: Iterable[str], optional: Iterable[str] = (), empty_ok: bool = True
) -> Iterator[tuple[int, dict[str, str] | str]]:
    """(line, cells by column) per row, or (line, reason) for a row with the wrong number of fields.

    The header is checked at once (CsvHeaderError); the rows are read lazily.
    """
    required, optional = tuple(required), tuple(optional)
    reader = csv.reader(handle)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        if empty_ok:
            return iter(())
        raise CsvHeaderError("the file is empty: expected the header " + ",".join(required + optional)) from None
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in required and c not in optional]
    if missing or unknown:
        parts = ([f"missing column(s): {', '.join(missing)}"] if missing else []) + (
            [f"unknown column(s): {', '.join(unknown)}"] if unknown else []
        )
        raise CsvHeaderError("line 1 (header): " + "; ".join(parts))
    return _rows(reader, header)


def _rows(reader, header: list[str]) -> Iterator[tuple[int, dict[str, str] | str]]:
    while True:
        number = reader.line_num + 1  # where this row starts
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The reader resumes at the next line: one unreadable row, not an unreadable file.
            yield number, unreadable_reason(exc)
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            yield number, f"expected {len(header)} fields, found {len(cells)}"
            continue
        yield number, dict(zip(header, cells, strict=True))


def unreadable_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a field is longer than {csv.field_size_limit():,} characters (the CSV field limit)"
    return f"not readable as CSV: {text}"


def validation_reason(exc: ValidationError) -> str:
    """A pydantic error as one line naming each field: ``capacity: Input should be ...``."""
    parts = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or "row"
        parts.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


# ---- writing: no cell a spreadsheet would run as a formula -----------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def safe_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: one starting like a formula (= + - @, tab, CR) gets a leading '.

    Plain numbers (``-12.50``) are left alone: they cannot run anything, and amounts must stay amounts.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


class _SafeWriter:
    def __init__(self, writer) -> None:
        self._writer = writer

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _SafeDictWriter:
    def __init__(self, writer: csv.DictWriter) -> None:
        self._writer = writer

    def writeheader(self) -> None:
        self._writer.writeheader()

    def writerow(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow({k: safe_cell(v) for k, v in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_writer(handle: TextIO) -> _SafeWriter:
    """``csv.writer`` for every CSV the system writes: formula-leading cells escaped."""
    return _SafeWriter(csv.writer(handle))


def safe_dict_writer(handle: TextIO, fieldnames: Iterable[str]) -> _SafeDictWriter:
    return _SafeDictWriter(csv.DictWriter(handle, fieldnames=list(fieldnames)))
