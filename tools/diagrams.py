"""The course's diagrams, drawn with matplotlib, and their embedding in the notebooks.

    python tools/diagrams.py --out build/diagrams [--png]     # write every SVG (and PNG preview)
    python tools/diagrams.py --embed notebooks/*.ipynb        # refresh the attachments
    python tools/diagrams.py --check notebooks/*.ipynb        # exit 1 if one is missing or stale

`--embed --with-png` stores a PNG beside each SVG: JupyterLab and Notebook 7 show only raster
attachments in markdown cells.

A notebook shows a diagram with a markdown line such as
`![The recurrent neuron, unrolled](attachment:unrolled_rnn.svg)`; `--embed` stores the current
drawing in that cell's attachments (base64 SVG, so the notebook carries its own figures), and
`--check` fails when an attachment is missing or differs from what this script draws now.
The output is deterministic: the same matplotlib version draws byte-identical SVGs (another
version may draw different bytes, so `--check` is meant for the pinned one).
"""

from __future__ import annotations

import argparse
import base64
import io
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle  # noqa: E402

SVG = "image/svg+xml"
PNG = "image/png"
PNG_DPI = 120  # PNG attachments: 1200 px wide for a 10-inch diagram
# `![alt](attachment:name.svg)` in a markdown cell.
REFERENCE = re.compile(r"!\[[^\]]*\]\(attachment:([A-Za-z0-9_.-]+\.svg)\)")

# ---------------------------------------------------------------------------------------------
# Style: one palette, one font, one arrow for every diagram
# ---------------------------------------------------------------------------------------------

INK = "#222222"
MUTED = "#6b6b6b"
STATE = "#1f5f99"  # hidden state h
MEMORY = "#b03a2e"  # LSTM cell state C
GRAD = "#c0392b"  # gradients (backward pass)
CELL_FC, CELL_EC = "#e3eef8", "#1f5f99"  # a recurrent cell
INPUT_FC, INPUT_EC = "#fbe3d6", "#b5542a"  # inputs
OUTPUT_FC, OUTPUT_EC = "#e2f1de", "#3b7d3b"  # outputs
SIGMA_FC, SIGMA_EC = "#fdebc8", "#b7791f"  # sigmoid gates
TANH_FC, TANH_EC = "#dcefd9", "#3b7d3b"  # tanh layers
LINEAR_FC, LINEAR_EC = "#f1f1f1", "#777777"  # plain affine maps
BODY_FC, BODY_EC = "#f7f9fc", "#9fb4c8"  # the frame of a cell
LW = 1.5
FONT = 12
SMALL = 10.5
RC = {
    "font.family": "DejaVu Sans",
    "font.size": FONT,
    "mathtext.fontset": "dejavusans",
    "svg.fonttype": "path",
    "svg.hashsalt": "rnn-course",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "path.simplify": False,
}


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    """A white figure whose data units are inches: (0, 0) bottom left, (width, height) top right."""
    with plt.rc_context(RC):
        fig = Figure(figsize=(width, height))
        ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _text(ax: Axes, x: float, y: float, s: str, size: float = FONT, **kw) -> None:
    kw.setdefault("ha", "center")
    kw.setdefault("va", "center")
    kw.setdefault("color", INK)
    ax.text(x, y, s, fontsize=size, zorder=5, **kw)


def _box(
    ax: Axes,
    x: float,
    y: float,
    w: float,
    h: float,
    label: str = "",
    fc: str = CELL_FC,
    ec: str = CELL_EC,
    size: float = FONT,
    lw: float = LW,
    zorder: float = 3,
    **kw,
) -> None:
    """A rounded box centred on (x, y), with an optional label inside."""
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0,rounding_size=0.07",
            fc=fc,
            ec=ec,
            lw=lw,
            zorder=zorder,
            **kw,
        )
    )
    if label:
        _text(ax, x, y, label, size)


def _op(ax: Axes, x: float, y: float, label: str, r: float = 0.17, size: float = 13) -> None:
    """A pointwise operation: a small circle with ×, + or 1−."""
    ax.add_patch(Circle((x, y), r, fc="white", ec=INK, lw=LW, zorder=4))
    _text(ax, x, y, label, size)


def _dot(ax: Axes, x: float, y: float, color: str = INK) -> None:
    """A junction: a line splits here."""
    ax.add_patch(Circle((x, y), 0.045, fc=color, ec=color, lw=0, zorder=4))


def _arrow(
    ax: Axes,
    points: Sequence[tuple[float, float]],
    color: str = INK,
    lw: float = LW,
    ls: str = "-",
    head: bool = True,
    zorder: float = 2,
    rad: float = 0.0,
) -> None:
    """A polyline through `points` with an arrow head at the end (a curve if `rad` is set)."""
    style = "-|>,head_length=0.45,head_width=0.22" if head else "-"
    kw = {"color": color, "lw": lw, "ls": ls, "zorder": zorder, "shrinkA": 0, "shrinkB": 0}
    if len(points) > 2:
        ax.plot(
            [p[0] for p in points[:-1]],
            [p[1] for p in points[:-1]],
            color=color,
            lw=lw,
            ls=ls,
            zorder=zorder,
            solid_capstyle="butt",
            solid_joinstyle="miter",
        )
        points = points[-2:]
    ax.add_patch(
        FancyArrowPatch(
            points[0],
            points[1],
            arrowstyle=style,
            mutation_scale=20,
            connectionstyle=f"arc3,rad={rad}",
            joinstyle="miter",
            capstyle="butt",
            **kw,
        )
    )


