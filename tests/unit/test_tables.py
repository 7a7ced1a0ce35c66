"""Terminal tables: whole columns are never cut, the rest gives way in priority order."""

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from arrears.cli.tables import Column, fit_table, print_table

COLUMNS = [
    Column("id", whole=True),
    Column("note", priority=3),
    Column("amount", whole=True, justify="right"),
    Column("status", "st", priority=1),
    Column("when", priority=2),
]


def render(width: int, rows, wide: bool = False) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))
    print_table(console, COLUMNS, rows, title="t", wide=wide)
    return console.export_text()


def test_drops_the_least_important_column_first_and_says_so():
    rows = [["ACC-0001", "a long note about the account", "123456.78 CNY", ("supervisor", "sup"), "2026-12-01 09:00"]]
    full = render(200, rows)
    assert "a long note about the account" in full and "supervisor" in full and "not shown" not in full
    narrower = render(70, rows)
    assert "note" not in narrower.splitlines()[2] and "2026-12-01 09:00" in narrower
    assert "not shown at 70 columns: note; --wide or --json show them" in narrower
    narrowest = render(40, rows)
    assert "ACC-0001" in narrowest and "123456.78 CNY" in narrowest
    table, note = narrowest.split("not shown")
    assert "when" not in table and "note" not in table and "note, when" in note
    assert all(cell_len(line.rstrip()) <= 40 for line in narrowest.splitlines())


def test_short_forms_come_before_dropping_a_column():
    rows = [["A1", "n", "1.00 USD", ("supervisor", "sup"), "09:00"]]
    fitted = fit_table(COLUMNS, rows, 40)
    assert fitted.hidden == ()
    text = render(40, rows)
    assert "sup " in text and "supervisor" not in text and " st " in text


def test_wide_shows_everything_in_full_even_on_a_narrow_terminal():
    rows = [["ACC-0001", "a long note about the account", "123456.78 CNY", ("supervisor", "sup"), "2026-12-01 09:00"]]
    text = render(40, rows, wide=True)
    for cell in ("ACC-0001", "a long note about the account", "123456.78 CNY", "supervisor", "2026-12-01 09:00"):
        assert cell in text
    assert "not shown" not in text


def test_cells_are_text_not_markup():
    text = render(120, [["A1", "[bold]x[/bold]", "1.00 USD", "ok", "-"]])
    assert "[bold]x[/bold]" in text


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.from_regex(r"[A-Z0-9][A-Za-z0-9_.\-]{0,29}", fullmatch=True), min_size=1, max_size=6),
    amounts=st.lists(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False), min_size=6, max_size=6),
    notes=st.lists(st.text(alphabet=st.characters(categories=["L", "N", "Zs"]), max_size=40), min_size=6, max_size=6),
    width=st.integers(min_value=60, max_value=160),
)
def test_whole_cells_always_appear_unbroken_and_the_table_fits(ids, amounts, notes, width):
    rows = [[i, notes[n], f"{amounts[n]} CNY", "open", "2026-12-01"] for n, i in enumerate(ids)]
    text = render(width, rows)
    lines = text.splitlines()
    for row in rows:
        assert any(row[0] in line and row[2] in line for line in lines), (row, text)
    assert "…" not in text
    assert all(cell_len(line.rstrip()) <= width for line in lines), text


def test_prose_wraps_while_ids_and_amounts_stay_whole():
    columns = [Column("at", whole=True), Column("account", whole=True), Column("kind", priority=1),
               Column("what", wrap=True), Column("code", priority=2)]
    what = "the legal step refers the account: criteria cn-malicious-overdraft met on collections 2026-11-20, 2026-12-20"
    rows = [["2027-04-01 09:30", "DEMO000049", "legal_referred", what, "arrears-0.1.0-abc123"]]
    console = Console(width=80, record=True, file=open("/dev/null", "w"))
    print_table(console, columns, rows)
    text = console.export_text()
    lines = text.splitlines()
    assert all(cell_len(line.rstrip()) <= 80 for line in lines), text
    assert any("2027-04-01 09:30" in line and "DEMO000049" in line for line in lines)
    assert "cn-malicious-overdraft" in text and "…" not in text
    assert "not shown at 80 columns: code" in text  # the short field goes rather than squeeze the prose
    assert len([line for line in lines if line.startswith("│")]) > 1  # the prose wrapped over lines
