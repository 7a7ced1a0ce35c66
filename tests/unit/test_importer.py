import csv
import json
from decimal import Decimal

import pytest

from arrears.intake.importer import ImportFileError, Reject, read_rows, validate_rows, write_rejects

HEADER = "account_id,customer_name,phone,email,billing_address,language,timezone,risk_segment,currency,overdue_amount,total_balance,due_date"


def csv_line(account_id="A1", *, address="1 Road", language="en", zone="Asia/Shanghai", currency="CNY",
             overdue="100.00", total="200.00", due="2026-03-01", email="a@example.com") -> str:
    quoted = '"' + address.replace('"', '""') + '"'
    return f"{account_id},Ann Lee,+8613800000000,{email},{quoted},{language},{zone},low,{currency},{overdue},{total},{due}"


def json_row(account_id="J1", **changes) -> dict:
    row = {
        "account_id": account_id,
        "customer_name": "Wang Fang",
        "phone": "+8613900000000",
        "billing_address": "2 Nanjing Road",
        "language": "zh-CN",
        "timezone": "Asia/Shanghai",
        "risk_segment": "medium",
        "currency": "CNY",
        "overdue_amount": 1234.56,
        "total_balance": 9999.99,
        "due_date": "2026-03-01",
    }
    row.update(changes)
    return row


def write(tmp_path, name: str, text: str, *, bom: bool = False):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


# ---- CSV -----------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [False, True])
def test_read_csv_with_and_without_bom(tmp_path, bom):
    path = write(tmp_path, "in.csv", "\n".join([HEADER, csv_line("A1"), csv_line("A2")]) + "\n", bom=bom)
    rows = list(read_rows(path))
    assert [n for n, _ in rows] == [2, 3]
    first = rows[0][1]
    assert isinstance(first, dict)
    assert first["account_id"] == "A1"  # not "\ufeffaccount_id" as key
    good, rejected = validate_rows(path)
    assert rejected == []
    assert [(n, r.account_id) for n, r in good] == [(2, "A1"), (3, "A2")]
    assert good[0][1].overdue_amount == Decimal("100.00")


def test_csv_with_crlf_and_blank_lines(tmp_path):
    text = "\r\n".join([HEADER, csv_line("A1"), "", csv_line("A2"), ",,,,,,,,,,,", csv_line("A3", language="xx"), ""])
    path = write(tmp_path, "in.csv", text)
    good, rejected = validate_rows(path)
    assert [(n, r.account_id) for n, r in good] == [(2, "A1"), (4, "A2")]
    assert [(r.line, r.account_id) for r in rejected] == [(6, "A3")]


def test_validate_reports_each_bad_row_with_line_and_reason(tmp_path):
    lines = [
        HEADER,
        csv_line("A1"),  # 2 good
        csv_line("A2", language="fr"),  # 3
        csv_line("A3", zone="Mars/Base"),  # 4
        csv_line("A4", overdue="-1"),  # 5
        csv_line("A5", overdue="300", total="200"),  # 6
        csv_line("A6", currency="JPY", overdue="100.5", total="200"),  # 7
        csv_line("A7"),  # 8 good
        "A8,too,few",  # 9
    ]
    path = write(tmp_path, "in.csv", "\n".join(lines) + "\n")
    good, rejected = validate_rows(path)
    assert [(n, r.account_id) for n, r in good] == [(2, "A1"), (8, "A7")]
    found = {r.line: r for r in rejected}
    assert sorted(found) == [3, 4, 5, 6, 7, 9]
    assert found[3].account_id == "A2" and found[3].reason.startswith("language: language must be one of")
    assert "timezone: unknown IANA time zone 'Mars/Base'" == found[4].reason
    assert "overdue_amount must be positive" in found[5].reason
    assert "total_balance must be at least overdue_amount" in found[6].reason
    assert "overdue_amount has more decimals than JPY allows" in found[7].reason
    assert found[9].reason == "expected 12 fields, found 3"
    assert not any(r.reason.startswith("Value error") or "Value error," in r.reason for r in rejected)


def test_multi_line_address_shifts_later_line_numbers(tmp_path):
    lines = [
        HEADER,  # 1
        csv_line("A1", address="Flat 3\nBuilding 9\nShanghai"),  # 2-4
        csv_line("A2", language="xx"),  # 5
        csv_line("A3"),  # 6
        csv_line("A4", zone="Nowhere/City"),  # 7
    ]
    path = write(tmp_path, "in.csv", "\n".join(lines) + "\n")
    good, rejected = validate_rows(path)
    assert [r.account_id for _, r in good] == ["A1", "A3"]
    assert good[0][1].billing_address == "Flat 3\nBuilding 9\nShanghai"
    assert good[1][0] == 6
    assert [(r.line, r.account_id) for r in rejected] == [(5, "A2"), (7, "A4")]