def _line(ax: Axes, points: Sequence[tuple[float, float]], color: str = INK, **kw) -> None:
    _arrow(ax, points, color=color, head=False, **kw)


# ---------------------------------------------------------------------------------------------
# 1. The recurrent neuron, folded and unrolled
# ---------------------------------------------------------------------------------------------


def draw_unrolled_rnn() -> Figure:
    """The recurrent neuron: folded (a loop) = unrolled over four steps with shared weights."""
    fig, ax = _figure(9.6, 3.9)
    cw, ch, cy = 1.05, 0.7, 2.05  # cell width, height, centre height
    weights = "$W_x,\\ W_h,\\ b$"

    def cell(x: float, t: str) -> None:
        _box(ax, x, cy, cw, ch, weights, size=SMALL)
        _box(ax, x, 0.85, 0.55, 0.4, f"$x_{{{t}}}$", INPUT_FC, INPUT_EC)
        _box(ax, x, 3.35, 0.55, 0.4, f"$y_{{{t}}}$", OUTPUT_FC, OUTPUT_EC)
        _arrow(ax, [(x, 1.05), (x, cy - ch / 2)])
        _arrow(ax, [(x, cy + ch / 2), (x, 3.15)])

    # folded: the loop carries h_t back into the cell as the next step's h_{t-1}
    fx = 1.0
    cell(fx, "t")
    right, loop = fx + cw / 2, 0.45
    _arrow(
        ax,
        [
            (right, cy + 0.17),
            (right + loop, cy + 0.17),
            (right + loop, cy - 0.17),
            (right, cy - 0.17),
        ],
        color=STATE,
    )
    _text(ax, right + loop + 0.1, cy, "$h_t$", color=STATE, ha="left")
    _text(ax, 2.75, cy, "=", size=24)

    # unrolled over four steps
    xs = [4.15, 5.75, 7.35, 8.95]
    for t, x in enumerate(xs, start=1):
        cell(x, str(t))
    _text(ax, 3.15, cy + 0.22, "$h_0$", color=STATE)
    _arrow(ax, [(3.2, cy), (xs[0] - cw / 2, cy)], color=STATE)
    for t, (a, b) in enumerate(zip(xs[:-1], xs[1:], strict=True), start=1):
        _arrow(ax, [(a + cw / 2, cy), (b - cw / 2, cy)], color=STATE)
        _text(ax, (a + b) / 2, cy + 0.2, f"$h_{t}$", color=STATE)
    _text(
        ax,
        (xs[0] + xs[-1]) / 2,
        0.25,
        "the same weights $W_x$, $W_h$, $b$ at every step",
        size=SMALL,
        color=MUTED,
        style="italic",
    )
    _text(ax, fx, 3.75, "folded", size=SMALL, color=MUTED)
    _text(ax, (xs[0] + xs[-1]) / 2, 3.75, "unrolled over 4 time steps", size=SMALL, color=MUTED)
    return fig


# ---------------------------------------------------------------------------------------------
# 2. Architecture types
# ---------------------------------------------------------------------------------------------


def _sequence_panel(
    ax: Axes,
    x0: float,
    y0: float,
    inputs: Sequence[bool],
    outputs: Sequence[bool],
    title: str,
    example: str,
    decoder_from: int | None = None,
) -> float:
    """One architecture: a row of cells, inputs below, outputs above; returns its width."""
    step, s = 0.62, 0.38  # column spacing, box size
    n = len(inputs)
    width = (n - 1) * step + s
    cx = [x0 + s / 2 + i * step for i in range(n)]
    yi, yc, yo = y0 + 0.45, y0 + 1.2, y0 + 1.95
    for i, x in enumerate(cx):
        _box(ax, x, yc, s, s)
        if inputs[i]:
            _box(ax, x, yi, s, s, fc=INPUT_FC, ec=INPUT_EC)
            _arrow(ax, [(x, yi + s / 2), (x, yc - s / 2)], lw=1.2)
        if outputs[i]:
            _box(ax, x, yo, s, s, fc=OUTPUT_FC, ec=OUTPUT_EC)
            _arrow(ax, [(x, yc + s / 2), (x, yo - s / 2)], lw=1.2)
        if i:
            _arrow(ax, [(cx[i - 1] + s / 2, yc), (x - s / 2, yc)], color=STATE, lw=1.2)
    mid = x0 + width / 2
    _text(ax, mid, y0 + 2.5, title, weight="bold")
    _text(ax, mid, y0 - 0.05, example, size=SMALL, color=MUTED, style="italic")
    if decoder_from is not None:
        _text(ax, (cx[0] + cx[decoder_from - 1]) / 2, yo, "encoder: reads", size=SMALL, color=MUTED)
        _text(ax, (cx[decoder_from] + cx[-1]) / 2, yi, "decoder: writes", size=SMALL, color=MUTED)
    return width


def draw_architectures() -> Figure:
    """The five ways inputs and outputs line up in time, each with an example task."""
    fig, ax = _figure(9.6, 6.8)
    T, F = True, False
    top, bottom = 3.95, 0.9
    for centre, (ins, outs, title, example) in zip(
        (1.3, 4.75, 8.15),
        (
            ([T], [T], "one-to-one", "image classification\n(no recurrence)"),
            ([T, F, F, F], [T] * 4, "one-to-many", "image captioning,\nmusic generation"),
            ([T] * 4, [F, F, F, T], "many-to-one", "sentiment of a review"),
        ),
        strict=True,
    ):
        width = (len(ins) - 1) * 0.62 + 0.38
        _sequence_panel(ax, centre - width / 2, top, ins, outs, title, example)
    _sequence_panel(
        ax,
        0.95,
        bottom,
        [T] * 4,
        [T] * 4,
        "many-to-many (synced)",
        "a label for every frame or word",
    )
    _sequence_panel(
        ax,
        5.1,
        bottom,
        [T] * 4 + [F] * 3,
        [F] * 4 + [T] * 3,
        "encoder–decoder (many-to-many, delayed)",
        "translation: read the whole sentence, then write",
        decoder_from=4,
    )
    # legend
    y = 0.25
    for x, label, fc, ec in (
        (1.2, "input $x_t$", INPUT_FC, INPUT_EC),
        (3.3, "recurrent cell", CELL_FC, CELL_EC),
        (5.4, "output $y_t$", OUTPUT_FC, OUTPUT_EC),
    ):
        _box(ax, x, y, 0.26, 0.26, fc=fc, ec=ec)
        _text(ax, x + 0.22, y, label, size=SMALL, ha="left")
    _arrow(ax, [(7.3, y), (7.75, y)], color=STATE, lw=1.2)
    _text(ax, 7.85, y, "state $h_t$", size=SMALL, ha="left")
    return fig


# ---------------------------------------------------------------------------------------------
# 3. The LSTM cell
# ---------------------------------------------------------------------------------------------


def _gate(ax: Axes, x: float, y: float, kind: str) -> None:
    """A layer with weights: σ (a gate) or tanh (values)."""
    if kind == "sigma":
        _box(ax, x, y, 0.5, 0.42, "$\\sigma$", SIGMA_FC, SIGMA_EC, size=13)
    else:
        _box(ax, x, y, 0.66, 0.42, "$\\tanh$", TANH_FC, TANH_EC, size=FONT)


def _frame(ax: Axes, x0: float, y0: float, x1: float, y1: float) -> None:
    """The outline of a cell: what happens inside one time step."""
    ax.add_patch(
        FancyBboxPatch(
            (x0, y0),
            x1 - x0,
            y1 - y0,
            boxstyle="round,pad=0,rounding_size=0.2",
            fc=BODY_FC,
            ec=BODY_EC,
            lw=1.2,
            zorder=0,
        )
    )


def _legend(ax: Axes, x: float, y: float, linear: bool = False) -> None:
    """What the shapes inside a gated cell mean (`linear`: grey boxes hold the weights)."""
    if linear:
        _box(ax, x - 0.1, y, 0.3, 0.26, "", SIGMA_FC, SIGMA_EC)
        _box(ax, x + 0.1, y, 0.3, 0.26, "", LINEAR_FC, LINEAR_EC)
        _text(ax, x + 0.35, y, "with weights", size=SMALL, ha="left")
    else:
        _box(ax, x - 0.1, y, 0.3, 0.26, "", SIGMA_FC, SIGMA_EC)
        _box(ax, x + 0.1, y, 0.3, 0.26, "", TANH_FC, TANH_EC)
        _text(ax, x + 0.35, y, "layer with weights", size=SMALL, ha="left")
    _op(ax, x, y - 0.38, "×", r=0.12, size=SMALL)
    _text(ax, x + 0.3, y - 0.38, "element-wise", size=SMALL, ha="left")


