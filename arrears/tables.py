"""Terminal tables that fit the terminal without cutting what matters.

Identifiers and amounts (``whole`` columns) are never wrapped, cut or given an
ellipsis: a collector must be able to read an account id and an amount exactly.
When the table is wider than the terminal, the other columns give way, in this
order: headers and cells take their short forms, then the columns are dropped
from the least important (highest ``priority``) up, until the table fits with no
cell wrapped. ``wide`` shows every column in full whatever the width (the
terminal wraps the lines); ``--json`` on the commands gives the data itself.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.console import Console
from rich.measure import Measurement
from rich.segment import Segments
from rich.table import Table
from rich.text import Text

# A cell is its text, or (full text, short text) when it has a short form.
Cell = str | tuple[str, str]


@dataclass(frozen=True)
class Column:
    header: str
    short: str | None = None  # the header when space is short
    priority: int = 0  # 0 is always shown; higher numbers are dropped first
    whole: bool = False  # identifiers and amounts: never wrapped, never cut
    justify: Literal["left", "right"] = "left"

    def title(self, compact: bool) -> str:
        return self.short if compact and self.short else self.header


def _text(cell: Cell, compact: bool) -> Text:
    # Plain text: a name or note with brackets in it is not rich markup.
    if isinstance(cell, tuple):
        return Text(cell[1] if compact else cell[0])
    return Text(cell)


def _build(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], keep: list[int], compact: bool,
           title: str | None, wide: bool) -> Table:
    table = Table(title=title, title_justify="left")
    for i in keep:
        column = columns[i]
        texts = [_text(row[i], compact) for row in rows]
        if column.whole or wide:
            # Exactly as wide as its longest cell or header word: rich may not squeeze it.
            longest = max([t.cell_len for t in texts] + [0])
            table.add_column(column.title(compact), justify=column.justify, no_wrap=True, min_width=longest)
        else:
            table.add_column(column.title(compact), justify=column.justify)
    for row in rows:
        table.add_row(*(_text(row[i], compact) for i in keep))
    return table


_MEASURE = Console(width=10_000)


def natural_width(table: Table) -> int:
    """The width the table takes with no cell wrapped."""
    return Measurement.get(_MEASURE, _MEASURE.options, table).maximum


@dataclass(frozen=True)
class Fitted:
    table: Table
    hidden: tuple[str, ...]  # headers of the columns left out to fit


def fit_table(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int, *, title: str | None = None,
              wide: bool = False) -> Fitted:
    """The fullest form of the table that fits ``width`` with no cell wrapped (see the module's doc)."""
    if any(len(row) != len(columns) for row in rows):
        raise ValueError("every row needs one cell per column")
    everything = list(range(len(columns)))
    if wide:
        return Fitted(_build(columns, rows, everything, compact=False, title=title, wide=True), ())
    candidates: list[tuple[list[int], bool]] = [(everything, False), (everything, True)]
    keep = list(everything)
    # Least important first; among equals the rightmost goes first.
    for i in sorted(everything, key=lambda i: (columns[i].priority, i), reverse=True):
        if columns[i].priority == 0:
            break
        keep = [k for k in keep if k != i]
        candidates.append((list(keep), True))
    for keep, compact in candidates:
        table = _build(columns, rows, keep, compact, title, wide=False)
        hidden = tuple(columns[i].header for i in everything if i not in keep)
        if natural_width(table) <= width:
            break
    # Past the loop without a fit, only the columns always shown remain; the terminal wraps the lines.
    return Fitted(table, hidden)


def print_table(console: Console, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], *,
                title: str | None = None, wide: bool = False, shown_by: str | None = "--wide or --json") -> None:
    """Print the table fitted to the console (or in full with ``wide``), never cutting a whole column.

    When columns were left out, a line names them and ``shown_by`` (what shows them).
    """
    fitted = fit_table(columns, rows, console.width, title=title, wide=wide)
    table = fitted.table
    needed = natural_width(table)
    if needed <= console.width:
        console.print(table)
    else:
        # Wider than the terminal (``wide``, or whole columns alone too wide): rendered at its own width,
        # since printing it would squeeze it to the console's; the terminal wraps the long lines.
        lines = console.render_lines(table, console.options.update(width=needed), pad=False, new_lines=True)
        console.print(Segments(segment for line in lines for segment in line), crop=False)
    if fitted.hidden:
        how = f"; {shown_by} show them" if shown_by else ""
        console.print(f"not shown at {console.width} columns: {', '.join(fitted.hidden)}{how}",
                      style="dim", markup=False, highlight=False)
