"""The report's charts, drawn for a slide: the funnel as bars and the weekly trend as lines."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.reports.funnel import FunnelRow

SLIDE_INCHES = (13.33, 7.5)  # a 16:9 slide
DPI = 150
TITLE_SIZE = 30
LABEL_SIZE = 22
TICK_SIZE = 18
BAR_COLOUR = "#1d70b8"  # a dark blue that stays readable when projected
LINE_COLOURS = ("#1d70b8", "#f47738", "#00703c", "#912b88", "#d4351c")
ROTATE_AFTER = 6  # week labels start to overlap beyond this many


def funnel_chart(total: FunnelRow, stages: Sequence[str], labels: tuple[str, str, str], path: Path) -> None:
    """Draws the funnel as one labelled bar per stage and saves it as a PNG; labels: title, x, y."""
    figure, axes = _canvas(*labels)
    bars = axes.bar(list(stages), total.counts(), color=BAR_COLOUR)
    axes.bar_label(bars, fontsize=LABEL_SIZE, padding=4)
    _save(figure, axes, path)


def weekly_chart(
    weeks: Sequence[FunnelRow], stages: Sequence[str], labels: tuple[str, str, str], path: Path
) -> None:
    """Draws each stage's weekly count as a line and saves it as a PNG; labels: title, x, y."""
    figure, axes = _canvas(*labels)
    names = [row.key for row in weeks]
    for index, stage in enumerate(stages):
        values = [row.counts()[index] for row in weeks]
        colour = LINE_COLOURS[index % len(LINE_COLOURS)]
        axes.plot(names, values, marker="o", linewidth=3, markersize=10, color=colour, label=stage)
    axes.legend(fontsize=TICK_SIZE, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if len(names) > ROTATE_AFTER:
        axes.tick_params(axis="x", labelrotation=45)
    _save(figure, axes, path)


def _canvas(title: str, x_label: str, y_label: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=SLIDE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=TITLE_SIZE, pad=20)
    axes.set_xlabel(x_label, fontsize=LABEL_SIZE, labelpad=12)
    axes.set_ylabel(y_label, fontsize=LABEL_SIZE, labelpad=12)
    axes.tick_params(labelsize=TICK_SIZE)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _save(figure: Figure, axes: Axes, path: Path) -> None:
    top = max(axes.get_ylim()[1], 1.0)
    axes.set_ylim(0, top * 1.12)  # counts start at zero; the headroom keeps bar labels inside
    figure.savefig(path, format="png")