def draw_lstm_cell() -> Figure:
    """The LSTM cell: the cell-state highway on top, four gates reading [h_{t-1}, x_t]."""
    fig, ax = _figure(10.0, 5.75)
    yC, yM, yG, yB = 4.55, 3.6, 2.65, 1.75  # cell state, products, gates, input bus
    xf, xi, xc, xo, xh = 2.35, 3.7, 5.05, 6.4, 7.55
    xend = 9.95
    _frame(ax, 0.9, 1.25, 8.25, 5.0)

    # cell-state highway: C_{t-1} -> (x f) -> (+ i*C~) -> C_t
    _text(ax, 0.05, yC + 0.3, "$C_{t-1}$", color=MEMORY, ha="left")
    _line(ax, [(0.05, yC), (xf - 0.17, yC)], color=MEMORY, lw=2.6)
    _op(ax, xf, yC, "×")
    _line(ax, [(xf + 0.17, yC), (xc - 0.17, yC)], color=MEMORY, lw=2.6)
    _op(ax, xc, yC, "+")
    _arrow(ax, [(xc + 0.17, yC), (xend, yC)], color=MEMORY, lw=2.6)
    _text(ax, xend, yC + 0.3, "$C_t$", color=MEMORY, ha="right")
    _text(
        ax,
        (xf + xc) / 2,
        yC + 0.72,
        "cell state (long-term memory): $C_t = f_t * C_{t-1} + i_t * \\tilde C_t$",
        size=SMALL,
        color=MEMORY,
    )

    # input bus: h_{t-1} from the left, x_t from below, stacked into [h_{t-1}, x_t]
    _text(ax, 0.05, yB + 0.3, "$h_{t-1}$", color=STATE, ha="left")
    _line(ax, [(0.05, yB), (xo, yB)], color=STATE)
    _arrow(ax, [(1.4, 0.1), (1.4, yB)])
    _text(ax, 1.25, 0.3, "$x_t$", ha="right")
    _dot(ax, 1.4, yB, STATE)
    _text(ax, 1.5, yB - 0.22, "$[h_{t-1}, x_t]$", size=SMALL, color=STATE, ha="left")
    for x, kind in ((xf, "sigma"), (xi, "sigma"), (xc, "tanh"), (xo, "sigma")):
        if x != xo:
            _dot(ax, x, yB, STATE)
        _arrow(ax, [(x, yB), (x, yG - 0.21)], color=STATE)
        _gate(ax, x, yG, kind)

    # forget gate: f_t scales the old memory
    _arrow(ax, [(xf, yG + 0.21), (xf, yC - 0.17)])
    _text(ax, xf + 0.12, (yG + yC) / 2, "$f_t$", ha="left")
    # input gate and candidate: i_t * C~_t is added
    _arrow(ax, [(xi, yG + 0.21), (xi, yM), (xc - 0.17, yM)])
    _text(ax, xi + 0.12, yG + 0.55, "$i_t$", ha="left")
    _op(ax, xc, yM, "×")
    _arrow(ax, [(xc, yG + 0.21), (xc, yM - 0.17)])
    _text(ax, xc + 0.12, yG + 0.5, "$\\tilde C_t$", ha="left")
    _arrow(ax, [(xc, yM + 0.17), (xc, yC - 0.17)])
    # output: h_t = o_t * tanh(C_t)
    _dot(ax, xh, yC, MEMORY)
    _arrow(ax, [(xh, yC), (xh, yM + 0.21)], color=MEMORY)
    _box(ax, xh, yM, 0.66, 0.42, "$\\tanh$", "white", TANH_EC)
    _text(ax, xh + 0.42, yM, "no weights", size=9.5, color=MUTED, ha="left")
    _arrow(ax, [(xh, yM - 0.21), (xh, yG + 0.17)])
    _op(ax, xh, yG, "×")
    _arrow(ax, [(xo + 0.25, yG), (xh - 0.17, yG)])
    _text(ax, (xo + xh) / 2 + 0.05, yG + 0.2, "$o_t$")
    _arrow(ax, [(xh, yG - 0.17), (xh, yB), (xend, yB)], color=STATE)
    _text(ax, xend, yB + 0.3, "$h_t = o_t * \\tanh(C_t)$", color=STATE, ha="right")

    # what each gate does
    for x, name, role in (
        (xf, "forget gate $f_t$", "how much of $C_{t-1}$\nto keep"),
        (xi, "input gate $i_t$", "how much of $\\tilde C_t$\nto write"),
        (xc, "candidate $\\tilde C_t$", "new values\nto write"),
        (xo, "output gate $o_t$", "how much of the\nmemory to show"),
    ):
        _text(ax, x, 1.05, name, size=SMALL, weight="bold")
        _text(ax, x, 0.52, role, size=SMALL, color=MUTED)
    _legend(ax, 8.1, 0.95)
    return fig


# ---------------------------------------------------------------------------------------------
# 4. The GRU cell, as Keras computes it
# ---------------------------------------------------------------------------------------------


