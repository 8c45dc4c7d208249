"""What the apps share: figures rendered off-screen to PNG, and input checks."""

from __future__ import annotations

import html
import io
import math
from typing import Any, Mapping

import numpy as np

from mlmon._optional import require

widgets = require("ipywidgets", needed_by="mlmon.widgets")


DPI = 90


def image(width: float, height: float) -> Any:
    """An Image widget sized to a ``width`` x ``height`` inch figure, so the page never rescales it."""
    return widgets.Image(format="png", layout=widgets.Layout(
        width=f"{round(width * DPI)}px", height=f"{round(height * DPI)}px", flex="0 0 auto", object_fit="contain"))


def new_figure(width: float, height: float, ncols: int = 1) -> tuple[Any, Any]:
    """A matplotlib figure that no backend displays by itself (the app shows its PNG)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def png(fig: Any) -> bytes:
    """The figure as PNG bytes (Agg, whatever the notebook's backend)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


class Blit:
    """A figure drawn once, whose few moving artists are redrawn over a saved background.

    Redrawing a whole figure (ticks, labels, curves) costs a few hundred milliseconds; redrawing
    a marker and a line over a cached background and encoding the PNG costs a few.
    """

    def __init__(self, fig: Any, moving: list[Any]) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.fig, self.moving = fig, list(moving)
        self.canvas = FigureCanvasAgg(fig)
        fig.canvas.draw()  # lay out and draw everything once
        fig.set_layout_engine("none")
        for artist in self.moving:
            artist.set_animated(True)
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(fig.bbox)

    def png(self) -> bytes:
        """The background with the moving artists at their current state, as PNG bytes."""
        from PIL import Image

        self.canvas.restore_region(self.background)
        for artist in self.moving:
            self.fig.draw_artist(artist)
        buf = io.BytesIO()
        Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(buf, format="png", compress_level=1)
        return buf.getvalue()


def named(items: Any, what: str, *, owner: str) -> dict[str, Any]:
    """``items`` as a non-empty ``{name: item}`` dict: a mapping, a list, or a single item."""
    if items is None:
        raise ValueError(f"{owner}: {what} is required.")
    if isinstance(items, Mapping):
        out = {str(k): v for k, v in items.items()}
    elif isinstance(items, (list, tuple)):
        out = {}
        for item in items:
            name = type(item).__name__
            k = name
            i = 2
            while k in out:
                k, i = f"{name} ({i})", i + 1
            out[k] = item
    else:
        out = {type(items).__name__: items}
    if not out:
        raise ValueError(f"{owner}: {what} is empty; give at least one.")
    return out


def fmt(value: float, digits: int = 4) -> str:
    """A number for a readout: ``inf``, ``n/a`` for NaN, otherwise ``digits`` significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "∞"
    return f"{value:,.{digits}g}" if abs(value) < 1e6 else f"{value:.3g}"


def table(rows: list[tuple[str, str]], css: str) -> str:
    """A two-column HTML table of (label, value) pairs with a CSS class for tests and styling."""
    body = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
                   f"<td style='text-align:right'>{v}</td></tr>" for k, v in rows)
    return f"<table class='{css}'>{body}</table>"