def test_bad_multi_line_record_is_reported_at_its_first_line(tmp_path):
    lines = [
        HEADER,  # 1
        csv_line("A1"),  # 2
        csv_line("A2", address="Flat 3\nBuilding 9", language="xx"),  # 3-4
        csv_line("A3"),  # 5
    ]
    path = write(tmp_path, "in.csv", "\n".join(lines) + "\n")
    _, rejected = validate_rows(path)
    assert [(r.line, r.account_id) for r in rejected] == [(3, "A2")]


def test_duplicate_account_id_names_the_first_line(tmp_path):
    lines = [HEADER, csv_line("A1"), csv_line("B2"), csv_line("A1", overdue="150.00"), csv_line("A1")]
    path = write(tmp_path, "in.csv", "\n".join(lines) + "\n")
    good, rejected = validate_rows(path)
    assert [(n, r.account_id, r.overdue_amount) for n, r in good] == [(2, "A1", Decimal("100.00")), (3, "B2", Decimal("100.00"))]
    assert rejected == [
        Reject(4, "A1", "duplicate account_id (first on line 2)"),
        Reject(5, "A1", "duplicate account_id (first on line 2)"),
    ]


def test_an_account_id_the_systems_own_workflows_use_is_refused(tmp_path):
    lines = [HEADER, csv_line("desk-sweep"), csv_line("recovery-A1"), csv_line("bureau-cycle"), csv_line("A1")]
    path = write(tmp_path, "in.csv", "\n".join(lines) + "\n")
    good, rejected = validate_rows(path)
    assert [r.account_id for _, r in good] == ["A1"]
    assert [(r.line, r.account_id) for r in rejected] == [(2, "desk-sweep"), (3, "recovery-A1"), (4, "bureau-cycle")]
    assert rejected[0].reason == "account_id 'desk-sweep' is reserved: workflow id arrears-desk-sweep belongs to the system"
    assert "arrears-recovery-* belong to recoveries after charge-off" in rejected[1].reason


def test_missing_column_raises_naming_it(tmp_path):
    header = HEADER.replace(",timezone", "")
    path = write(tmp_path, "in.csv", header + "\n")
    with pytest.raises(ImportFileError, match=r"missing column\(s\): timezone") as info:
        validate_rows(path)
    assert "line 1" in str(info.value)
    assert "unknown" not in str(info.value)


def test_unknown_column_raises_naming_it(tmp_path):
    path = write(tmp_path, "in.csv", HEADER + ",nickname\n" + csv_line() + ",Annie\n")
    with pytest.raises(ImportFileError, match=r"unknown column\(s\): nickname"):
        validate_rows(path)


def test_misspelt_column_is_both_missing_and_unknown(tmp_path):
    path = write(tmp_path, "in.csv", HEADER.replace("due_date", "duedate") + "\n")
    with pytest.raises(ImportFileError) as info:
        list(read_rows(path))
    assert "missing column(s): due_date" in str(info.value)
    assert "unknown column(s): duedate" in str(info.value)


def test_contacts_column_parsed_as_json(tmp_path):
    header = HEADER + ",contacts"
    contacts = '"[{""name"": ""Guarantor"", ""phone"": ""+861300""}]"'
    lines = [header, csv_line("A1") + "," + contacts, csv_line("A2") + ",", csv_line("A3") + ',"{not json"']
    path = write(tmp_path, "in.csv", "\n".join(lines) + "\n")
    good, rejected = validate_rows(path)
    assert good[0][1].contacts == [{"name": "Guarantor", "phone": "+861300"}]
    assert good[1][1].contacts is None
    assert rejected == [Reject(4, "A3", "contacts: not valid JSON")]  # the reject names its account


def test_empty_file_has_no_rows(tmp_path):
    assert validate_rows(write(tmp_path, "in.csv", "")) == ([], [])


# ---- JSON Lines -------------------------------------------------------------------------


@pytest.mark.parametrize("bom", [False, True])
def test_json_lines_amounts_are_decimal_never_float(tmp_path, bom):
    text = json.dumps(json_row("J1", overdue_amount=0.1, total_balance=1234.5678)) + "\n"
    text = text.replace("1234.5678", "9876543210987654.32")  # beyond a float's precision
    path = write(tmp_path, "in.jsonl", text, bom=bom)
    (number, raw), = list(read_rows(path))
    assert number == 1
    assert isinstance(raw["overdue_amount"], Decimal) and raw["overdue_amount"] == Decimal("0.1")
    assert raw["total_balance"] == Decimal("9876543210987654.32")
    good, rejected = validate_rows(path)
    assert rejected == []
    row = good[0][1]
    assert row.overdue_amount == Decimal("0.1")
    assert row.total_balance == Decimal("9876543210987654.32")


