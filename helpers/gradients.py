"""Unit 02: gradients through time, the long-lag recall task, clipping, and their plots.

- `recall_task` makes the data: remember the one marked symbol among random distractors
  and name it at the end of the sequence, `lag` steps later.
- `recall_model` builds the small classifier used for SimpleRNN, LSTM and GRU alike.
- `state_gradient_norms` measures, with `tf.GradientTape`, how strongly the model's answer
  depends on the recurrent state at every time step: the gradient through time.
- `plot_gradient_norms` draws those norms on a log scale.
- `dw_terms` splits the one-weight RNN's `dh_n/dw` into one term per step.
- `clipped_gradients`, `global_norm` and `cosine` show what Keras' clipping does to one
  real gradient; `plot_clipping_runs` draws training runs with and without clipping.
- `gate_values` reads the LSTM's forget gate or the GRU's update gate at every step, and
  `state_kept` multiplies them along the way from the marked step to the answer.
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
    for lag in lags:  # the test set of a lag depends on the lag only, not on its place in a list
        x, y, _ = recall_task(n, length, lag, n_symbols=_n_symbols(model), seed=seed + int(lag))
        logits = np.asarray(model(x, training=False))  # no predict(): no retracing per model
        result[int(lag)] = float(np.mean(np.argmax(logits, axis=-1) == y))
    return result


def _n_symbols(model) -> int:
    return int(model.output_shape[-1])


# --------------------------------------------------------------------------------------
# One weight: the terms of dh_n/dw


def dw_terms(w: float, x: Sequence[float]) -> np.ndarray:
    """The terms of dh_n/dw for the one-unit linear RNN h_t = w * h_(t-1) + x_t, h_0 = 0.

    h_n = sum_k w**(n-k) x_k (k = 1 .. n), so dh_n/dw = sum_k (n-k) w**(n-k-1) x_k. Entry
    i of the result is the term of the input x[i] (i = 0 is the first step); their sum is
    dh_n/dw. The term of step k is (n - k) * w**(n-k-1) * x_k, n - k steps before the end.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size < 1:
        raise ValueError(f"x should be a 1-D sequence of inputs, not shape {x.shape}.")
    back = np.arange(x.size - 1, -1, -1)  # steps from each input to the last step
    powers = np.zeros(x.size)
    powers[back > 0] = float(w) ** (back[back > 0] - 1)
    return back * powers * x


