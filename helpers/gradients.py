"""Unit 02: gradients through time, the long-lag recall task, clipping, and their plots.

- `recall_task` makes the data: remember the one marked symbol among random distractors
  and name it at the end of the sequence, `lag` steps later.
- `recall_model` builds the small classifier used for SimpleRNN, LSTM and GRU alike.
- `state_gradient_norms` measures, with `tf.GradientTape`, how strongly the model's answer
  depends on the recurrent state at every time step: the gradient through time.
- `plot_gradient_norms` draws those norms on a log scale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from helpers.quiz import Question

CELL_TYPES = ("SimpleRNN", "LSTM", "GRU")

# --------------------------------------------------------------------------------------
# The long-lag recall task


def recall_task(
    n: int,
    length: int,
    lags: int | Sequence[int],
    *,
    n_symbols: int = 4,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sequences of random symbols, one of them marked; the target is the marked symbol.

    Every step carries a one-hot symbol (n_symbols channels) and a marker channel that
    is 1 at exactly one step. The marked step lies `lag` steps before the last one, so
    to answer at the end a model must carry the symbol through `lag` steps of
    distractors. `lags` is one lag for all sequences, or several to draw from at random.

    Returns x (n, length, n_symbols + 1) float32, y (n,) int (the marked symbol) and the
    lag of every sequence (n,). Guessing gives an accuracy of 1 / n_symbols.
    """
    lag_choices = np.atleast_1d(np.asarray(lags))
    if n < 1 or length < 1 or n_symbols < 2:
        raise ValueError(
            f"need n >= 1, length >= 1 and n_symbols >= 2; got n={n}, length={length}, "
            f"n_symbols={n_symbols}."
        )
    if lag_choices.size == 0 or lag_choices.min() < 0 or lag_choices.max() >= length:
        raise ValueError(
            f"every lag must lie in 0 .. length - 1 = {length - 1} (the marked step must fit "
            f"in the sequence); got lags {lag_choices.tolist()}. Use a longer sequence."
        )
    rng = np.random.default_rng(seed)
    symbols = rng.integers(0, n_symbols, size=(n, length))
    x = np.zeros((n, length, n_symbols + 1), dtype="float32")
    rows = np.arange(n)
    x[rows[:, None], np.arange(length)[None, :], symbols] = 1.0
    lag = rng.choice(lag_choices, size=n)
    marked = length - 1 - lag
    x[rows, marked, n_symbols] = 1.0
    return x, symbols[rows, marked], lag


def recall_model(cell_type: str, length: int | None, n_symbols: int = 4, units: int = 32):
    """Input -> SimpleRNN / LSTM / GRU(units) -> Dense(n_symbols) giving logits.

    The recurrent layer has Keras' default initialisation (for the LSTM: a forget-gate
    bias of 1) and arguments that let Keras use cuDNN on a GPU.
    """
    import keras

    if cell_type not in CELL_TYPES:
        raise ValueError(f"cell_type should be one of {CELL_TYPES}, not {cell_type!r}.")
    layer = getattr(keras.layers, cell_type)(units, name=cell_type.lower())
    return keras.Sequential(
        [
            keras.Input((length, n_symbols + 1)),
            layer,
            keras.layers.Dense(n_symbols, name="logits"),
        ],
        name=cell_type,
    )


def accuracy_by_lag(model, length: int, lags: Sequence[int], n: int = 500, seed: int = 1):
    """Accuracy of `model` on fresh sequences whose marked symbol is exactly `lag` back."""
    result = {}
    for i, lag in enumerate(lags):
        x, y, _ = recall_task(n, length, lag, n_symbols=_n_symbols(model), seed=seed + i)
        logits = np.asarray(model(x, training=False))  # no predict(): no retracing per model
        result[int(lag)] = float(np.mean(np.argmax(logits, axis=-1) == y))
    return result


def _n_symbols(model) -> int:
    return int(model.output_shape[-1])


# --------------------------------------------------------------------------------------
# Gradients through time


