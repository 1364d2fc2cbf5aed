"""Unit 01: the recurrent neuron in NumPy, its forward pass, BPTT by hand, exercise checks.

Weights follow Keras' layout, so that they can be copied into `keras.layers.SimpleRNN`
unchanged: a row vector `x_t` of D features times the kernel `W_x` (D, H), the previous
state `h_(t-1)` times the recurrent kernel `W_h` (H, H), plus the bias `b` (H,):

    h_t = tanh(x_t @ W_x + h_(t-1) @ W_h + b)        y_t = h_t @ W_y + b_y

(`x_t @ W_x` is the lectures' `W_x x_t` written for row vectors.) Sequences come in
batches shaped (batch, T, D), as in Keras.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from helpers.checks import CheckFailed, call_student, expect_array, fail, passed
from helpers.quiz import Question

# --------------------------------------------------------------------------------------
# Shapes


def _check_sequence(xs: np.ndarray, W_x: np.ndarray, W_h: np.ndarray, b: np.ndarray) -> None:
    """Raise ValueError with advice unless the arrays fit together."""
    if np.ndim(xs) != 3:
        raise ValueError(
            f"xs should be a batch of sequences shaped (batch, T, D), but has shape "
            f"{np.shape(xs)}; for one sequence use xs[None] to add the batch axis."
        )
    D = np.shape(xs)[2]
    if np.ndim(W_x) != 2 or np.shape(W_x)[0] != D:
        raise ValueError(
            f"W_x should have shape (D, H) = ({D}, H) to match the {D} features of xs, "
            f"but has shape {np.shape(W_x)}."
        )
    H = np.shape(W_x)[1]
    if np.shape(W_h) != (H, H):
        raise ValueError(
            f"W_h should have shape (H, H) = ({H}, {H}) for {H} hidden units, "
            f"but has shape {np.shape(W_h)}."
        )
    if np.shape(b) != (H,):
        raise ValueError(f"b should have shape ({H},), one per hidden unit, not {np.shape(b)}.")


# --------------------------------------------------------------------------------------
# Forward


def rnn_step(
    x_t: np.ndarray, h_prev: np.ndarray, W_x: np.ndarray, W_h: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """One step of the recurrent neuron: `tanh(x_t @ W_x + h_prev @ W_h + b)`.

    x_t: (batch, D), h_prev: (batch, H); returns h_t: (batch, H).
    """
    if np.ndim(x_t) != 2 or np.ndim(h_prev) != 2:
        raise ValueError(
            f"x_t and h_prev should be 2-D (batch, D) and (batch, H), but have shapes "
            f"{np.shape(x_t)} and {np.shape(h_prev)}."
        )
    _check_sequence(np.asarray(x_t)[:, None, :], W_x, W_h, b)
    if np.shape(h_prev) != (np.shape(x_t)[0], np.shape(W_h)[0]):
        raise ValueError(
            f"h_prev should have shape (batch, H) = ({np.shape(x_t)[0]}, {np.shape(W_h)[0]}), "
            f"but has shape {np.shape(h_prev)}."
        )
    return np.tanh(x_t @ W_x + h_prev @ W_h + b)


def rnn_forward(
    xs: np.ndarray,
    W_x: np.ndarray,
    W_h: np.ndarray,
    b: np.ndarray,
    h0: np.ndarray | None = None,
) -> np.ndarray:
    """Unroll the recurrent neuron over a batch of sequences.

    xs: (batch, T, D); returns every hidden state, shape (batch, T, H).
    h0 is the state before the first step (zeros if None), shape (batch, H).
    """
    _check_sequence(xs, W_x, W_h, b)
    batch, T, _ = np.shape(xs)
    H = np.shape(W_h)[0]
    h = np.zeros((batch, H)) if h0 is None else np.asarray(h0, dtype=np.float64)
    if h.shape != (batch, H):
        raise ValueError(f"h0 should have shape (batch, H) = ({batch}, {H}), not {h.shape}.")
    hs = np.empty((batch, T, H))
    for t in range(T):
        h = np.tanh(xs[:, t] @ W_x + h @ W_h + b)
        hs[:, t] = h
    return hs


# --------------------------------------------------------------------------------------
# Backpropagation through time


@dataclass
class Gradients:
    """Gradients of the loss of `bptt`, with the per-step pieces of dL/dW_h."""

    loss: float
    W_x: np.ndarray
    W_h: np.ndarray
    b: np.ndarray
    W_y: np.ndarray
    b_y: np.ndarray
    h0: np.ndarray
    W_h_per_step: np.ndarray  # (T, H, H): the term that step t adds to dL/dW_h


def bptt(
    xs: np.ndarray,
    targets: np.ndarray,
    W_x: np.ndarray,
    W_h: np.ndarray,
    b: np.ndarray,
    W_y: np.ndarray,
    b_y: np.ndarray,
    h0: np.ndarray | None = None,
) -> Gradients:
    """Backpropagation through time, by hand, for a many-to-one recurrent net.

    The prediction reads the last state: `y = h_T @ W_y + b_y`; the loss is the mean
    squared error over the batch and the outputs. Going backwards from the last step,
    the error signal `dL/dh_t` is pushed through tanh and `W_h` into `dL/dh_(t-1)`;
    because the same weights serve every step, each step *adds* its term to their
    gradients. targets: (batch, n_out), W_y: (H, n_out), b_y: (n_out,).
    """
    _check_sequence(xs, W_x, W_h, b)
    batch, T, _ = np.shape(xs)
    H = np.shape(W_h)[0]
    if np.ndim(W_y) != 2 or np.shape(W_y)[0] != H:
        raise ValueError(f"W_y should have shape (H, n_out) = ({H}, n_out), not {np.shape(W_y)}.")
    n_out = np.shape(W_y)[1]
    if np.shape(b_y) != (n_out,):
        raise ValueError(f"b_y should have shape ({n_out},), not {np.shape(b_y)}.")
    if np.shape(targets) != (batch, n_out):
        raise ValueError(
            f"targets should have shape (batch, n_out) = ({batch}, {n_out}), "
            f"not {np.shape(targets)}."
        )
    h_start = np.zeros((batch, H)) if h0 is None else np.asarray(h0, dtype=np.float64)
    hs = rnn_forward(xs, W_x, W_h, b, h_start)
    y = hs[:, -1] @ W_y + b_y
    loss = float(np.mean((y - targets) ** 2))

    dy = 2.0 * (y - targets) / y.size  # dL/dy
    g = {"W_x": np.zeros_like(W_x, dtype=float), "W_h": np.zeros_like(W_h, dtype=float)}
    db = np.zeros(H)
    per_step = np.zeros((T, H, H))
    dh = dy @ W_y.T  # dL/dh_T
    for t in reversed(range(T)):
        h_prev = hs[:, t - 1] if t > 0 else h_start
        da = dh * (1.0 - hs[:, t] ** 2)  # through tanh: d tanh(a)/da = 1 - tanh(a)^2
        g["W_x"] += xs[:, t].T @ da
        per_step[t] = h_prev.T @ da
        g["W_h"] += per_step[t]
        db += da.sum(axis=0)
        dh = da @ W_h.T  # dL/dh_(t-1)
    return Gradients(
        loss=loss,
        W_x=g["W_x"],
        W_h=g["W_h"],
        b=db,
        W_y=hs[:, -1].T @ dy,
        b_y=dy.sum(axis=0),
        h0=dh,
        W_h_per_step=per_step,
    )


def scalar_rnn_grad_w_h(xs: np.ndarray, w_x: float, w_h: float, b: float, target: float) -> float:
    """dL/dw_h for a one-unit RNN `h_t = tanh(w_x x_t + w_h h_(t-1) + b)`, L = (h_T - target)^2.

    xs is one sequence of numbers, shape (T,). This is the exercise's reference answer.
    """
    xs = np.asarray(xs, dtype=np.float64)
    if xs.ndim != 1:
        raise ValueError(f"xs should be one sequence of numbers, shape (T,), not {xs.shape}.")
    hs = [0.0]
    for x in xs:
        hs.append(np.tanh(w_x * x + w_h * hs[-1] + b))
    dh = 2.0 * (hs[-1] - target)
    grad = 0.0
    for t in range(len(xs), 0, -1):
        da = dh * (1.0 - hs[t] ** 2)
        grad += da * hs[t - 1]
        dh = da * w_h
    return float(grad)


# --------------------------------------------------------------------------------------
# Exercise checks


def check_rnn_step(student_step: Callable[..., np.ndarray]) -> None:
    """Exercise `forward-step`: the student's `rnn_step(x_t, h_prev, W_x, W_h, b)`."""
    rng = np.random.default_rng(7)
    batch, D, H = 3, 2, 4
    x_t = rng.normal(size=(batch, D))
    h_prev = rng.uniform(-1, 1, size=(batch, H))
    W_x = rng.normal(size=(D, H))
    W_h = rng.normal(size=(H, H)) * 0.5
    b = rng.normal(size=H)
    got = call_student(student_step, x_t, h_prev, W_x, W_h, b, what="rnn_step")
    want = rnn_step(x_t, h_prev, W_x, W_h, b)
    if got is None:
        fail("rnn_step returned None: did you forget to `return` the new state?")
    got_arr = np.asarray(got, dtype=np.float64)
    if got_arr.shape != want.shape:
        fail(
            f"rnn_step returned shape {got_arr.shape}, expected (batch, H) = {want.shape}. "
            "With row vectors, x_t @ W_x has shape (batch, H) and so has h_prev @ W_h."
        )
    pre = x_t @ W_x + h_prev @ W_h + b
    hints = [
        (pre, "you forgot the activation: wrap the sum in np.tanh(...)."),
        (np.tanh(x_t @ W_x + h_prev @ W_h), "the bias b is missing from the sum."),
        (np.tanh(x_t @ W_x + b), "the previous state is missing: add h_prev @ W_h."),
        (
            np.tanh(x_t @ W_x + h_prev @ W_h.T + b),
            "W_h is used transposed: with row vectors write h_prev @ W_h.",
        ),
        (1 / (1 + np.exp(-pre)), "use tanh, not the sigmoid, as SimpleRNN does."),
    ]
    for wrong, hint in hints:
        if got_arr.shape == wrong.shape and np.allclose(got_arr, wrong, atol=1e-6):
            fail(hint)
    expect_array(got_arr, want, name="h_t", hint="Compute tanh(x_t @ W_x + h_prev @ W_h + b).")
    h_zero = call_student(student_step, x_t, np.zeros((batch, H)), W_x, W_h, b, what="rnn_step")
    expect_array(h_zero, np.tanh(x_t @ W_x + b), name="h_t for h_prev = 0")
    passed("rnn_step computes tanh(x_t @ W_x + h_prev @ W_h + b) for a whole batch.")


