"""Charts as inline SVG, drawn by matplotlib.

Why matplotlib to SVG: the page must open with no network and nothing to
install, and print. An SVG of a few tens of kilobytes per chart, drawn on
the server, has no JavaScript to load or fail (Plotly would inline 3-4 MB
of it into every report, Altair needs a JavaScript or node renderer);
matplotlib is the most widely used and longest maintained plotting library
in Python (NumFOCUS), and text is drawn as paths, so the page needs no fonts.
"""

import io
import re
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: files only

import matplotlib.pyplot as plt
from matplotlib.colors import LinearSegmentedColormap

from arrears.insight.report import Chart

PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"]
HEAT = LinearSegmentedColormap.from_list("roll", ["#f8fafc", "#fde68a", "#f97316", "#b91c1c"])

plt.rcParams.update(
    {
        "svg.fonttype": "path",  # glyphs as outlines: the page needs no font to show them
        "svg.hashsalt": "arrears",  # stable ids: the same data draws the same SVG
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 10,
    }
)


def svg(chart: Chart) -> str:
    """The chart as an <svg> element, ready to inline in HTML."""
    draw = {"heatmap": _heatmap, "lines": _lines, "bars": _bars, "intervals": _intervals}[chart.kind]
    fig = draw(chart.data)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # drop the XML declaration and doctype
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)  # RDF about the file: nothing to show
    return re.sub(
        r"<svg ", f'<svg role="img" aria-label="{_attr(chart.title)}" data-chart="{chart.key}" ', text, count=1
    )


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _heatmap(data: dict[str, Any]):
    rows, cols, values = data["rows"], data["cols"], data["values"]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.75 * len(cols) + 1.5), max(2.5, 0.45 * len(rows) + 1.2)))
    grid = [[v if v is not None else float("nan") for v in row] for row in values]
    ax.imshow(grid, cmap=HEAT, vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(cols)), cols)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel(data.get("xlabel", ""))
    ax.set_ylabel(data.get("ylabel", ""))
    labels = data.get("labels") or [[None] * len(cols) for _ in rows]
    for i, row in enumerate(values):
        for j, v in enumerate(row):
            if v is None:
                continue
            text = labels[i][j] or f"{v:.0%}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if v > 0.6 else "#111827")
    ax.spines[:].set_visible(False)
    return fig


def _lines(data: dict[str, Any]):
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    x = data["x"]
    for index, (name, ys) in enumerate(data["series"].items()):
        points = [(a, b) for a, b in zip(x, ys, strict=False) if b is not None]
        if points:
            ax.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                marker="o",
                markersize=3,
                linewidth=1.5,
                color=PALETTE[index % len(PALETTE)],
                label=str(name),
            )
    ax.set_xlabel(data.get("xlabel", ""))
    ax.set_ylabel(data.get("ylabel", ""))
    if data.get("percent"):
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_ylim(bottom=0, top=max(0.05, ax.get_ylim()[1]))  # a share is never negative
    if len(data["series"]) > 1:
        ax.legend(frameon=False, fontsize=7, ncols=2)
    ax.grid(axis="y", color="#e5e7eb", linewidth=0.6)
    return fig


def _bars(data: dict[str, Any]):
    labels, series = data["labels"], data["series"]
    height = max(2.4, 0.32 * len(labels) * max(1, len(series)) + 1.0)
    fig, ax = plt.subplots(figsize=(6.4, min(height, 9.0)))
    n = len(series)
    width = 0.8 / max(n, 1)
    for index, (name, values) in enumerate(series.items()):
        positions = [i - 0.4 + width * (index + 0.5) for i in range(len(labels))]
        ax.barh(
            positions,
            [v or 0 for v in values],
            height=width * 0.92,
            color=PALETTE[index % len(PALETTE)],
            label=str(name),
        )
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel(data.get("xlabel", ""))
    if data.get("percent"):
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    if data.get("reference") is not None:
        ax.axvline(data["reference"], color="#111827", linewidth=1, linestyle="--")
    if n > 1:
        ax.legend(frameon=False, fontsize=7)
    ax.grid(axis="x", color="#e5e7eb", linewidth=0.6)
    return fig


def _intervals(data: dict[str, Any]):
    """One panel per measure: each arm's estimate with its confidence interval."""
    panels = data["panels"]
    fig, axes = plt.subplots(1, len(panels), figsize=(max(3.2 * len(panels), 4.0), 2.6), squeeze=False)
    for ax, panel in zip(axes[0], panels, strict=False):
        arms = panel["arms"]
        for index, arm in enumerate(arms):
            est, lo, hi = arm["estimate"], arm["low"], arm["high"]
            if est is None:
                continue
            lo = est if lo is None else lo
            hi = est if hi is None else hi
            ax.errorbar(
                [est], [index], xerr=[[est - lo], [hi - est]], fmt="o", capsize=3, color=PALETTE[index % len(PALETTE)]
            )
        ax.set_yticks(range(len(arms)), [a["arm"] for a in arms])
        ax.invert_yaxis()
        ax.set_title(panel["title"])
        if panel.get("percent"):
            ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.grid(axis="x", color="#e5e7eb", linewidth=0.6)
        ax.margins(y=0.4)
    fig.tight_layout()
    return fig