def plot_dw_terms(terms: Mapping[str, np.ndarray], *, ax=None, title: str = ""):
    """|term| of dh_n/dw against steps before the end, log scale; one line per label."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    for label, values in terms.items():
        values = np.abs(np.asarray(values, dtype=float))
        steps_back = np.arange(len(values) - 1, -1, -1)
        ax.semilogy(steps_back, np.where(values > 0, values, np.nan), ".-", label=label)
    ax.set_xlabel("steps before the end (n - k)")
    ax.set_ylabel("|term of dh_n/dw| (log scale)")
    ax.set_title(title or "Each step's term of dh_n/dw")
    ax.invert_xaxis()
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return ax


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


def gate_values(model, x: np.ndarray) -> np.ndarray:
    """The gate that decides how much of the old state a gated cell keeps, at every step.

    For `recall_model("LSTM")`: the forget gate f_t (the cell state is multiplied by it,
    c_t = f_t * c_(t-1) + i_t * g_t). For `recall_model("GRU")`: Keras' update gate z_t
    (h_t = z_t * h_(t-1) + (1 - z_t) * candidate, so z near 1 keeps the state). Computed
    from the layer's own weights, stepping its cell. Returns (batch, T, units).
    """
    import tensorflow as tf

    rnn = model.layers[0]
    cell = rnn.cell
    kind = type(rnn).__name__
    if kind not in ("LSTM", "GRU"):
        raise ValueError(f"gate_values needs an LSTM or GRU layer, not {kind}.")
    x = np.asarray(x, dtype="float32")
    units = cell.units
    kernel = cell.kernel.numpy()
    recurrent = cell.recurrent_kernel.numpy()
    bias = cell.bias.numpy() if cell.use_bias else np.zeros(kernel.shape[1], "float32")
    if kind == "LSTM":  # Keras' order of the four blocks: input, forget, candidate, output
        block = slice(units, 2 * units)
        b_in, b_rec = bias[block], 0.0
    else:  # Keras' order of the three blocks: update, reset, candidate
        block = slice(0, units)
        if bias.ndim == 2:  # reset_after=True: one bias for the input, one for the state
            b_in, b_rec = bias[0, block], bias[1, block]
        else:
            b_in, b_rec = bias[block], 0.0
    states = [tf.zeros((x.shape[0], int(s))) for s in tf.nest.flatten(cell.state_size)]
    gates = []
    for t in range(x.shape[1]):
        h = states[0].numpy()
        pre = x[:, t] @ kernel[:, block] + b_in + h @ recurrent[:, block] + b_rec
        gates.append(1.0 / (1.0 + np.exp(-pre)))
        _, new_states = cell(tf.constant(x[:, t]), states, training=False)
        states = tf.nest.flatten(new_states)
    return np.stack(gates, axis=1)


def state_kept(gates: np.ndarray, start: int = 1) -> np.ndarray:
    """Per sequence: the share of the state kept from step `start - 1` to the last step.

    `gates` is `gate_values`' (batch, T, units). Along the kept path (the LSTM's cell state,
    the GRU's h) the state of step start - 1 reaches the last step multiplied by the gate
    of every step in between: the product of gates[:, start:] over time. Returns, for every
    sequence, the largest such product over the units (the unit that keeps the most).
    """
    gates = np.asarray(gates, dtype=float)
    if gates.ndim != 3 or not 0 < start < gates.shape[1]:
        raise ValueError(
            f"gates should be (batch, T, units) with 0 < start < T; got shape {gates.shape} "
            f"and start={start}."
        )
    return np.prod(gates[:, start:], axis=1).max(axis=1)


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
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: no curve hidden
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
# Clipping


def global_norm(arrays: Sequence[np.ndarray]) -> float:
    """The length of all arrays taken together as one long vector."""
    return float(np.sqrt(sum(np.sum(np.square(np.asarray(a, dtype=float))) for a in arrays)))


def cosine(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> float:
    """Cosine of the angle between two lists of arrays, each taken as one long vector.

    1 means the same direction; below 1, the direction has changed.
    """
    if len(a) != len(b):
        raise ValueError(f"the two lists should hold as many arrays, not {len(a)} and {len(b)}.")
    dot = sum(
        float(np.sum(np.asarray(u, float) * np.asarray(v, float)))
        for u, v in zip(a, b, strict=True)
    )
    return dot / (global_norm(a) * global_norm(b))


def clipped_gradients(model, x, y, *, loss_fn: Callable | None = None, **clipping):
    """One real gradient of `model` on (x, y), before and after Keras' clipping.

    `clipping` is what a Keras optimizer takes: `clipnorm=`, `global_clipnorm=` or
    `clipvalue=`. The clipped gradient is not computed here but read from what Keras does:
    a `keras.optimizers.SGD(learning_rate=1.0, **clipping)` step moves every weight by
    minus its clipped gradient; the weights are put back afterwards.
    Returns (raw gradients, clipped gradients), two lists of arrays, one per weight array.
    """
    import keras
    import tensorflow as tf

    loss_fn = loss_fn or keras.losses.MeanSquaredError()
    weights = model.trainable_variables
    with tf.GradientTape() as tape:
        loss = loss_fn(np.asarray(y, "float32"), model(np.asarray(x, "float32"), training=True))
    raw = tape.gradient(loss, weights)
    before = [w.numpy().copy() for w in weights]
    optimizer = keras.optimizers.SGD(learning_rate=1.0, **clipping)
    optimizer.build(weights)
    optimizer.apply_gradients(zip(raw, weights, strict=True))
    clipped = [b - w.numpy() for b, w in zip(before, weights, strict=True)]
    for w, b in zip(weights, before, strict=True):
        w.assign(b)
    return [g.numpy() for g in raw], clipped


def plot_clipping_runs(
    runs: Mapping[str, Mapping[str, np.ndarray]],
    *,
    baseline: tuple[str, float] | None = None,
    limits: Mapping[str, float] | None = None,
    axes=None,
):
    """Loss and gradient norm per update of several runs (from `train_recording`).

    Both axes are logarithmic, so the first few updates get room. A run whose loss
    overflows is drawn while it is finite and marked with an x (and a note) at the update
    where it first became inf or nan. `baseline` (label, loss) draws a reference loss on
    the left; `limits` maps a label to a gradient norm to draw as a line on the right.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 4))
    for i, (name, run) in enumerate(runs.items()):
        for ax, key in zip(axes, ["loss", "grad_norm"], strict=True):
            values = np.asarray(run[key], dtype=float)
            updates = np.arange(1, len(values) + 1)
            finite = np.isfinite(values)
            marker = "o" if finite.sum() < 5 else None  # a short run: show its points
            shown = np.where(finite, values, np.nan)
            ax.plot(updates, shown, color=f"C{i}", lw=1, marker=marker, label=name)
            if not finite.all():
                first_bad = int(np.argmax(~finite)) + 1
                top = ax.get_xaxis_transform()  # x in data, y in axes units
                ax.plot([first_bad], [0.93], "x", color=f"C{i}", ms=12, mew=3, transform=top)
                ax.annotate(
                    f"{name}: {values[first_bad - 1]} from update {first_bad}",
                    (first_bad, 0.93),
                    xycoords=top,
                    xytext=(10, -4),
                    textcoords="offset points",
                    color=f"C{i}",
                    fontsize=8,
                )
    if baseline is not None:
        axes[0].axhline(baseline[1], color="grey", linestyle="--", lw=1, label=baseline[0])
    for j, (label, value) in enumerate((limits or {}).items()):
        style = ["--", ":", "-."][j % 3]
        axes[1].axhline(value, color="black", linestyle=style, lw=1, label=label)
    axes[0].set_title("training loss (MSE) per update")
    axes[1].set_title("gradient norm per update, before clipping")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("update (log scale)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    return axes


# --------------------------------------------------------------------------------------
# Knowledge check

QUESTIONS = [
    Question(
        id="q1",
        prompt="A model has 5 weight arrays. You train it with Keras' `clipnorm=1.0`, then with "
        "`global_clipnorm=1.0`. Which statement is true?",
        choices={
            "a": "Both keep the direction of every update; they differ only in speed.",
            "b": "`global_clipnorm` clips each weight array's gradient on its own.",
            "c": "`clipnorm` sets every gradient to a norm of exactly 1.",
            "d": "`clipnorm` clips each array's gradient to norm 1 on its own, so the update can "
            "change direction and its total norm can reach sqrt(5); `global_clipnorm` scales all "
            "gradients by one factor and keeps the direction.",
        },
    ),
    Question(
        id="q2",
        prompt="For the one-weight RNN with w = 0.5, what vanishes as the sequence grows longer?",
        choices={
            "a": "Nothing: with w < 1 the gradient explodes.",
            "b": "The whole gradient dSSR/dw: it goes to zero with the length.",
            "c": "The share of the gradient that early steps contribute: their terms shrink like "
            "w^k, while the sum stays of order one because the recent terms dominate.",
            "d": "The loss: it goes to zero for long sequences.",
        },
    ),
    Question(
        id="q3",
        prompt="In a SimpleRNN, the gradient from the last step back to a step 50 steps earlier "
        "is multiplied by W_h (and tanh') once per step. If the largest singular value of W_h "
        "is 1.5, what can happen?",
        choices={
            "a": "The gradient can grow roughly like 1.5^50, about 6e8: it explodes, unless "
            "tanh' (at most 1) holds it down; clipping caps the update.",
            "b": "The gradient shrinks like 1.5^-50.",
            "c": "Nothing: W_h is used once per sequence.",
            "d": "The gradient stays the same size, since tanh' is at most 1.",
        },
    ),
]

__all__ = [
    "CELL_TYPES",
    "QUESTIONS",
    "accuracy_by_lag",
    "clipped_gradients",
    "cosine",
    "dw_terms",
    "gate_values",
    "global_norm",
    "input_gradient_norms",
    "plot_accuracy_by_lag",
    "plot_clipping_runs",
    "plot_dw_terms",
    "plot_gradient_norms",
    "recall_model",
    "recall_task",
    "state_gradient_norms",
    "state_kept",
    "train_recording",
]