def draw_gru_cell() -> Figure:
    """Keras' GRU cell (reset_after=True): h_t = z_t * h_{t-1} + (1 - z_t) * h~_t."""
    fig, ax = _figure(10.0, 6.1)
    yH, yZ, yR, yG, yB = 5.15, 4.35, 3.5, 2.7, 1.95  # state line, z line, r/sum, gates, bus
    xz, xr, xu, xw, xh = 2.4, 3.6, 5.05, 6.75, 8.3
    _frame(ax, 0.8, 1.5, 9.0, 5.55)

    # the state line: h_{t-1} -> (x z) -> (+ (1-z) h~) -> h_t
    xm = 4.3
    _text(ax, 0.05, yH + 0.3, "$h_{t-1}$", color=STATE, ha="left")
    _line(ax, [(0.05, yH), (xm - 0.17, yH)], color=STATE, lw=2.2)
    _op(ax, xm, yH, "×")
    _line(ax, [(xm + 0.17, yH), (xh - 0.17, yH)], color=STATE, lw=2.2)
    _op(ax, xh, yH, "+")
    _arrow(ax, [(xh + 0.17, yH), (9.9, yH)], color=STATE, lw=2.2)
    _text(ax, 9.9, yH + 0.3, "$h_t$", color=STATE, ha="right")
    _text(
        ax,
        6.2,
        yH + 0.62,
        "$h_t = z_t * h_{t-1} + (1 - z_t) * \\tilde h_t$",
        size=SMALL,
        color=STATE,
    )

    # input bus [h_{t-1}, x_t]
    _dot(ax, 1.2, yH, STATE)
    _line(ax, [(1.2, yH), (1.2, yB), (xw, yB)], color=STATE)
    _arrow(ax, [(1.7, 0.45), (1.7, yB)])
    _text(ax, 1.55, 0.6, "$x_t$", ha="right")
    _dot(ax, 1.7, yB, STATE)
    _text(ax, 1.85, yB - 0.25, "$[h_{t-1}, x_t]$", size=SMALL, color=STATE, ha="left")
    for x in (xz, xr, xu):
        _dot(ax, x, yB, STATE)
    for x in (xz, xr):
        _arrow(ax, [(x, yB), (x, yG - 0.21)], color=STATE)
        _gate(ax, x, yG, "sigma")
    # the two affine parts of the candidate
    _arrow(ax, [(xu, yB), (xu, yG - 0.21)], color=STATE)
    _box(ax, xu, yG, 1.35, 0.42, "$h_{t-1} U_h + b_{hh}$", LINEAR_FC, LINEAR_EC, size=SMALL)
    _arrow(ax, [(xw, yB), (xw, yG - 0.21)], color=STATE)
    _box(ax, xw, yG, 1.15, 0.42, "$x_t W_h + b_h$", LINEAR_FC, LINEAR_EC, size=SMALL)

    # update gate: z_t keeps the old state, 1 - z_t lets the candidate in
    _line(ax, [(xz, yG + 0.21), (xz, yZ), (xm, yZ)])
    _dot(ax, xm, yZ)
    _arrow(ax, [(xm, yZ), (xm, yH - 0.17)])
    _text(ax, xz + 0.12, yZ - 0.3, "$z_t$", ha="left")
    _arrow(ax, [(xm, yZ), (6.6 - 0.17, yZ)])
    _op(ax, 6.6, yZ, "1−", size=10)
    _arrow(ax, [(6.6 + 0.17, yZ), (xh - 0.17, yZ)])
    _text(ax, 7.45, yZ + 0.22, "$1 - z_t$")
    _op(ax, xh, yZ, "×")
    _arrow(ax, [(xh, yZ + 0.17), (xh, yH - 0.17)])
    # reset gate: r_t scales the recurrent part of the candidate, after the product (Keras)
    _arrow(ax, [(xr, yG + 0.21), (xr, yR), (xu - 0.17, yR)])
    _text(ax, xr + 0.12, yG + 0.5, "$r_t$", ha="left")
    _op(ax, xu, yR, "×")
    _arrow(ax, [(xu, yG + 0.21), (xu, yR - 0.17)])
    _arrow(ax, [(xu + 0.17, yR), (xw - 0.17, yR)])
    _op(ax, xw, yR, "+")
    _arrow(ax, [(xw, yG + 0.21), (xw, yR - 0.17)])
    _arrow(ax, [(xw + 0.17, yR), (xh - 0.33, yR)])
    _box(ax, xh, yR, 0.66, 0.42, "$\\tanh$", "white", TANH_EC, size=FONT)  # weights: grey boxes
    _arrow(ax, [(xh, yR + 0.21), (xh, yZ - 0.17)])
    _text(ax, xh + 0.12, (yR + yZ) / 2 + 0.02, "$\\tilde h_t$", ha="left")

    for x, name, role in (
        (xz, "update gate $z_t$", "near 1: keep $h_{t-1}$\nnear 0: take $\\tilde h_t$"),
        (xr + 0.35, "reset gate $r_t$", "how much of $h_{t-1}$\ngoes into $\\tilde h_t$"),
        (xw, "candidate $\\tilde h_t$", "the new state\nit could take"),
    ):
        _text(ax, x, 1.05, name, size=SMALL, weight="bold")
        _text(ax, x, 0.52, role, size=SMALL, color=MUTED)
    _legend(ax, 8.1, 0.95, linear=True)
    _text(
        ax,
        5.5,
        0.0,
        "as Keras computes it (GRUCell, reset_after=True): "
        "$\\tilde h_t = \\tanh(x_t W_h + b_h + r_t * (h_{t-1} U_h + b_{hh}))$",
        size=SMALL,
        color=MUTED,
        va="bottom",
    )
    return fig


# ---------------------------------------------------------------------------------------------
# 5. Truncated backpropagation through time
# ---------------------------------------------------------------------------------------------


