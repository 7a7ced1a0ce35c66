"""Terminal tables that fit the terminal without cutting what matters.

Identifiers and amounts (``whole`` columns) are never wrapped, cut or given an
ellipsis: a collector must be able to read an account id and an amount exactly.
Short fields (the default) are shown in full or not at all. Prose (``wrap``
columns: a description, a reason) wraps over lines, down to ``WRAP_MIN`` cells.

When the table does not fit the terminal, it gives way in this order: headers
and cells take their short forms, then columns are dropped from the least
important (highest ``priority``) up, until it fits; a line under it names what
was left out. ``wide`` shows every column in full whatever the width (the
terminal wraps the lines); ``--json`` on the commands gives the data itself.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.segment import Segments
from rich.table import Table
from rich.text import Text

# A cell is its text, or (full text, short text) when it has a short form.
Cell = str | tuple[str, str]
WRAP_MIN = 24  # a wrapped column narrower than this reads as a column of fragments


@dataclass(frozen=True)
class Column:
    header: str
    short: str | None = None  # the header when space is short
    priority: int = 0  # 0 is always shown; higher numbers are dropped first
    whole: bool = False  # identifiers and amounts: never wrapped, never cut
    wrap: bool = False  # prose that may wrap over lines
    justify: Literal["left", "right"] = "left"

    def title(self, compact: bool) -> str:
        return self.short if compact and self.short else self.header


@dataclass(frozen=True)
class Fitted:
    table: Table
    hidden: tuple[str, ...]  # headers of the columns left out to fit
    needed: int  # the narrowest width that shows it uncut (wrap columns at their narrowest)


def _text(cell: Cell, compact: bool) -> Text:
    # Plain text: a name or note with brackets in it is not rich markup.
    if isinstance(cell, tuple):
        return Text(cell[1] if compact else cell[0])
    return Text(cell)


def _longest_line(texts: list[Text]) -> int:
    return max((cell_len(line) for t in texts for line in t.plain.splitlines()), default=0)


_MEASURE = Console(width=10_000)


def natural_width(table: Table) -> int:
    """The width the table takes with no cell wrapped."""
    return Measurement.get(_MEASURE, _MEASURE.options, table).maximum


def _build(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    keep: list[int],
    compact: bool,
    title: str | None,
    wide: bool,
) -> tuple[Table, int]:
    """The table and the width it needs with its wrap columns at their narrowest."""
    table = Table(title=title, title_justify="left")
    full = 0  # the kept columns' contents at full width
    needed = 0  # the same with the wrap columns at WRAP_MIN
    for i in keep:
        column = columns[i]
        header = column.title(compact)
        longest = _longest_line([_text(row[i], compact) for row in rows] + [Text(header)])
        full += longest
        if column.wrap and not wide:
            needed += min(longest, WRAP_MIN)
            table.add_column(header, justify=column.justify, overflow="fold", min_width=min(longest, WRAP_MIN))
        else:
            needed += longest
            # Exactly as wide as its longest cell: rich may not squeeze it.
            table.add_column(header, justify=column.justify, no_wrap=True, min_width=longest)
    for row in rows:
        table.add_row(*(_text(row[i], compact) for i in keep))
    overhead = natural_width(table) - full  # borders and padding
    return table, needed + overhead


def fit_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    width: int,
    *,
    title: str | None = None,
    wide: bool = False,
) -> Fitted:
    """The fullest form of the table that fits ``width`` (see the module's doc)."""
    if any(len(row) != len(columns) for row in rows):
        raise ValueError("every row needs one cell per column")
    everything = list(range(len(columns)))
    if wide:
        table, needed = _build(columns, rows, everything, compact=False, title=title, wide=True)
        return Fitted(table, (), needed)
    candidates: list[tuple[list[int], bool]] = [(everything, False), (everything, True)]
    keep = list(everything)
    # Least important first; among equals the rightmost goes first.
    for i in sorted(everything, key=lambda i: (columns[i].priority, i), reverse=True):
        if columns[i].priority == 0:
            break
        keep = [k for k in keep if k != i]
        candidates.append((list(keep), True))
    for keep, compact in candidates:
        table, needed = _build(columns, rows, keep, compact, title, wide=False)
        hidden = tuple(columns[i].header for i in everything if i not in keep)
        if needed <= width:
            break
    # Past the loop without a fit, only the columns always shown remain; the terminal wraps the lines.
    return Fitted(table, hidden, needed)


def print_table(
    console: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    *,
    title: str | None = None,
    wide: bool = False,
    shown_by: str | None = "--wide or --json",
) -> None:
    """Print the table fitted to the console (or in full with ``wide``), never cutting a whole column.

    When columns were left out, a line names them and ``shown_by`` (what shows them).
    """
    fitted = fit_table(columns, rows, console.width, title=title, wide=wide)
    if fitted.needed <= console.width:
        console.print(fitted.table)  # rich narrows the wrap columns if need be, nothing else
    else:
        # Wider than the terminal (``wide``, or the columns always shown alone too wide): rendered at the
        # width it needs, since printing it would squeeze it to the console's; the terminal wraps the lines.
        options = console.options.update(width=fitted.needed)
        lines = console.render_lines(fitted.table, options, pad=False, new_lines=True)
        console.print(Segments(segment for line in lines for segment in line), crop=False)
    if fitted.hidden:
        how = f"; {shown_by} show them" if shown_by else ""
        console.print(
            f"not shown at {console.width} columns: {', '.join(fitted.hidden)}{how}",
            style="dim",
            markup=False,
            highlight=False,
        )