def test_json_lines_blank_lines_skipped_but_counted(tmp_path):
    lines = [
        json.dumps(json_row("J1")),  # 1
        "",  # 2
        "   ",  # 3
        json.dumps(json_row("J2", language="fr")),  # 4
        json.dumps(json_row("J3")),  # 5
        "{broken",  # 6
        "[1, 2]",  # 7
        json.dumps(json_row("J4", nickname="x")),  # 8
        json.dumps(json_row("J1")),  # 9 duplicate
    ]
    path = write(tmp_path, "in.ndjson", "\n".join(lines) + "\n")
    good, rejected = validate_rows(path)
    assert [(n, r.account_id) for n, r in good] == [(1, "J1"), (5, "J3")]
    by_line = {r.line: r for r in rejected}
    assert sorted(by_line) == [4, 6, 7, 8, 9]
    assert by_line[4].account_id == "J2" and "language" in by_line[4].reason
    assert by_line[6].reason.startswith("not valid JSON")
    assert by_line[7].reason == "each line must be a JSON object"
    assert by_line[8].reason == "unknown field(s): nickname"
    assert by_line[9].reason == "duplicate account_id (first on line 1)"


def test_json_lines_detected_by_content_without_extension(tmp_path):
    path = write(tmp_path, "accounts.txt", json.dumps(json_row("J1", overdue_amount=10, total_balance="20.50")) + "\n")
    good, rejected = validate_rows(path)
    assert rejected == []
    assert good[0][1].total_balance == Decimal("20.50")


def test_json_integer_yen_amount(tmp_path):
    path = write(tmp_path, "in.jsonl", json.dumps(json_row("J1", currency="JPY", overdue_amount=15000, total_balance=15000.5)) + "\n")
    good, rejected = validate_rows(path)
    assert good == []
    assert rejected[0].line == 1 and "total_balance has more decimals than JPY allows" in rejected[0].reason


# ---- rejects file -----------------------------------------------------------------------


def test_write_rejects(tmp_path):
    target = tmp_path / "rejects.csv"
    rejects = [
        Reject(3, "A2", "language: language must be one of zh-CN, en, got 'fr'"),
        Reject(9, "", 'not valid JSON: Expecting "," delimiter at column 4'),
    ]
    write_rejects(target, rejects)
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["line", "account_id", "reason"],
        ["3", "A2", "language: language must be one of zh-CN, en, got 'fr'"],
        ["9", "", 'not valid JSON: Expecting "," delimiter at column 4'],
    ]


def test_rejects_round_trip_from_validation(tmp_path):
    path = write(tmp_path, "in.csv", "\n".join([HEADER, csv_line("A1", zone="Bad/Zone"), csv_line("A2")]) + "\n")
    _, rejected = validate_rows(path)
    target = tmp_path / "rejects.csv"
    write_rejects(target, rejected)
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [{"line": "2", "account_id": "A1", "reason": "timezone: unknown IANA time zone 'Bad/Zone'"}]


def test_a_reject_reason_never_quotes_personal_data(tmp_path):
    # A row whose zone cell holds the customer's name (a shifted spreadsheet column).
    path = write(tmp_path, "in.csv", "\n".join([HEADER, csv_line("A1", zone="Ann Lee")]) + "\n")
    _, rejected = validate_rows(path)
    assert rejected[0].line == 2 and rejected[0].reason.startswith("timezone:")
    assert "Ann Lee" not in rejected[0].reason and "[personal data]" in rejected[0].reason


def test_json_lines_overlong_and_deeply_nested_lines_are_rejected_alone(tmp_path, monkeypatch):
    from arrears.intake import importer

    monkeypatch.setattr(importer, "MAX_JSON_LINE", 2000)
    lines = [
        json.dumps(json_row("J1")),  # 1
        json.dumps(json_row("J2", customer_name="x" * 3000)),  # 2: past the line cap
        "[" * 100_000 + "]" * 100_000,  # 3: nesting past the recursion limit (and the cap)
        json.dumps(json_row("J3", contacts=[{"name": [[[["deep"]]]]}])),  # 4
        json.dumps(json_row("J4")),  # 5
    ]
    path = write(tmp_path, "in.jsonl", "\n".join(lines) + "\n")
    good, rejected = validate_rows(path)
    assert [r.account_id for _, r in good] == ["J1", "J4"]
    by_line = {r.line: r.reason for r in rejected}
    assert by_line[2] == "the line is longer than 2,000 characters"
    assert by_line[3] == "the line is longer than 2,000 characters"
    assert "nested deeper than 3 levels" in by_line[4]


def test_json_lines_nesting_past_the_recursion_limit_is_one_reject(tmp_path):
    path = write(tmp_path, "in.jsonl", "[" * 50_000 + "]" * 50_000 + "\n" + json.dumps(json_row("J1")) + "\n")
    good, rejected = validate_rows(path)
    assert [r.account_id for _, r in good] == ["J1"]
    assert rejected[0].line == 1 and rejected[0].reason == "not valid JSON: nested too deeply"