def draw_truncated_bptt() -> Figure:
    """A long sequence in chunks of k steps: the state crosses borders, the gradient does not."""
    k, chunks = 4, 3
    fig, ax = _figure(10.0, 4.4)
    step, s, y = 0.74, 0.42, 2.0
    x0 = 1.05
    xs = [x0 + i * step for i in range(k * chunks)]
    borders = [xs[c * k - 1] + step / 2 for c in range(1, chunks)]
    _text(ax, 0.25, y + 0.22, "$h_0$", color=STATE)
    _arrow(ax, [(0.3, y), (xs[0] - s / 2, y)], color=STATE)
    for i, x in enumerate(xs):
        _box(ax, x, y, s, s)
        _box(ax, x, y - 0.85, 0.36, 0.32, f"$x_{{{i + 1}}}$", INPUT_FC, INPUT_EC, size=9.5)
        _arrow(ax, [(x, y - 0.69), (x, y - s / 2)], lw=1.2)
        if i:
            crossing = any(abs((xs[i - 1] + x) / 2 - b) < 1e-9 for b in borders)
            _arrow(
                ax,
                [(xs[i - 1] + s / 2, y), (x - s / 2, y)],
                color=STATE,
                lw=2.2 if crossing else LW,
            )
    # chunk borders
    for b in borders:
        ax.plot([b, b], [0.75, 3.55], color=MUTED, lw=1, ls=(0, (2, 2)), zorder=1)
    # backward pass inside each chunk, right to left, stopping at the chunk's first step
    yb = y + 0.62
    for c in range(chunks):
        cx = xs[c * k : (c + 1) * k]
        # loss of the chunk, read at its last step
        _box(ax, cx[-1], y + 1.35, 0.62, 0.34, f"$L_{c + 1}$", OUTPUT_FC, OUTPUT_EC, size=SMALL)
        _arrow(ax, [(cx[-1], y + s / 2), (cx[-1], y + 1.18)], lw=1.2)
        _arrow(ax, [(cx[-1] - 0.12, y + 1.18), (cx[-1] - 0.12, y + s / 2)], color=GRAD, ls="--")
        for a, b in zip(cx[:0:-1], cx[-2::-1], strict=True):
            _arrow(ax, [(a - 0.05, yb), (b + 0.05, yb)], color=GRAD, ls="--", rad=0.35)
        if c:
            # the gradient would go on into the previous chunk: it stops at the border
            bx = borders[c - 1]
            _line(ax, [(cx[0] - 0.05, yb), (bx + 0.08, yb)], color=GRAD, ls="--")
            ax.plot([bx + 0.08] * 2, [yb - 0.15, yb + 0.15], color=GRAD, lw=3, zorder=3)
            _text(ax, bx, 3.75, "gradient\nstops here", size=9.5, color=GRAD)
        mid = (cx[0] + cx[-1]) / 2
        _text(ax, mid, 0.5, f"chunk {c + 1}: $k = {k}$ steps", size=SMALL)
        _text(ax, mid, 0.18, "→ one weight update", size=SMALL, color=MUTED)
    # legend
    _arrow(ax, [(0.2, 4.2), (0.75, 4.2)], color=STATE, lw=2.2)
    _text(ax, 0.85, 4.2, "forward: the state carries on across chunks", size=SMALL, ha="left")
    _arrow(ax, [(5.65, 4.2), (5.1, 4.2)], color=GRAD, ls="--")
    _text(ax, 5.75, 4.2, "backward: only within the chunk", size=SMALL, ha="left")
    return fig


# ---------------------------------------------------------------------------------------------
# 6. Attention in an encoder-decoder
# ---------------------------------------------------------------------------------------------

SOURCE = ("the", "black", "cat", ".")
TARGET = ("le", "chat", "noir", ".")
# attention weights a_{t,j} (rows: French words written, columns: English words); each row sums
# to 1. Writing "chat" (row 2) looks at "cat" (column 3): off the diagonal.
ALIGNMENT = (
    (0.85, 0.05, 0.05, 0.05),
    (0.04, 0.16, 0.75, 0.05),
    (0.05, 0.80, 0.10, 0.05),
    (0.02, 0.03, 0.05, 0.90),
)


