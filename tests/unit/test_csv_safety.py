"""Every CSV the system writes shows a formula-leading cell as text (CSV injection)."""

import csv
import io
from datetime import datetime, timezone

import pytest

from arrears.intake.csvfile import safe_cell, safe_writer
from arrears.intake.importer import Reject, write_rejects
from arrears.audit.timeline import Entry, render

HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("cell", HOSTILE)
def test_formula_leading_cells_are_escaped(cell):
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-12.50", "+3", "42", "ACC-1", "王强", "", None, 7])
def test_plain_values_and_numbers_are_left_alone(cell):
    assert safe_cell(cell) == cell


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_writer_escapes_every_cell():
    buffer = io.StringIO()
    safe_writer(buffer).writerow(HOSTILE + ["-5.00"])
    assert _read(buffer.getvalue())[0] == ["'" + c for c in HOSTILE] + ["-5.00"]


def test_import_rejects_escape_the_ids_and_reasons_from_the_file(tmp_path):
    path = tmp_path / "rejects.csv"
    write_rejects(path, [Reject(2, "=cmd|'/C calc'!A0", "account_id: bad"), Reject(3, "OK-1", "@reason")])
    rows = _read(path.read_text(encoding="utf-8"))
    assert rows[1] == ["2", "'=cmd|'/C calc'!A0", "account_id: bad"] and rows[2][2] == "'@reason"


def test_the_timeline_csv_escapes_collector_chosen_text():
    entry = Entry(datetime(2026, 11, 30, tzinfo=timezone.utc), "record", "promise", "=1+1 promised", "+by c1")
    rows = _read(render([entry], "csv"))
    assert "'=1+1 promised" in rows[1] and "'+by c1" in rows[1]
