"""Timing a recurrent layer fairly: one forward and backward pass, compiled, median of rounds."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import keras
import numpy as np
import tensorflow as tf


def check_batch(x: Any, mask: Any = None) -> tuple[np.ndarray, np.ndarray | None]:
    """x as float32 (batch, time steps, features) and the mask as booleans, or a clear error."""
    x = np.asarray(x, dtype="float32")
    if x.ndim != 3:
        raise ValueError(
            f"x should be a batch of sequences of shape (batch, time steps, features), "
            f"but has shape {x.shape}; add a batch axis with x[None] for one sequence."
        )
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != x.shape[:2]:
            raise ValueError(
                f"mask should have shape (batch, time steps) = {x.shape[:2]}, not {mask.shape}."
            )
    return x, mask


def forward_backward_step(layer: keras.layers.Layer) -> Callable[[tf.Tensor], tf.Tensor]:
    """A compiled function that runs `layer` on a batch and takes the gradients of a loss."""

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            out = layer(x)
            out = out[0] if isinstance(out, (list, tuple)) else out
            loss = tf.reduce_mean(tf.square(out))
        grads = tape.gradient(loss, [w.value for w in layer.trainable_weights])
        return loss + tf.add_n([tf.reduce_sum(g) for g in grads]) * 0.0

    return step


def time_forward_backward(
    layers: Mapping[str, keras.layers.Layer],
    x: Any,
    *,
    rounds: int = 5,
    calls: int = 3,
    clock: str = "wall",
) -> dict[str, float]:
    """Median seconds of one forward+backward pass of each layer on the batch `x`.

    The layers take turns (`rounds` times, `calls` passes per turn) so that a machine that
    gets busier or quieter during the measurement affects all of them alike. The first,
    tracing call of each is not timed. `clock="wall"` measures elapsed time; `clock="cpu"`
    the processor time this process used (all its threads), which depends much less on
    other programs running on a shared CPU (on a GPU, use "wall").
    """
    clocks = {"wall": time.perf_counter, "cpu": time.process_time}
    if clock not in clocks:
        raise ValueError(f"clock should be 'wall' or 'cpu', not {clock!r}.")
    if rounds < 1 or calls < 1:
        raise ValueError(f"rounds and calls must be at least 1, not {rounds} and {calls}.")
    if not layers:
        raise ValueError("no layers to time: pass a dict {name: layer}.")
    now = clocks[clock]
    x = tf.constant(check_batch(x, None)[0])
    steps = {name: forward_backward_step(layer) for name, layer in layers.items()}
    logger, level = tf.get_logger(), tf.get_logger().level
    logger.setLevel("ERROR")  # one tf.function per layer is intended: no retracing warning
    try:
        for step in steps.values():
            step(x).numpy()  # trace and warm up
        times: dict[str, list[float]] = {name: [] for name in steps}
        for _ in range(rounds):
            for name, step in steps.items():
                start = now()
                for _ in range(calls):
                    step(x).numpy()
                times[name].append((now() - start) / calls)
    finally:
        logger.setLevel(level)
    return {name: float(np.median(t)) for name, t in times.items()}