def draw_attention() -> Figure:
    """One decoder step with dot-product attention over a bidirectional encoder's outputs."""
    fig, ax = _figure(10.0, 6.2)
    xs = [1.0, 2.1, 3.2, 4.3]
    yw, ye, yk = 0.75, 1.8, 3.0  # words, encoder, keys
    t = 1  # the decoder step shown: writing "chat" after "le"
    weights = ALIGNMENT[t]

    # bidirectional encoder: a forward cell (bottom) and a backward cell (top) per word
    for j, x in enumerate(xs):
        _text(ax, x, yw, f"“{SOURCE[j]}”", style="italic")
        _arrow(ax, [(x, yw + 0.2), (x, ye - 0.36)], lw=1.2)
        _box(ax, x, ye - 0.18, 0.6, 0.36, "→", size=SMALL)
        _box(ax, x, ye + 0.18, 0.6, 0.36, "←", size=SMALL)
        _arrow(ax, [(x, ye + 0.36), (x, yk - 0.19)], lw=1.2)
        _box(ax, x, yk, 0.5, 0.38, f"$k_{j + 1}$", OUTPUT_FC, OUTPUT_EC)
        if j:
            _arrow(ax, [(xs[j - 1] + 0.3, ye - 0.18), (x - 0.3, ye - 0.18)], color=STATE, lw=1.2)
            _arrow(ax, [(x - 0.3, ye + 0.18), (xs[j - 1] + 0.3, ye + 0.18)], color=STATE, lw=1.2)
    _text(ax, (xs[0] + xs[-1]) / 2, 0.25, "encoder (bidirectional LSTM)", size=SMALL, color=MUTED)

    # decoder: the previous step (wrote "le") and the current one
    xd0, xd = 6.15, 7.55
    _arrow(ax, [(xs[-1] + 0.3, ye), (xd0 - 0.32, ye)], color=STATE, lw=1.2)
    _text(ax, (xs[-1] + xd0) / 2, ye + 0.2, "state", size=SMALL, color=STATE)
    for x, word in ((xd0, "[start]"), (xd, f"“{TARGET[t - 1]}”")):
        _box(ax, x, ye, 0.64, 0.5, "LSTM", size=SMALL)
        _text(ax, x, yw, word, style="italic")
        _arrow(ax, [(x, yw + 0.2), (x, ye - 0.25)], lw=1.2)
    _arrow(ax, [(xd0 + 0.32, ye), (xd - 0.32, ye)], color=STATE, lw=1.2)
    _text(ax, xd0, ye + 0.55, "wrote “le”", size=SMALL, color=MUTED, style="italic")
    _text(ax, (xd0 + xd) / 2, 0.25, "decoder", size=SMALL, color=MUTED)
    _arrow(ax, [(xd, ye + 0.25), (xd, yk - 0.19)], lw=1.2)
    _box(ax, xd, yk, 0.5, 0.38, "$q_t$", CELL_FC, CELL_EC)

    # attention: q_t is compared with every k_j; the weights a_{t,j} make the context c_t
    xc, yc = 5.4, 4.35
    for j, x in enumerate(xs):
        w = weights[j]
        ax.plot(
            [x, xc],
            [yk + 0.19, yc],
            color=MEMORY,
            lw=0.8 + 7 * w,
            alpha=0.85,
            zorder=1,
            solid_capstyle="round",
        )
        f = 0.3  # label the line near its k_j end, where the lines are far apart
        _text(
            ax,
            x + f * (xc - x),
            yk + 0.19 + f * (yc - yk - 0.19),
            f"{w:.2f}",
            size=SMALL,
            color=MEMORY,
            weight="bold",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
        )
    ax.plot([xd - 0.25, xc + 0.16], [yk + 0.1, yc - 0.16], color=MUTED, lw=1.2, ls=(0, (3, 2)))
    _text(ax, 6.62, 3.92, "query", size=SMALL, color=MUTED, rotation=-38)
    _op(ax, xc, yc, "Σ", r=0.22, size=13)
    _text(
        ax,
        0.3,
        5.75,
        "$a_{t,j} = \\mathrm{softmax}_j(q_t \\cdot k_j)$: weights, sum = 1",
        color=MEMORY,
        ha="left",
    )
    _text(ax, 0.3, 5.2, "$c_t = \\sum_j a_{t,j}\\, k_j$: the context", color=MEMORY, ha="left")

    # combine context and query, predict the next French word
    yo = 5.05
    _arrow(ax, [(xc + 0.22, yc), (xd - 0.2, yc), (xd - 0.2, yo - 0.21)], color=MEMORY, lw=1.2)
    _text(ax, 6.3, yc + 0.18, "$c_t$", color=MEMORY)
    _arrow(ax, [(xd + 0.2, yk + 0.19), (xd + 0.2, yo - 0.21)], lw=1.2)
    _box(ax, xd, yo, 1.55, 0.42, "$\\tanh(W\\,[q_t; c_t])$", TANH_FC, TANH_EC, size=SMALL)
    _arrow(ax, [(xd, yo + 0.21), (xd, 5.7)], lw=1.2)
    _text(ax, xd, 5.93, "“chat”", weight="bold", style="italic")
    _text(ax, xd + 0.12, 5.47, "softmax", size=SMALL, color=MUTED, ha="left")

    # the whole sentence's attention map: off the diagonal where French reorders the words
    mx, my, cs = 8.75, 2.45, 0.3  # bottom-left corner, cell size
    for r, row in enumerate(ALIGNMENT):
        for c, a in enumerate(row):
            yy = my + (len(ALIGNMENT) - 1 - r) * cs
            ax.add_patch(
                Rectangle(
                    (mx + c * cs, yy),
                    cs,
                    cs,
                    fc=plt.get_cmap("Reds")(0.05 + 0.9 * a),
                    ec="white",
                    lw=1,
                    zorder=2,
                )
            )
        _text(
            ax, mx - 0.08, my + (len(ALIGNMENT) - 0.5 - r) * cs, TARGET[r], size=SMALL, ha="right"
        )
    for c, word in enumerate(SOURCE):
        _text(ax, mx + (c + 0.5) * cs, my - 0.08, word, size=SMALL, rotation=90, va="top")
    row_y = my + (len(ALIGNMENT) - 1 - t) * cs
    ax.add_patch(Rectangle((mx, row_y), 4 * cs, cs, fc="none", ec=INK, lw=1.5, zorder=3))
    _text(ax, mx + 2 * cs - 0.2, my + 4 * cs + 0.3, "every step's $a_{t,j}$", size=SMALL)
    _text(
        ax,
        mx + 2 * cs - 0.2,
        my - 0.95,
        "“le chat noir”:\noff the diagonal",
        size=SMALL,
        color=MUTED,
    )
    return fig


# ---------------------------------------------------------------------------------------------
# Registry, rendering, command line
# ---------------------------------------------------------------------------------------------

DIAGRAMS: dict[str, Callable[[], Figure]] = {
    "unrolled_rnn.svg": draw_unrolled_rnn,
    "architectures.svg": draw_architectures,
    "lstm_cell.svg": draw_lstm_cell,
    "gru_cell.svg": draw_gru_cell,
    "truncated_bptt.svg": draw_truncated_bptt,
    "attention.svg": draw_attention,
}


