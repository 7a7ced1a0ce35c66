"""The import of the issue's "done means": good rows start, each bad row is rejected by line, no personal data shown."""

import csv
import json
import sys
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, text

from tests.integration.test_devserver import _env, _run

CLI = [sys.executable, "-m", "arrears.cli.main"]
HEADER = ["account_id", "customer_name", "phone", "email", "billing_address", "language", "timezone", "risk_segment",
          "currency", "overdue_amount", "total_balance", "due_date", "region", "contacts"]


def _row(account_id: str, today, **changes) -> dict:
    row = {"account_id": account_id, "customer_name": f"Secretname {account_id}", "phone": "+86 138 5555 0101",
           "email": f"secret.{account_id.lower()}@example.com", "billing_address": "88 Hidden Road, Shanghai",
           "language": "en", "timezone": "Asia/Shanghai", "risk_segment": "low", "currency": "CNY",
           "overdue_amount": "1,250.00", "total_balance": "3000.00", "due_date": (today - timedelta(days=5)).isoformat(),
           "region": "", "contacts": ""}
    row.update(changes)
    return row


def _write(path, rows, encoding="utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)


async def test_mixed_file_starts_good_rows_and_rejects_each_bad_one_without_personal_data(time_env, migrated_sqlite, tmp_path):
    today = datetime.now(timezone.utc).date()
    nested = json.dumps([{"name": "x", "more": [[[[[[["deep"]]]]]]]}])
    rows = [
        _row("IMP-GOOD1", today),  # 2
        _row("IMP-NUL", today, customer_name="Secret\x00name"),  # 3
        _row("IMP-LONG", today, billing_address="x" * 600),  # 4
        _row("IMP-NEST", today, contacts=nested),  # 5
        _row("IMP-HUGE", today, overdue_amount="10000000000000000", total_balance="10000000000000000"),  # 6
        _row("IMP-TINY", today, overdue_amount="0.00000000000000000000000000001"),  # 7
        _row("IMP-DATE", today, due_date="9999-12-31"),  # 8
        _row("IMP-ZONE", today, timezone="Factory"),  # 9
        _row("IMP-CUR", today, currency="XYZ"),  # 10
        _row("IMP-FULL", today, overdue_amount="１２３"),  # 11
        _row("IMP-SEP", today, overdue_amount="1,0,0"),  # 12
        _row("IMP-DBFAIL", today, region="REFUSED-BY-DB"),  # 13: only the database says no (a trigger)
        _row("IMP-CONT", today, contacts="12"),  # 14
        _row("IMP-GOOD2", today, contacts=json.dumps([{"name": "Guarantor", "relationship": "guarantor",
                                                        "phone": "+86 139 0000 0000"}])),  # 15
        _row("IMP-OLD", today, due_date="0001-01-01"),  # 16
        _row("IMP-BIG", today, billing_address="y" * 140_000),  # 17: past the csv module's field limit
        _row("IMP-GOOD3", today),  # 18
    ]
    path = tmp_path / "mixed.csv"
    _write(path, rows)
    with create_engine(migrated_sqlite).begin() as conn:
        conn.execute(text("CREATE TRIGGER refuse_region BEFORE INSERT ON accounts WHEN NEW.region = 'REFUSED-BY-DB' "
                          "BEGIN SELECT RAISE(ABORT, 'region refused by a database rule'); END"))
    env = _env(time_env.client.service_client.config.target_host, "tq-import", migrated_sqlite)
    result = await _run([*CLI, "start", str(path)], env=env)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == 0, output
    rejects = {int(r["line"]): r for r in csv.DictReader((tmp_path / "mixed.csv.rejects.csv").open(encoding="utf-8"))}
    assert sorted(rejects) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17], rejects
    expected = {3: "customer_name: a NUL byte", 4: "billing_address", 5: "nested", 6: "overdue_amount", 7: "overdue_amount",
                8: "due_date: date 9999-12-31 is outside", 9: "'Factory' is not a place", 10: "'XYZ' is not a currency",
                11: "non-ASCII digit", 12: "write 1250.00 or 1,250.00", 13: "the record refused it",
                14: "contacts must be a JSON list", 16: "due_date: date 0001-01-01 is outside", 17: "CSV field limit"}
    for line, words in expected.items():
        assert words in rejects[line]["reason"], (line, rejects[line])
    with create_engine(migrated_sqlite).connect() as conn:
        stored = {r[0] for r in conn.execute(text("select account_id from accounts"))}
    assert stored == {"IMP-GOOD1", "IMP-GOOD2", "IMP-GOOD3"}
    everything = output + (tmp_path / "mixed.csv.rejects.csv").read_text(encoding="utf-8")
    for secret in ("Secretname", "Secret", "secret.", "@example.com", "138 5555", "Hidden Road", "Guarantor", "xxxxxxxxxx"):
        assert secret not in everything, secret


async def test_gbk_file_is_refused_with_the_hint_then_imported_with_the_encoding(time_env, migrated_sqlite, tmp_path):
    today = datetime.now(timezone.utc).date()
    path = tmp_path / "gbk.csv"
    _write(path, [_row("GBK-1", today, customer_name="王芳", billing_address="上海市浦东新区世纪大道1号", language="zh-CN")],
           encoding="gbk")
    env = _env(time_env.client.service_client.config.target_host, "tq-gbk", migrated_sqlite)
    refused = await _run([*CLI, "start", str(path)], env=env)
    assert refused.returncode == 2, refused.stderr
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "not UTF-8" in lines[0] and "offset" in lines[0] and "--encoding GBK" in lines[0], lines
    assert "Traceback" not in refused.stderr
    done = await _run([*CLI, "start", str(path), "--encoding", "GBK"], env=env)
    assert done.returncode == 0, done.stderr
    with create_engine(migrated_sqlite).connect() as conn:
        assert conn.execute(text("select customer_name from accounts where account_id = 'GBK-1'")).scalar() == "王芳"


async def test_empty_header_only_and_bom_only_files_exit_non_zero(time_env, migrated_sqlite, tmp_path):
    env = _env(time_env.client.service_client.config.target_host, "tq-empty", migrated_sqlite)
    cases = {"empty.csv": b"", "bom.csv": b"\xef\xbb\xbf", "header.csv": (",".join(HEADER) + "\n").encode()}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        result = await _run([*CLI, "start", str(tmp_path / name)], env=env)
        assert result.returncode == 2, (name, result.stderr)
        assert ("empty" in result.stderr) if name != "header.csv" else ("no rows" in result.stderr), result.stderr
