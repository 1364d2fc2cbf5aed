"""Checks of unit 01's exercises: the recurrent step and the gradient through time.

The right answers come from Keras, not from a copy of the solution: the step from
`keras.layers.SimpleRNNCell` with the student's weights, the gradient from
`tf.GradientTape`. The typical mistakes are recognised the same way (a cell without its
activation, without its bias, ...), so that the message can say what is missing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks import call_student, expect_array, fail, passed


def keras_step(x_t, h_prev, W_x, W_h, b, *, activation="tanh", use_bias=True) -> np.ndarray:
    """One step of `keras.layers.SimpleRNNCell` (float64) with the given weights."""
    import keras

    cell = keras.layers.SimpleRNNCell(
        np.shape(W_h)[0], activation=activation, use_bias=use_bias, dtype="float64"
    )
    cell.build((None, np.shape(W_x)[0]))
    cell.set_weights([W_x, W_h, b] if use_bias else [W_x, W_h])
    h_t, _ = cell(np.asarray(x_t, "float64"), [np.asarray(h_prev, "float64")])
    return keras.ops.convert_to_numpy(h_t)


def rnn_step(student_step: Callable[..., np.ndarray]) -> None:
    """Exercise `forward-step`: the student's `rnn_step(x_t, h_prev, W_x, W_h, b)`."""
    rng = np.random.default_rng(7)
    batch, D, H = 3, 2, 4
    x_t = rng.normal(size=(batch, D))
    h_prev = rng.uniform(-1, 1, size=(batch, H))
    W_x = rng.normal(size=(D, H))
    W_h = rng.normal(size=(H, H)) * 0.5
    b = rng.normal(size=H)
    got = call_student(student_step, x_t, h_prev, W_x, W_h, b, what="rnn_step")
    want = keras_step(x_t, h_prev, W_x, W_h, b)
    if got is None:
        fail("rnn_step returned None: did you forget to `return` the new state?")
    got_arr = np.asarray(got, dtype=np.float64)
    if got_arr.shape != want.shape:
        fail(
            f"rnn_step returned shape {got_arr.shape}, expected (batch, H) = {want.shape}. "
            "With row vectors, x_t @ W_x has shape (batch, H) and so has h_prev @ W_h."
        )
    hints = [
        ({"activation": None}, "you forgot the activation: wrap the sum in np.tanh(...)."),
        ({"use_bias": False}, "the bias b is missing from the sum."),
        ({"W_h": np.zeros_like(W_h)}, "the previous state is missing: add h_prev @ W_h."),
        ({"W_h": W_h.T}, "W_h is used transposed: with row vectors write h_prev @ W_h."),
        ({"activation": "sigmoid"}, "use tanh, not the sigmoid, as SimpleRNN does."),
    ]
    for change, hint in hints:
        wrong = keras_step(x_t, h_prev, **{"W_x": W_x, "W_h": W_h, "b": b, **change})
        if np.allclose(got_arr, wrong, atol=1e-6):
            fail(hint)
    expect_array(got_arr, want, name="h_t", hint="Compare your sum and activation with the text.")
    h_zero = call_student(student_step, x_t, np.zeros((batch, H)), W_x, W_h, b, what="rnn_step")
    expect_array(
        h_zero, keras_step(x_t, np.zeros((batch, H)), W_x, W_h, b), name="h_t for h_prev = 0"
    )
    passed("rnn_step equals keras.layers.SimpleRNNCell for a whole batch.")


def _tape_grad(xs, w_x: float, w_h: float, b: float, target: float, last_only: bool = False):
    """dL/dw_h by tf.GradientTape; `last_only` treats h_(T-1) as a constant."""
    import tensorflow as tf

    w = tf.Variable(float(w_h), dtype=tf.float64)
    with tf.GradientTape() as tape:
        h = tf.constant(0.0, tf.float64)
        for t, x in enumerate(np.asarray(xs, dtype=np.float64)):
            if last_only and t == len(xs) - 1:
                h = tf.stop_gradient(h)
            h = tf.tanh(w_x * x + w * h + b)
        loss = (h - target) ** 2
    return float(tape.gradient(loss, w).numpy())


def grad_w_h(student_grad: Callable[..., float]) -> None:
    """Exercise `grad-through-time`: dL/dw_h of the one-unit RNN, summed over steps."""
    cases = [
        (np.array([0.5, -1.0, 2.0]), 0.8, 0.5, 0.1, 0.3),
        (np.array([1.0, 0.2, -0.4, 0.9, -1.5]), -0.6, 1.2, -0.2, -0.5),
    ]
    for xs, w_x, w_h, b, target in cases:
        got = call_student(student_grad, xs, w_x, w_h, b, target, what="grad_w_h")
        want = _tape_grad(xs, w_x, w_h, b, target)
        try:
            got = float(np.asarray(got, dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            fail(f"grad_w_h should return one number, but returned {got!r}.")
        if np.isclose(got, want, atol=1e-8, rtol=1e-6):
            continue
        if np.isclose(got, _tape_grad(xs, w_x, w_h, b, target, last_only=True), rtol=1e-6):
            fail(
                "you kept only the last step's term. w_h is used at every step, so the "
                "gradient is a sum over the steps: keep pushing dL/dh backwards through "
                "the steps and add each step's term."
            )
        fail(
            f"for xs={xs.tolist()}, w_x={w_x}, w_h={w_h}, b={b}, target={target} you return "
            f"{got:.6g}, but tf.GradientTape gives {want:.6g}. Check the backward loop: the "
            "derivative of tanh at each step, each step's term, and dL/dh carried back "
            "through w_h."
        )
    passed("dL/dw_h summed over all time steps equals tf.GradientTape's.")