def check_grad_w_h(student_grad: Callable[..., float]) -> None:
    """Exercise `grad-through-time`: dL/dw_h of the one-unit RNN, summed over steps."""
    cases = [
        (np.array([0.5, -1.0, 2.0]), 0.8, 0.5, 0.1, 0.3),
        (np.array([1.0, 0.2, -0.4, 0.9, -1.5]), -0.6, 1.2, -0.2, -0.5),
    ]
    for xs, w_x, w_h, b, target in cases:
        got = call_student(student_grad, xs, w_x, w_h, b, target, what="grad_w_h")
        want = scalar_rnn_grad_w_h(xs, w_x, w_h, b, target)
        try:
            got = float(np.asarray(got, dtype=np.float64).reshape(()))
        except (TypeError, ValueError):
            fail(f"grad_w_h should return one number, but returned {got!r}.")
        if np.isclose(got, want, atol=1e-8, rtol=1e-6):
            continue
        # plausible mistakes: only the last step's term; no chain through w_h
        hs = [0.0]
        for x in xs:
            hs.append(np.tanh(w_x * x + w_h * hs[-1] + b))
        last_only = 2 * (hs[-1] - target) * (1 - hs[-1] ** 2) * hs[-2]
        if np.isclose(got, last_only, atol=1e-8, rtol=1e-6):
            fail(
                "you kept only the last step's term. w_h is used at every step, so the "
                "gradient is a sum: keep pushing dL/dh back (times (1 - h_t^2) * w_h) "
                "and add h_(t-1) * dL/da_t at every step."
            )
        fail(
            f"for xs={xs.tolist()}, w_x={w_x}, w_h={w_h}, b={b}, target={target} you return "
            f"{got:.6g}, expected {want:.6g}. Check the backward loop: "
            "da_t = dh_t * (1 - h_t^2); grad += da_t * h_(t-1); dh_(t-1) = da_t * w_h."
        )
    passed("dL/dw_h summed over all time steps matches the reference.")


