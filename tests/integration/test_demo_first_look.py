"""`make demo ARGS=--keep-server` as a newcomer runs it, on an 80-column terminal.

One run of the real demo (about a minute and a half) serves every test here:
its summary shows a legal case and why the others were refused, its tables fit
80 columns with every id and amount whole, and the three commands it ends with
work against the server it keeps up. Ctrl-C then stops it cleanly.
"""

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from rich.cells import cell_len

from arrears import PROJECT_ROOT

pytestmark = pytest.mark.devserver

ARREARS = Path(sys.executable).parent / "arrears"
BOX = "┏┃┡│└"
STARTUP_LIMIT = 400  # seconds for the whole demo on a busy machine (about 90 s on an idle one)


class KeptDemo:
    def __init__(self, process: subprocess.Popen, log: Path) -> None:
        self.process, self.log = process, log

    @property
    def text(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def explore(self) -> list[str]:
        """The lines under the explore rule: the command or address indented under each numbered item."""
        tail = self.text.split("explore what the demo left", 1)[1]
        return [line.strip() for line in tail.splitlines() if line.startswith("   ") and line.strip()]


@pytest.fixture(scope="module")
def kept_demo(tmp_path_factory) -> KeptDemo:
    where = tmp_path_factory.mktemp("demo")
    log = where / "demo.log"
    env = {**os.environ, "COLUMNS": "80", "LINES": "50"}
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen([str(ARREARS), "demo", "--keep-server", "--dir", str(where / "files")], stdout=out,
                                   stderr=subprocess.STDOUT, cwd=PROJECT_ROOT, env=env)
    demo = KeptDemo(process, log)
    deadline = time.monotonic() + STARTUP_LIMIT
    try:
        while "workflow list" not in demo.text.split("explore what the demo left", 1)[-1]:
            if process.poll() is not None:
                pytest.fail(f"the demo exited with {process.returncode}:\n{demo.text[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the demo did not reach its explore commands in {STARTUP_LIMIT} s:\n{demo.text[-4000:]}")
            time.sleep(1)
        yield demo
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_the_demo_says_what_it_will_do_and_how_long_it_takes(kept_demo):
    head = " ".join(kept_demo.text.split("────── import", 1)[0].split())
    assert re.search(r"About \d+ min \d\d s from now\.", head), head
    for stage in ("1. start a Temporal dev server", "2. import 48 synthetic accounts", "3. run 70 collection days",
                  "4. summarise", "5. end with three commands to explore"):
        assert stage in head, stage


def test_the_summary_shows_a_legal_case_with_its_state_and_the_refusals_by_reason(kept_demo):
    text = kept_demo.text
    flat = " ".join(text.split())
    assert "legal cases referred: 1 (criteria cn-malicious-overdraft)" in text
    case_rows = [line for line in text.splitlines() if line.startswith("│") and "DEMO000049" in line and "filed" in line]
    assert len(case_rows) == 1, text
    assert "68000.00 CNY" in case_rows[0] and "1200.00 CNY" in case_rows[0]
    # The story on the way: two effective collections, a refusal naming its date, the referral, the filing.
    assert "effective collection 1 of 2" in flat and "effective collection 2 of 2" in flat
    assert re.search(r"the legal step does not refer yet: unpaid more than 3 months after the collection of "
                     r"\d{4}-\d\d-\d\d: not before \d{4}-\d\d-\d\d", flat), flat
    assert "the legal step refers the account: case" in flat and "the legal team files the claim" in flat
    refused = re.search(r"legal step refused: (\d+) account\(s\)", flat)
    assert refused and int(refused.group(1)) >= 1, flat
    section = text.split("legal step refused:", 1)[1].split("the desk:", 1)[0]
    counts = [int(n) for n in re.findall(r"│ (?:fewer than|effective collections|not yet unpaid|nothing unpaid|principal)"
                                          r"[^│]*│\s+(\d+) │", section)]
    assert counts and max(counts) <= int(refused.group(1)) <= sum(counts), section
    # And when they could be: a first date, never by waiting, or ended first.
    assert re.search(r"first date one of them could be referred: \d{4}-\d\d-\d\d|none of the \d+ running could be"
                     r"|ended \w+ before", " ".join(section.split())), section
    assert re.search(r"│ fewer than 2 effective collections\s+│\s+\d+ │ (\d{4}-\d\d-\d\d \(DEMO\d{6}\)|episodes ended)",
                     section), section


def test_every_table_fits_80_columns_with_ids_and_amounts_whole(kept_demo):
    lines = kept_demo.text.splitlines()
    table_lines = [line for line in lines if line[:1] in BOX]
    assert table_lines
    too_wide = [line for line in table_lines if cell_len(line.rstrip()) > 80]
    assert too_wide == [], "\n".join(too_wide)
    assert "…" not in kept_demo.text
    worklist = kept_demo.text.split("worklist of supervisor s-wang", 1)[1].split("explore what", 1)[0]
    rows = [line for line in worklist.splitlines() if line.startswith("│")]
    assert rows, worklist
    for row in rows:
        cells = [c.strip() for c in row.strip("│").split("│")]
        # Which other columns fit depends on the data; the account and the amount are always there, whole.
        assert len([c for c in cells if re.fullmatch(r"DEMO\d{6}", c)]) == 1, row
        assert len([c for c in cells if re.fullmatch(r"\d+\.\d\d (CNY|USD|GBP)", c)]) == 1, row


def test_the_three_explore_commands_work_against_the_kept_server(kept_demo):
    lines = kept_demo.explore()
    assert kept_demo.text.rstrip().endswith(lines[-1])  # the demo ends with them
    status, timeline, url, listing = lines
    assert status.endswith("status DEMO000049") and "--address 127.0.0.1:" in status
    ended = re.search(r"audit timeline (DEMO\d{6})$", timeline)
    assert ended, timeline
    # The settled account's story (on a busy machine the scripted settlement can miss: another ended one).
    how = re.search(ended.group(1) + r"'s story, ([a-z ]+):", " ".join(kept_demo.text.split())).group(1)
    assert how in ("settled at a discount", "cured", "closed by an operator"), how
    assert url.startswith("http://127.0.0.1:") and "query=CollectionStage%3D%22late%22" in url

    def run(command: str) -> str:
        done = subprocess.run(shlex.split(command), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "COLUMNS": "80"})
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        return done.stdout

    shown = " ".join(run(status).split())
    assert "account DEMO000049" in shown and "referred, case" in shown and "filed" in shown, shown
    story = " ".join(run(timeline).split())
    assert {"settled at a discount": "settled", "cured": "cured", "closed by an operator": "closed"}[how] in story, story
    late = run(listing)
    assert re.search(r"arrears-DEMO\d{6}", late), late
    assert "AccountCollection" in late
    page = httpx.get(url, timeout=30)
    assert page.status_code == 200 and "<html" in page.text.lower()


def test_ctrl_c_stops_the_kept_demo_and_its_server(kept_demo):
    address = re.search(r"--address (127\.0\.0\.1:\d+)", kept_demo.text).group(1)
    host, port = address.split(":")
    kept_demo.process.send_signal(signal.SIGINT)
    assert kept_demo.process.wait(timeout=60) == 0, kept_demo.text[-2000:]
    assert "demo server and worker stopped" in kept_demo.text
    with socket.socket() as s:
        assert s.connect_ex((host, int(port))) != 0  # nothing listens there any more
