"""Synthetic portfolios for the demo and the benchmarks (never real people).

Due dates are relative to the day the file is written, so a generated file
always holds the DPD spread it was asked for.
"""

import csv
import json
import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from arrears.intake.importer import OPTIONAL_COLUMNS, REQUIRED_COLUMNS

COLUMNS = [*list(REQUIRED_COLUMNS[:3]), "email", *list(REQUIRED_COLUMNS[3:]), "region", "contacts"]

_PLACES = [
    ("zh-CN", "Asia/Shanghai", "CNY", "+86 138 {:04d} {:04d}", "上海市浦东新区世纪大道{}号", "SH-PD"),
    ("zh-CN", "Asia/Urumqi", "CNY", "+86 139 {:04d} {:04d}", "乌鲁木齐市天山区解放北路{}号", "XJ-URC"),
    ("zh-CN", "Asia/Shanghai", "CNY", "+86 137 {:04d} {:04d}", "北京市朝阳区建国路{}号", "BJ-CY"),
    ("en", "America/New_York", "USD", "+1 212 555 {:04d}", "{} Broadway, New York, NY 10006", "NY-MAN"),
    ("en", "America/Los_Angeles", "USD", "+1 415 555 {:04d}", "{} Market St, San Francisco, CA 94103", "CA-SF"),
    ("en", "Europe/London", "GBP", "+44 20 7946 {:04d}", "{} Baker Street, London NW1 6XE", "LDN-W"),
]
_SURNAMES_ZH = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"]
_GIVEN_ZH = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军"]
_FIRST_EN = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn"]
_LAST_EN = ["Smith", "Jones", "Brown", "Garcia", "Miller", "Davis", "Wilson", "Moore", "Clark", "Hall"]


def generate_accounts(
    count: int, today: date, dpds: list[int] | None = None, seed: int = 7, prefix: str = "ACC"
) -> list[dict]:
    """``count`` account rows; row i is imported at ``dpds[i % len(dpds)]`` if given."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        language, tz, currency, phone_fmt, address_fmt, region = _PLACES[i % len(_PLACES)]
        if language == "zh-CN":
            name = rng.choice(_SURNAMES_ZH) + rng.choice(_GIVEN_ZH) + rng.choice(_GIVEN_ZH)
        else:
            name = f"{rng.choice(_FIRST_EN)} {rng.choice(_LAST_EN)}"
        dpd = dpds[i % len(dpds)] if dpds else rng.randint(-3, 120)
        overdue = Decimal(rng.randint(20_00, 5_000_00)) / 100
        balance = overdue + Decimal(rng.randint(0, 20_000_00)) / 100
        account_id = f"{prefix}{i + 1:06d}"
        rows.append(
            {
                "account_id": account_id,
                "customer_name": name,
                "phone": phone_fmt.format(rng.randint(0, 9999), rng.randint(0, 9999)),
                "email": f"{account_id.lower()}@example.com" if i % 7 else "",
                "billing_address": address_fmt.format(rng.randint(1, 999)),
                "language": language,
                "timezone": tz,
                "risk_segment": ("low", "medium", "high")[rng.choices([0, 1, 2], weights=[5, 3, 2])[0]],
                "currency": currency,
                "overdue_amount": str(overdue),
                "total_balance": str(balance),
                "due_date": (today - timedelta(days=dpd)).isoformat(),
                "region": region,
                "contacts": "",
            }
        )
    return rows


def write_csv(path: Path, rows: list[dict], bad_rows: list[dict] | None = None) -> None:
    assert set(COLUMNS) == set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows + (bad_rows or []):
            writer.writerow(row)


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            clean = {k: v for k, v in row.items() if v != "" or k in REQUIRED_COLUMNS}
            handle.write(json.dumps(clean, ensure_ascii=False) + "\n")