def state_gradient_norms(model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Norm of d(score of the right answer)/d(state_t) at every step t, batch average.

    The model is `recall_model`'s: one recurrent layer, then a Dense head. Its cell is
    stepped by hand inside a `tf.GradientTape`, keeping the state that enters every step
    (for the LSTM, h and c together), so the tape can tell how much the final score
    depends on each of them. The score is the logit of the right class: unlike the loss,
    it does not shrink to 0 as the model learns, so trained and untrained models compare.

    For the LSTM the gradient of c_t counts, as in BPTT, its path through h_t = o_t tanh(c_t).

    x: (batch, T, features), y: (batch,) ints. Returns (T,): entry t is for the state
    entering step t (t = 0 is the initial state), i.e. T - t steps before the answer.
    """
    import tensorflow as tf

    x = np.asarray(x, dtype="float32")
    if x.ndim != 3:
        raise ValueError(f"x should be shaped (batch, T, features), but has shape {x.shape}.")
    y = np.asarray(y)
    if y.shape != (x.shape[0],):
        raise ValueError(
            f"y should hold one class per sequence, shape ({x.shape[0]},), not {y.shape}."
        )
    rnn, head = model.layers[0], model.layers[-1]
    if not hasattr(rnn, "cell"):
        raise ValueError(
            f"the model's first layer should be a recurrent layer, not {type(rnn).__name__}."
        )
    if tuple(model.input_shape[2:]) != x.shape[2:]:
        raise ValueError(
            f"x has {x.shape[2]} features but the model expects {model.input_shape[2]}."
        )
    cell = rnn.cell
    sizes = tf.nest.flatten(cell.state_size)
    batch, T, _ = x.shape
    inputs = tf.constant(x)
    states = [tf.zeros((batch, int(s))) for s in sizes]
    entering = []
    with tf.GradientTape() as tape:
        tape.watch(states)
        for t in range(T):
            entering.append(states)
            output, new_states = cell(inputs[:, t], states, training=False)
            states = tf.nest.flatten(new_states)
        logits = head(output)
        score = tf.reduce_sum(tf.gather(logits, tf.constant(y), axis=1, batch_dims=1))
    grads = tape.gradient(score, entering)
    norms = np.zeros(T)
    for t, per_state in enumerate(grads):
        squared = sum(np.sum(np.square(g.numpy()), axis=1) for g in per_state)
        norms[t] = float(np.mean(np.sqrt(squared)))
    return norms


def input_gradient_norms(model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Norm of d(score of the right answer)/d(x_t) per step t, averaged over the batch."""
    import tensorflow as tf

    inputs = tf.constant(np.asarray(x, dtype="float32"))
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        logits = model(inputs, training=False)
        score = tf.reduce_sum(tf.gather(logits, tf.constant(np.asarray(y)), axis=1, batch_dims=1))
    grad = tape.gradient(score, inputs).numpy()
    return np.linalg.norm(grad, axis=2).mean(axis=0)


def plot_gradient_norms(
    norms: Mapping[str, np.ndarray],
    *,
    styles: Mapping[str, str] | None = None,
    title: str = "Gradient through time",
    ax=None,
):
    """Log-scale plot of gradient norms against how many steps before the answer they are.

    `norms` maps a label (such as "LSTM, trained") to an array (T,) as returned by
    `state_gradient_norms`; labels that share their first word share a colour, and
    `styles` can give a line style per label.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    colours: dict[str, str] = {}
    for label, values in norms.items():
        values = np.asarray(values, dtype=float)
        if values.ndim != 1:
            raise ValueError(
                f"norms[{label!r}] should be 1-D (one value per step), not {values.shape}."
            )
        key = label.split(",")[0].split()[0]
        colours.setdefault(key, f"C{len(colours)}")
        steps_back = np.arange(len(values), 0, -1)
        style = (styles or {}).get(label, "-")
        positive = np.where(values > 0, values, np.nan)  # log scale: leave out exact zeros
        ax.plot(steps_back, positive, style, color=colours[key], label=label)
    ax.set_yscale("log")
    ax.set_xlabel("steps before the answer")
    ax.set_ylabel("gradient norm (log scale)")
    ax.set_title(title)
    ax.invert_xaxis()
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return ax


def plot_accuracy_by_lag(
    accuracy: Mapping[str, Mapping[int, float]], chance: float, *, ax=None, title: str = ""
):
    """Accuracy against lag, one line per model, with the chance level."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    markers = "osD^v<>"
    for i, (name, by_lag) in enumerate(accuracy.items()):
        lags = sorted(by_lag)
        ax.plot(
            lags,
            [by_lag[lag] for lag in lags],
            marker=markers[i % len(markers)],
            markersize=9 - 2 * (i % 3),  # overlapping lines stay visible
            color=f"C{i}",
            label=name,
        )
    ax.axhline(chance, color="grey", linestyle=":", label=f"chance ({chance:.2f})")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("lag: steps between the marked symbol and the answer")
    ax.set_ylabel("accuracy")
    ax.set_title(title or "Remembering one symbol over a long lag")
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def train_recording(
    model,
    optimizer,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int = 32,
    loss_fn: Callable | None = None,
) -> dict[str, np.ndarray]:
    """Train with a plain loop and record every update: the loss and the gradient norm.

    The gradient norm is the global norm *before* the optimizer clips it (if it has
    `clipnorm`, `global_clipnorm` or `clipvalue`, `apply_gradients` does the clipping).
    Batches are taken in order, without shuffling. Returns {"loss": (updates,),
    "grad_norm": (updates,)}; values after the weights overflowed are inf or nan.
    """
    import keras
    import tensorflow as tf

    x = np.asarray(x, dtype="float32")
    y = np.asarray(y, dtype="float32")
    if len(x) != len(y):
        raise ValueError(
            f"x and y should hold the same number of samples, not {len(x)} and {len(y)}."
        )
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be positive, not {epochs} and {batch_size}.")
    loss_fn = loss_fn or keras.losses.MeanSquaredError()
    weights = model.trainable_variables
    optimizer.build(weights)

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, model(xb, training=True))
        grads = tape.gradient(loss, weights)
        norm = tf.linalg.global_norm(grads)
        optimizer.apply_gradients(zip(grads, weights, strict=True))
        return loss, norm

    losses, norms = [], []
    for _ in range(epochs):
        for start in range(0, len(x), batch_size):
            loss, norm = step(x[start : start + batch_size], y[start : start + batch_size])
            losses.append(float(loss))
            norms.append(float(norm))
    return {"loss": np.array(losses), "grad_norm": np.array(norms)}