# --------------------------------------------------------------------------------------
# Knowledge check

QUESTIONS = [
    Question(
        id="q1",
        prompt="Which statement best describes the key idea of recurrent neural networks?",
        choices={
            "a": "They compute recurrent features of each input on its own.",
            "b": "They have loops between the features of one input.",
            "c": "They have a memory: earlier inputs of a sequence influence the current output.",
            "d": "They have no memory; each input is processed independently.",
        },
        answer="c",
        explanation=(
            "the hidden state h_t = f(h_(t-1), x_t) carries information from earlier steps, "
            "so earlier inputs change later outputs; a feed-forward net treats each input alone."
        ),
    ),
    Question(
        id="q2",
        prompt="A SimpleRNN reads sequences of 10 steps. You feed it sequences of 1000 steps. "
        "How many weights does the layer have now?",
        choices={
            "a": "The same number: the same W_x, W_h and b are reused at every step.",
            "b": "100 times as many: one copy of the weights per time step.",
            "c": "It depends on the batch size.",
        },
        answer="a",
        explanation=(
            "unrolling reuses one set of weights at every step (weight sharing), so the count "
            "does not grow with the sequence length; only computation and memory do."
        ),
    ),
    Question(
        id="q3",
        prompt="Which statement about backpropagation through time (BPTT) is true?",
        choices={
            "a": "It works only with GRUs.",
            "b": "It is a gradient-based technique for training RNNs such as LSTMs.",
            "c": "It is rarely used in practice.",
            "d": "It needs one set of weights per time step.",
        },
        answer="b",
        explanation=(
            "BPTT is ordinary backpropagation on the unrolled network; since the weights are "
            "shared, their gradient is the sum of the terms of all time steps. Every RNN, "
            "LSTM and GRU in Keras is trained with it."
        ),
    ),
]

__all__ = [
    "QUESTIONS",
    "CheckFailed",
    "Gradients",
    "bptt",
    "check_grad_w_h",
    "check_rnn_step",
    "rnn_forward",
    "rnn_step",
    "scalar_rnn_grad_w_h",
]
