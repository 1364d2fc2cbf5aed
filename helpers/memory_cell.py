"""Unit 01: unrolling a recurrent neuron, its states in Keras, BPTT by hand, the quiz.

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


def unroll(
    step: Callable[..., np.ndarray],
    xs: np.ndarray,
    W_x: np.ndarray,
    W_h: np.ndarray,
    b: np.ndarray,
    h0: np.ndarray | None = None,
) -> np.ndarray:
    """Apply `step(x_t, h_prev, W_x, W_h, b)` at every time step, feeding each state back.

    xs: (batch, T, D); returns every hidden state, shape (batch, T, H). h0 is the state
    before the first step (zeros if None), shape (batch, H).
    """
    _check_sequence(xs, W_x, W_h, b)
    batch, T, _ = np.shape(xs)
    h = _start_state(h0, batch, np.shape(W_h)[0])
    states = []
    for t in range(T):
        h = np.asarray(step(xs[:, t], h, W_x, W_h, b), dtype=np.float64)
        states.append(h)
    return np.stack(states, axis=1)


def simple_rnn_states(
    xs: np.ndarray,
    W_x: np.ndarray,
    W_h: np.ndarray,
    b: np.ndarray,
    h0: np.ndarray | None = None,
) -> np.ndarray:
    """Every hidden state of `keras.layers.SimpleRNN` (in float64) with these weights.

    xs: (batch, T, D); returns (batch, T, H). h0: the initial state (zeros if None).
    """
    import keras

    _check_sequence(xs, W_x, W_h, b)
    batch, _, D = np.shape(xs)
    H = np.shape(W_h)[0]
    layer = keras.layers.SimpleRNN(H, return_sequences=True, dtype="float64")
    layer.build((None, None, D))
    layer.set_weights([W_x, W_h, b])
    h = _start_state(h0, batch, H)
    states = layer(np.asarray(xs, dtype=np.float64), initial_state=[h])
    return keras.ops.convert_to_numpy(states)


def _start_state(h0: np.ndarray | None, batch: int, H: int) -> np.ndarray:
    h = np.zeros((batch, H)) if h0 is None else np.asarray(h0, dtype=np.float64)
    if h.shape != (batch, H):
        raise ValueError(f"h0 should have shape (batch, H) = ({batch}, {H}), not {h.shape}.")
    return h


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
    hs = simple_rnn_states(xs, W_x, W_h, b, h_start)
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
    ),
    Question(
        id="q3",
        prompt="You train an RNN with truncated BPTT: sequences of 120 steps cut into chunks of "
        "20, the state carried from one chunk into the next. Which statement is true?",
        choices={
            "a": "The forward pass forgets everything older than 20 steps.",
            "b": "The backward pass keeps only 20 steps of states, and no gradient crosses a "
            "chunk border, so a dependency longer than 20 steps cannot be learned from the loss.",
            "c": "The gradient is exactly that of full BPTT, only cheaper to compute.",
            "d": "Each chunk trains its own copy of the weights.",
        },
    ),
    Question(
        id="q4",
        prompt="Which statement about backpropagation through time (BPTT) is true?",
        choices={
            "a": "It works only with GRUs.",
            "b": "It is rarely used in practice.",
            "c": "It needs one set of weights per time step.",
            "d": "It is a gradient-based technique for training RNNs such as LSTMs.",
        },
    ),
]

__all__ = ["QUESTIONS", "Gradients", "bptt", "simple_rnn_states", "unroll"]