# --------------------------------------------------------------------------------------
# Knowledge check

QUESTIONS = [
    Question(
        id="q1",
        prompt="Which statement about LSTMs is true?",
        choices={
            "a": "An LSTM is an RNN with faster feedback loops.",
            "b": "An LSTM is a special RNN that handles long-term dependencies well.",
            "c": "An LSTM has an update gate and a reset gate.",
            "d": "The advantage of LSTMs is only theoretical.",
        },
    ),
    Question(
        id="q2",
        prompt="Your RNN's loss jumps to huge values or NaN after a few updates. What helps most?",
        choices={
            "a": "More time steps per sequence.",
            "b": "Gradient clipping, e.g. clipnorm=1.0 in the optimizer.",
            "c": "Replacing tanh by a linear activation.",
            "d": "A larger learning rate.",
        },
    ),
    Question(
        id="q3",
        prompt="A plain RNN's gradient with respect to an input 50 steps back is 1e-12. "
        "What does that mean for training?",
        choices={
            "a": "That input is learned especially precisely.",
            "b": "The network can hardly learn to use that input: the long-term dependency "
            "is not learned.",
            "c": "The gradient will explode later.",
        },
    ),
]

__all__ = [
    "CELL_TYPES",
    "QUESTIONS",
    "accuracy_by_lag",
    "input_gradient_norms",
    "plot_accuracy_by_lag",
    "plot_gradient_norms",
    "recall_model",
    "recall_task",
    "state_gradient_norms",
    "train_recording",
]