def render(name: str) -> bytes:
    """The SVG of diagram `name` (a key of DIAGRAMS), byte for byte the same on every run."""
    with plt.rc_context(RC):
        fig = DIAGRAMS[name]()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def render_png(name: str, dpi: int = 100) -> bytes:
    """A PNG preview of diagram `name`."""
    with plt.rc_context(RC):
        fig = DIAGRAMS[name]()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def write_all(out: Path, png: bool = False) -> list[Path]:
    """Write every diagram as SVG (and PNG) into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in DIAGRAMS:
        path = out / name
        path.write_bytes(render(name))
        written.append(path)
        if png:
            path = path.with_suffix(".png")
            path.write_bytes(render_png(name))
            written.append(path)
    return written


def references(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """(cell index, file name) of every `![...](attachment:NAME.svg)` in markdown cells."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            found += [(index, name) for name in REFERENCE.findall(cell.source)]
    return found


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def attachment(name: str, png: bool = False) -> dict[str, str]:
    """The mime bundle stored for diagram `name`: base64 SVG, and a PNG too if `png`.

    JupyterLab (and Notebook 7) show markdown attachments of raster types only and take the
    bundle's first key, which is image/png once nbformat sorts the keys: the PNG is for them.
    """
    bundle = {SVG: _b64(render(name))}
    if png:
        bundle[PNG] = _b64(render_png(name, dpi=PNG_DPI))
    return bundle


def embed_notebook(path: str | Path, png: bool = False) -> list[str]:
    """Store the current drawing of every diagram the notebook's markdown refers to.

    Sets `attachments[NAME]["image/svg+xml"]` (base64; with `png`, also "image/png") in each
    referring cell and writes the notebook only if something changed. References to SVGs this
    script does not draw are left alone. Returns the names whose attachment changed.
    """
    nb = nbformat.read(str(path), as_version=4)
    changed = []
    rendered: dict[str, dict[str, str]] = {}
    for index, name in references(nb):
        if name not in DIAGRAMS:
            continue
        bundle = rendered.setdefault(name, attachment(name, png))
        attachments = nb.cells[index].setdefault("attachments", {})
        if attachments.get(name) != bundle:
            attachments[name] = bundle
            changed.append(name)
    if changed:
        nbformat.write(nb, str(path))
    return changed


def embed(path: str | Path, name: str, alt_text: str, after: str, png: bool = False) -> None:
    """Insert `![alt_text](attachment:name)` after the line containing `after` and embed it.

    `after` must occur in exactly one markdown cell; the image becomes its own paragraph after
    the line that contains it (a heading or the last line of a paragraph). Running it again
    only refreshes the attachment.
    """
    if name not in DIAGRAMS:
        raise KeyError(f"{name} is not a diagram of tools/diagrams.py: {sorted(DIAGRAMS)}")
    nb = nbformat.read(str(path), as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "markdown" and after in c.source]
    if len(cells) != 1:
        raise ValueError(f"{after!r} is in {len(cells)} markdown cells of {path}, not in one")
    cell = cells[0]
    line = f"![{alt_text}](attachment:{name})"
    if line not in cell.source:
        lines = cell.source.split("\n")
        at = next(i for i, text in enumerate(lines) if after in text) + 1
        lines[at:at] = ["", line, ""] if at < len(lines) else ["", line]
        cell.source = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    cell.setdefault("attachments", {})[name] = attachment(name, png)
    nbformat.write(nb, str(path))


def check_notebook(path: str | Path) -> list[str]:
    """What is wrong with the notebook's diagrams: one line per missing or stale attachment."""
    nb = nbformat.read(str(path), as_version=4)
    problems = []
    for index, name in references(nb):
        bundle = nb.cells[index].get("attachments", {}).get(name)
        where = f"{path} cell {index}: {name}"
        if not bundle:
            problems.append(f"{where}: attachment missing")
        elif name not in DIAGRAMS:
            continue  # an SVG attached by hand: nothing to compare with
        elif SVG not in bundle:
            problems.append(f"{where}: attachment has no {SVG}")
        elif bundle != attachment(name, png=PNG in bundle):
            problems.append(f"{where}: attachment differs from the current drawing")
    return problems


def _notebooks(paths: Iterable[str]) -> list[Path]:
    return [Path(p) for p in paths]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw the course's diagrams; embed and check.")
    parser.add_argument("--out", type=Path, help="write every diagram as SVG into this folder")
    parser.add_argument("--png", action="store_true", help="with --out: PNG previews too")
    parser.add_argument("--embed", nargs="+", metavar="NOTEBOOK", help="refresh attachments")
    parser.add_argument("--check", nargs="+", metavar="NOTEBOOK", help="exit 1 if one is stale")
    parser.add_argument(
        "--with-png", action="store_true", help="with --embed: store a PNG beside each SVG"
    )
    args = parser.parse_args(argv)
    if not (args.out or args.embed or args.check):
        parser.error("give --out, --embed or --check")
    if args.out:
        for path in write_all(args.out, png=args.png):
            print(f"wrote {path}")
    for path in _notebooks(args.embed or []):
        changed = embed_notebook(path, png=args.with_png)
        print(f"{path}: {', '.join(changed) if changed else 'up to date'}")
    if args.check:
        problems = [p for path in _notebooks(args.check) for p in check_notebook(path)]
        for problem in problems:
            print(problem)
        if problems:
            print(
                f"{len(problems)} diagram(s) missing or stale: "
                "run python tools/diagrams.py --embed on the notebook(s)"
            )
            return 1
        print(f"diagrams up to date in {len(args.check)} notebook(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
