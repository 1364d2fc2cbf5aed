"""Plots shared by several notebooks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator


def plot_history(
    histories: Mapping[str, Mapping[str, Sequence[float]]] | Mapping[str, Sequence[float]],
    metric: str = "loss",
    *,
    title: str | None = None,
    ax=None,
    log: bool = False,
):
    """Training curves: one history dict (Keras `History.history`), or several by name.

    Solid lines are training, dashed lines validation (`val_<metric>`) where present.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    if metric in histories:  # a single history
        histories = {"": histories}
    for i, (name, history) in enumerate(histories.items()):
        if metric not in history:
            raise KeyError(
                f"No {metric!r} in the history of {name or 'the model'}: it has {sorted(history)}."
            )
        color = f"C{i}"
        label = f"{name} " if name else ""
        epochs = range(1, len(history[metric]) + 1)
        ax.plot(epochs, history[metric], color=color, label=f"{label}train")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], "--", color=color, label=f"{label}validation")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(metric)
    if log:
        ax.set_yscale("log")
    ax.set_title(title or metric)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax
