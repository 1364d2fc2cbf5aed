"""Unit 03: home-made LSTM and GRU cells, copying Keras' weights into them, and checks.

The notebook `03_homemade_lstm` writes the cells' equations itself (that is the lesson).
This module keeps what surrounds them: the weights of an LSTM cell (`LSTMCellWeights`) and of
a GRU cell (`GRUCellWeights`), copying weights from Keras, comparing a cell with Keras, timing,
the toy task.

Weight layout. The lectures write a gate as `sigma(W_f . [h_(t-1), x_t] + b_f)`: one
matrix per gate that multiplies the previous hidden state and the input stacked together.
Our LSTM cell stores exactly that: `W_f`, `W_i`, `W_c`, `W_o` of shape `(units + input_dim,
units)` (the `units` rows for `h_(t-1)` first) and biases `b_f`, `b_i`, `b_c`, `b_o`.
Keras stores the four gates side by side instead, in the column order i, f, c, o:
`kernel` `(input_dim, 4 * units)` for x, `recurrent_kernel` `(units, 4 * units)` for h, and
`bias` `(4 * units,)`. Keras' GRU uses the order z, r, h.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from helpers.quiz import Question
from helpers.timing import check_batch

LSTM_GATES = ("f", "i", "c", "o")  # our names: forget, input, candidate, output
KERAS_LSTM_ORDER = ("i", "f", "c", "o")  # Keras' column blocks in kernel / bias
KERAS_GRU_ORDER = ("z", "r", "h")  # update, reset, candidate


# --------------------------------------------------------------------------------------
# The cells' weights (the notebook writes their `call`)
# --------------------------------------------------------------------------------------


class LSTMCellWeights(keras.layers.Layer):
    """The weights of an LSTM cell: one matrix and one bias per gate, as in the equations.

    A subclass writes `call(self, x_t, states)`, the exercise of unit 03. Called eagerly on
    one step, `record_gates` keeps the gate values of that step in `last_gates`.
    """

    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if int(units) < 1:
            raise ValueError(f"units must be a positive number of hidden units, not {units}.")
        self.units = int(units)
        self.state_size = [self.units, self.units]  # h_t (short-term) and C_t (long-term)
        self.output_size = self.units
        self.last_gates: dict[str, np.ndarray] = {}

    def build(self, input_shape: Sequence[int | None]) -> None:
        rows = self.units + int(input_shape[-1])  # [h_(t-1), x_t] stacked
        shape = (rows, self.units)
        self.W_f = self.add_weight(shape=shape, initializer="glorot_uniform", name="W_f")
        self.W_i = self.add_weight(shape=shape, initializer="glorot_uniform", name="W_i")
        self.W_c = self.add_weight(shape=shape, initializer="glorot_uniform", name="W_c")
        self.W_o = self.add_weight(shape=shape, initializer="glorot_uniform", name="W_o")
        self.b_f = self.add_weight(shape=(self.units,), initializer="ones", name="b_f")
        self.b_i = self.add_weight(shape=(self.units,), initializer="zeros", name="b_i")
        self.b_c = self.add_weight(shape=(self.units,), initializer="zeros", name="b_c")
        self.b_o = self.add_weight(shape=(self.units,), initializer="zeros", name="b_o")

    def record_gates(self, **gates: Any) -> None:
        """Keep the gate values of this step (only in eager calls, not inside a graph)."""
        if tf.executing_eagerly():
            self.last_gates = {name: ops.convert_to_numpy(v) for name, v in gates.items()}

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units}


class GRUCellWeights(keras.layers.Layer):
    """The weights of a GRU cell in Keras' convention (`reset_after=True`), one set per gate.

    Update gate z, reset gate r, candidate h: input weights `W_z`, `W_r`, `W_h`
    `(input_dim, units)`, recurrent weights `U_z`, `U_r`, `U_h` `(units, units)`, biases
    `b_z`, `b_r`, `b_h`, and `b_hh`, the second bias of the candidate that Keras adds to the
    recurrent product before the reset gate multiplies it (cuDNN's convention). One state,
    h. A subclass writes `call(self, x_t, states)`, the second exercise of unit 03.
    """

    reset_after = True  # Keras' default; `copy_gru_weights` refuses a GRU with False

    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if int(units) < 1:
            raise ValueError(f"units must be a positive number of hidden units, not {units}.")
        self.units = int(units)
        self.state_size = self.units  # only h_t
        self.output_size = self.units
        self.last_gates: dict[str, np.ndarray] = {}

    def build(self, input_shape: Sequence[int | None]) -> None:
        d, u = int(input_shape[-1]), self.units
        add = self.add_weight
        self.W_z = add(shape=(d, u), initializer="glorot_uniform", name="W_z")  # x -> z
        self.W_r = add(shape=(d, u), initializer="glorot_uniform", name="W_r")
        self.W_h = add(shape=(d, u), initializer="glorot_uniform", name="W_h")
        self.U_z = add(shape=(u, u), initializer="orthogonal", name="U_z")  # h -> z
        self.U_r = add(shape=(u, u), initializer="orthogonal", name="U_r")
        self.U_h = add(shape=(u, u), initializer="orthogonal", name="U_h")
        self.b_z = add(shape=(u,), initializer="zeros", name="b_z")
        self.b_r = add(shape=(u,), initializer="zeros", name="b_r")
        self.b_h = add(shape=(u,), initializer="zeros", name="b_h")  # input side
        self.b_hh = add(shape=(u,), initializer="zeros", name="b_hh")  # recurrent side

    def record_gates(self, **gates: Any) -> None:
        """Keep the gate values of this step (only in eager calls, not inside a graph)."""
        if tf.executing_eagerly():
            self.last_gates = {name: ops.convert_to_numpy(v) for name, v in gates.items()}

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units}


# --------------------------------------------------------------------------------------
# Weight copying between Keras' layout and ours
# --------------------------------------------------------------------------------------


def _keras_cell(layer: Any, kind: str) -> Any:
    """The cell of a Keras LSTM/GRU layer (or the cell itself), checked to be built."""
    cell = getattr(layer, "cell", layer)
    if not all(hasattr(cell, name) for name in ("kernel", "recurrent_kernel")):
        raise ValueError(
            f"Expected a built keras.layers.{kind} (or {kind}Cell), got {type(layer).__name__}. "
            f"Call the Keras layer once on a batch (or build it) before copying its weights."
        )
    if getattr(cell, "bias", None) is None:
        raise ValueError(f"The Keras {kind} has use_bias=False; the home-made cell needs biases.")
    return cell


def _home_cell(cell: Any, names: Sequence[str], kind: str) -> None:
    missing = [n for n in names if not hasattr(cell, n)]
    if missing:
        raise ValueError(
            f"The home-made {kind} cell has no weights {', '.join(missing)}: build it first, "
            f"for example by calling keras.layers.RNN(cell) on a batch, or cell.build(x.shape)."
        )


def _assign(variable: Any, value: np.ndarray, name: str) -> None:
    if tuple(variable.shape) != tuple(value.shape):
        raise ValueError(
            f"{name} has shape {tuple(variable.shape)} but the Keras weights give "
            f"{tuple(value.shape)}: do the two layers have the same units and input size?"
        )
    variable.assign(value.astype(np.dtype(variable.dtype)))


def lstm_keras_to_gates(
    kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray
) -> dict[str, np.ndarray]:
    """Keras' LSTM weights -> {'W_f': [U_f; W_f] stacked (h rows first), ..., 'b_f': ...}."""
    kernel, recurrent_kernel, bias = (np.asarray(a) for a in (kernel, recurrent_kernel, bias))
    if kernel.ndim != 2 or kernel.shape[1] % 4:
        raise ValueError(
            f"An LSTM kernel has shape (input_dim, 4 * units), not {kernel.shape}: "
            f"pass layer.cell.kernel of a keras.layers.LSTM."
        )
    units = kernel.shape[1] // 4
    if recurrent_kernel.shape != (units, 4 * units) or bias.shape != (4 * units,):
        raise ValueError(
            f"With {units} units the recurrent kernel should be {(units, 4 * units)} and the "
            f"bias {(4 * units,)}, not {recurrent_kernel.shape} and {bias.shape}."
        )
    gates = {}
    for k, gate in enumerate(KERAS_LSTM_ORDER):
        cols = slice(k * units, (k + 1) * units)
        gates[f"W_{gate}"] = np.concatenate([recurrent_kernel[:, cols], kernel[:, cols]], axis=0)
        gates[f"b_{gate}"] = bias[cols]
    return gates


def lstm_gates_to_keras(gates: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The inverse of `lstm_keras_to_gates`: per-gate arrays -> (kernel, recurrent, bias).

    Works for weights and for gradients alike (the layout is the same).
    """
    missing = [f"{p}_{g}" for g in LSTM_GATES for p in "Wb" if f"{p}_{g}" not in gates]
    if missing:
        raise ValueError(f"Missing {', '.join(missing)} (need W_f..W_o and b_f..b_o).")
    W = {g: np.asarray(gates[f"W_{g}"]) for g in LSTM_GATES}
    units = W["f"].shape[1]
    kernel = np.concatenate([W[g][units:] for g in KERAS_LSTM_ORDER], axis=1)
    recurrent = np.concatenate([W[g][:units] for g in KERAS_LSTM_ORDER], axis=1)
    bias = np.concatenate([np.asarray(gates[f"b_{g}"]) for g in KERAS_LSTM_ORDER])
    return kernel, recurrent, bias


def copy_lstm_weights(keras_lstm: Any, cell: Any) -> None:
    """Copy the weights of a built keras.layers.LSTM (or LSTMCell) into a home-made cell."""
    source = _keras_cell(keras_lstm, "LSTM")
    names = [f"{p}_{g}" for g in LSTM_GATES for p in "Wb"]
    _home_cell(cell, names, "LSTM")
    gates = lstm_keras_to_gates(
        ops.convert_to_numpy(source.kernel),
        ops.convert_to_numpy(source.recurrent_kernel),
        ops.convert_to_numpy(source.bias),
    )
    for name in names:
        _assign(getattr(cell, name), gates[name], name)


def copy_gru_weights(keras_gru: Any, cell: Any) -> None:
    """Copy the weights of a built keras.layers.GRU (or GRUCell) into a home-made GRU cell."""
    source = _keras_cell(keras_gru, "GRU")
    reset_after = bool(getattr(source, "reset_after", True))
    if reset_after != bool(getattr(cell, "reset_after", True)):
        raise ValueError(
            f"The Keras GRU has reset_after={reset_after} but the home-made cell has "
            f"reset_after={getattr(cell, 'reset_after', None)}: the two compute different "
            f"candidates, so give both the same setting."
        )
    names = [f"{p}_{g}" for g in KERAS_GRU_ORDER for p in "WUb"] + (["b_hh"] if reset_after else [])
    _home_cell(cell, names, "GRU")
    kernel = ops.convert_to_numpy(source.kernel)
    recurrent = ops.convert_to_numpy(source.recurrent_kernel)
    bias = ops.convert_to_numpy(source.bias)
    units = kernel.shape[1] // 3
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, None)
    for k, gate in enumerate(KERAS_GRU_ORDER):
        cols = slice(k * units, (k + 1) * units)
        _assign(getattr(cell, f"W_{gate}"), kernel[:, cols], f"W_{gate}")
        _assign(getattr(cell, f"U_{gate}"), recurrent[:, cols], f"U_{gate}")
        b = input_bias[cols]
        if recurrent_bias is not None and gate != "h":
            b = b + recurrent_bias[cols]  # for z and r the two biases simply add up
        _assign(getattr(cell, f"b_{gate}"), b, f"b_{gate}")
    if reset_after:
        _assign(cell.b_hh, recurrent_bias[2 * units :], "b_hh")


def gru_gradients_to_keras(grads: Mapping[str, Any], reset_after: bool = True) -> dict:
    """Home-made GRU gradients -> Keras' layout {'kernel', 'recurrent_kernel', 'bias'}.

    With reset_after, Keras' input and recurrent biases of z and r both get the gradient of
    our single b_z / b_r (they enter the sum the same way).
    """
    g = {name: np.asarray(value) for name, value in grads.items()}
    kernel = np.concatenate([g[f"W_{k}"] for k in KERAS_GRU_ORDER], axis=1)
    recurrent = np.concatenate([g[f"U_{k}"] for k in KERAS_GRU_ORDER], axis=1)
    input_bias = np.concatenate([g[f"b_{k}"] for k in KERAS_GRU_ORDER])
    if not reset_after:
        return {"kernel": kernel, "recurrent_kernel": recurrent, "bias": input_bias}
    recurrent_bias = np.concatenate([g["b_z"], g["b_r"], g["b_hh"]])
    bias = np.stack([input_bias, recurrent_bias])
    return {"kernel": kernel, "recurrent_kernel": recurrent, "bias": bias}


# --------------------------------------------------------------------------------------
# Comparing a home-made cell with Keras' layer
# --------------------------------------------------------------------------------------


def randomize_weights(layer: keras.layers.Layer, *, scale: float = 0.3, seed: int = 0) -> None:
    """Give every weight of a built layer random normal values (biases too, not zeros)."""
    if not layer.weights:
        raise ValueError(f"{layer.name} has no weights yet: call it on a batch first.")
    rng = np.random.default_rng(seed)
    for w in layer.weights:
        w.assign(rng.normal(0.0, scale, size=tuple(w.shape)).astype(np.dtype(w.dtype)))


def compare_with_keras(
    keras_layer: Any, cell: Any, x: Any, mask: Any = None, *, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Largest absolute differences between a Keras LSTM/GRU and a home-made cell.

    The Keras layer is built on `x` and given random weights (biases included, so that
    every weight matters), which are copied into `cell`. Both run over the batch (with
    `mask` if given), and the loss `sum(outputs**2) / batch` is differentiated. Returns the
    max |difference| of the outputs at every step, of the final hidden state, of the final
    cell state (LSTM only), of the gradients with respect to the weights (in Keras' layout)
    and to the input sequence, each as {"diff": max |difference|, "size": max |Keras value|}.
    """
    x, mask = check_batch(x, mask)
    is_lstm = isinstance(keras_layer, keras.layers.LSTM)
    if not is_lstm and not isinstance(keras_layer, keras.layers.GRU):
        raise ValueError(f"keras_layer should be keras.layers.LSTM or GRU, not {keras_layer!r}.")
    if not (keras_layer.return_sequences and keras_layer.return_state):
        raise ValueError("Create the Keras layer with return_sequences=True, return_state=True.")
    xt = tf.constant(x)
    mask_t = None if mask is None else tf.constant(mask)
    keras_layer(xt[:1], mask=None if mask_t is None else mask_t[:1])  # build
    randomize_weights(keras_layer, seed=seed)
    home = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    home(xt[:1], mask=None if mask_t is None else mask_t[:1])
    (copy_lstm_weights if is_lstm else copy_gru_weights)(keras_layer, cell)

    def run(layer):
        with tf.GradientTape() as tape:
            tape.watch(xt)
            outs = layer(xt, mask=mask_t)
            loss = tf.reduce_sum(tf.square(outs[0])) / x.shape[0]
        weights = layer.trainable_weights
        grads_x, *grads = tape.gradient(loss, [xt, *[w.value for w in weights]])
        grads = [  # a weight the loss does not use gets no gradient: zero
            np.zeros(tuple(w.shape), "float32") if g is None else g.numpy()
            for w, g in zip(weights, grads, strict=True)
        ]
        return [o.numpy() for o in outs], grads_x.numpy(), grads, weights

    k_outs, k_dx, k_grads, k_weights = run(keras_layer)
    h_outs, h_dx, h_grads, h_weights = run(home)
    k_named = {w.path.split("/")[-1]: g for w, g in zip(k_weights, k_grads, strict=True)}
    h_named = {w.path.split("/")[-1]: g for w, g in zip(h_weights, h_grads, strict=True)}
    if is_lstm:
        kernel, recurrent, bias = lstm_gates_to_keras(h_named)
        h_layout = {"kernel": kernel, "recurrent_kernel": recurrent, "bias": bias}
    else:
        h_layout = gru_gradients_to_keras(h_named, reset_after=cell.reset_after)
    pairs = {"outputs": (h_outs[0], k_outs[0]), "final h": (h_outs[1], k_outs[1])}
    if is_lstm:
        pairs["final c"] = (h_outs[2], k_outs[2])
    pairs["weight gradients"] = (
        np.concatenate([h_layout[n].ravel() for n in h_layout]),
        np.concatenate([k_named[n].ravel() for n in h_layout]),
    )
    pairs["input gradients"] = (h_dx, k_dx)
    return {
        name: {"diff": float(np.max(np.abs(a - b))), "size": float(np.max(np.abs(b)))}
        for name, (a, b) in pairs.items()
    }


def matches(diffs: Mapping[str, Mapping[str, float]], tol: float = 1e-6) -> bool:
    """True when every difference is at most `tol` times max(1, size of the values).

    float32 carries about 7 significant digits, so two correct computations that add the
    same numbers in a different order differ by about 1e-7 of the values' size.
    """
    if not diffs:
        raise ValueError("no differences to judge: pass the result of compare_with_keras.")
    return all(d["diff"] <= tol * max(1.0, d["size"]) for d in diffs.values())


def print_differences(diffs: Mapping[str, Mapping[str, float]], tol: float = 1e-6) -> None:
    """A table of what `compare_with_keras` measured, and whether each is within `tol`."""
    if not diffs:
        raise ValueError("no differences to show: pass the result of compare_with_keras.")
    print(f"{'compared':18s} {'max |difference|':>17s} {'max |value|':>12s}  within {tol:g}")
    for name, d in diffs.items():
        ok = d["diff"] <= tol * max(1.0, d["size"])
        print(f"{name:18s} {d['diff']:17.2e} {d['size']:12.3g}  {ok}")


# --------------------------------------------------------------------------------------
# Speed
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# The side-by-side training task
# --------------------------------------------------------------------------------------


def latest_marker_task(
    n: int, steps: int, *, marker_rate: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Sequences of random values, some of them marked; the target is the last marked value.

    x has shape (n, steps, 2): feature 0 is a value in [-1, 1], feature 1 is 1 where the
    value is marked. Every sequence has at least one marker. y has shape (n, 1). A new
    marker makes the old value worthless: the cell must forget it and store the new one,
    like a language model that meets a new subject.
    """
    if n < 1 or steps < 2:
        raise ValueError(f"need n >= 1 sequences of steps >= 2 time steps, not {n} and {steps}.")
    if not 0.0 < marker_rate < 1.0:
        raise ValueError(f"marker_rate is a probability in (0, 1), not {marker_rate}.")
    rng = np.random.default_rng(seed)
    values = rng.uniform(-1.0, 1.0, size=(n, steps)).astype("float32")
    marks = rng.random((n, steps)) < marker_rate
    marks[np.arange(n), rng.integers(0, steps // 2, size=n)] = True  # at least one
    last = steps - 1 - np.argmax(marks[:, ::-1], axis=1)
    y = values[np.arange(n), last][:, None]
    x = np.stack([values, marks.astype("float32")], axis=-1)
    return x, y


# --------------------------------------------------------------------------------------
# Inside a trained cell: where the latest-marker task keeps its value
# --------------------------------------------------------------------------------------


def run_cell(cell: Any, x: Any) -> dict[str, np.ndarray]:
    """Run a built LSTM cell eagerly over `x` step by step, from zero states.

    Returns the gates the cell recorded at every step (`forget`, `input`, `candidate`,
    `output`) and its states `c` and `h`, each of shape (batch, time steps, units).
    """
    x = check_batch(x, None)[0]
    units = getattr(cell, "units", None)
    if units is None or not getattr(cell, "built", False):
        raise ValueError("Pass a built LSTM cell, e.g. model.layers[0].cell of a trained model.")
    h = c = np.zeros((x.shape[0], units), "float32")
    steps: dict[str, list[np.ndarray]] = {}
    for t in range(x.shape[1]):
        _, (h, c) = cell(x[:, t], [h, c])
        if not getattr(cell, "last_gates", None):
            raise ValueError("The cell recorded no gates: keep its self.record_gates(...) line.")
        values = {**cell.last_gates, "c": c, "h": h}
        for name, value in values.items():
            steps.setdefault(name, []).append(np.asarray(ops.convert_to_numpy(value)))
    return {name: np.stack(v, axis=1) for name, v in steps.items()}


def last_marked(x: Any) -> tuple[np.ndarray, np.ndarray]:
    """For `latest_marker_task` inputs: the last marked value so far, and the steps since it.

    Both have shape (batch, time steps). Before a sequence's first marker `held` is NaN and
    `since` is -1; on a marked step `since` is 0.
    """
    x = check_batch(x, None)[0]
    steps = np.arange(x.shape[1])
    last = np.maximum.accumulate(np.where(x[:, :, 1] > 0, steps, -1), axis=1)
    held = np.take_along_axis(x[:, :, 0], np.maximum(last, 0), axis=1)
    held[last < 0] = np.nan
    return held, np.where(last < 0, -1, steps - last)


def forget_product_since(forget: np.ndarray, since: np.ndarray) -> np.ndarray:
    """The product of the forget gates after the last marker: f_(m+1) * ... * f_t.

    `forget` is (batch, time steps, units), `since` from `last_marked`. It is the factor by
    which what the cell state held at the marker step m is still present at step t: 1 on
    the marker step, NaN before the first marker.
    """
    forget = np.asarray(forget, dtype="float64")
    if forget.ndim != 3 or forget.shape[:2] != np.shape(since):
        raise ValueError(
            f"forget should be (batch, time steps, units) and since (batch, time steps), "
            f"not {forget.shape} and {np.shape(since)}."
        )
    product = np.full(forget.shape, np.nan)
    running = np.full(forget.shape[::2], np.nan)  # (batch, units)
    for t in range(forget.shape[1]):
        running = np.where(since[:, t, None] == 0, 1.0, running * forget[:, t])
        product[:, t] = running  # stays NaN until the first marker
    return product


def split_cell_state(
    c: np.ndarray, forget: np.ndarray, since: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """C_t = kept + written: what is left of C at the last marker step, and what came since.

    kept = (f_(m+1) * ... * f_t) * C_m is the marker step's cell state carried along the
    forget gates alone; written = C_t - kept is everything the input gate added after it.
    NaN before the first marker.
    """
    c = np.asarray(c, dtype="float64")
    product = forget_product_since(forget, since)
    last = np.maximum(np.arange(c.shape[1]) - np.asarray(since), 0)
    at_marker = np.take_along_axis(c, np.broadcast_to(last[:, :, None], c.shape), axis=1)
    kept = product * at_marker
    return kept, c - kept


def unit_correlations(values: np.ndarray, target: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Per unit, the correlation of values (batch, steps, units) with target (batch, steps).

    Only the (sequence, step) entries where `where` is True count. A unit whose values do
    not vary gets 0.
    """
    values, target = np.asarray(values, "float64"), np.asarray(target, "float64")
    where = np.asarray(where, dtype=bool)
    if values.shape[:2] != target.shape or where.shape != target.shape:
        raise ValueError(
            f"values {values.shape}, target {target.shape} and where {where.shape} must "
            f"agree on (batch, time steps)."
        )
    v = values[where] - values[where].mean(axis=0)
    y = target[where] - target[where].mean()
    norm = np.sqrt((v**2).sum(axis=0) * (y**2).sum())
    return np.divide(v.T @ y, norm, out=np.zeros(v.shape[1]), where=norm > 0)


def _plot_marked_sequence(ax: Any, x: np.ndarray, held: np.ndarray, answers: np.ndarray) -> None:
    """One sequence of the latest-marker task: values, marked values, target, answers."""
    n_steps, marked = len(x), np.flatnonzero(x[:, 1])
    ax.bar(range(n_steps), x[:, 0], color="lightgrey", label="value")
    ax.bar(marked, x[marked, 0], color="C1", label="marked value")
    ax.step(range(n_steps), held, where="mid", color="C3", lw=2, label="last marked value")
    ax.plot(range(n_steps), answers, "o", color="k", ms=4, label="answer if it ended here")
    ax.set_ylim(-1.1, 1.1)
    ax.set_ylabel("value")
    ax.set_xlim(-0.5, n_steps - 0.5)
    ax.legend(fontsize=7, ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0))


def plot_cell_memory(
    x: np.ndarray,
    steps: Mapping[str, np.ndarray],
    answers: np.ndarray,
    units: Sequence[int],
    *,
    k: int = 0,
    labels: Sequence[str] | None = None,
) -> Any:
    """One sequence of the latest-marker task and what the chosen units do with it.

    Top: the values, the marked ones, the last marked value so far and the model's answer
    if the sequence ended at each step. Below, one row per unit, time across: the cell
    state C_t, the product of forget gates since the last marker, and the write i_t * C~_t.
    `labels` names the rows (default: "unit <number>").
    """
    units = [int(u) for u in units]
    labels = [f"unit {u}" for u in units] if labels is None else list(labels)
    if len(labels) != len(units):
        raise ValueError(f"{len(labels)} labels for {len(units)} units: give one per unit.")
    import matplotlib.pyplot as plt

    held, since = last_marked(x[k : k + 1])
    product = forget_product_since(steps["forget"][k : k + 1], since)[0][:, units].T
    written = (steps["input"] * steps["candidate"])[k][:, units].T
    cell_state = steps["c"][k][:, units].T
    marked = np.flatnonzero(x[k, :, 1])
    fig, axes = plt.subplots(
        4,
        2,
        figsize=(10, 9),
        gridspec_kw={"width_ratios": [40, 1], "height_ratios": [1.3, 1, 1, 1]},
    )
    axes[0, 1].axis("off")
    _plot_marked_sequence(axes[0, 0], x[k], held[0], answers[k])
    big = float(max(np.abs(cell_state).max(), 1e-6))
    wrote = float(max(np.abs(written).max(), 1e-6))
    rows = [
        (cell_state, "RdBu_r", -big, big, "cell state C_t"),
        (product, "viridis", 0, 1, "product of forget gates since the last marker"),
        (written, "RdBu_r", -wrote, wrote, "write i_t * C~_t"),
    ]
    for (ax, bar), (data, cmap, low, high, title) in zip(axes[1:], rows, strict=True):
        image = ax.imshow(
            data, aspect="auto", cmap=cmap, vmin=low, vmax=high, interpolation="nearest"
        )
        fig.colorbar(image, cax=bar)
        ax.set_title(title, fontsize=10)
        ax.set_yticks(range(len(units)), labels, fontsize=8)
    for ax in axes[:, 0]:
        for t in marked:
            ax.axvline(t, color="C1", lw=1, alpha=0.7)
    axes[-1, 0].set_xlabel("time step (orange lines: marked steps)")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------
# Knowledge check
# --------------------------------------------------------------------------------------

QUESTIONS = [
    Question(
        id="q1",
        prompt="Which statement about LSTMs is true?",
        choices={
            "a": "An LSTM is a special RNN that handles long-term dependencies well.",
            "b": "An LSTM is an RNN with faster feedback loops, so it trains faster.",
            "c": "An LSTM controls its memory with an update gate and a reset gate.",
            "d": "The advantage of LSTMs is only theoretical; in practice they equal plain RNNs.",
        },
    ),
    Question(
        id="q2",
        prompt="Keras' GRU uses `reset_after=True` by default. What does it change?",
        choices={
            "a": "Nothing: it is another name for the same computation.",
            "b": "The reset gate multiplies the recurrent product, r_t * (h_(t-1) U_h + b_hh), "
            "with its own recurrent bias; with the same weights the two conventions give "
            "different outputs.",
            "c": "The update gate is applied after the candidate instead of before.",
            "d": "The state is reset to zero after every batch.",
        },
    ),
    Question(
        id="q3",
        prompt="Why can the cell state C_t work as long-term memory?",
        choices={
            "a": "C_t is multiplied by a weight matrix at every step, which keeps it large.",
            "b": "C_t stores the whole input sequence.",
            "c": "C_t changes only through the gates' products and a sum, with no weight matrix "
            "on it, so information and gradients can pass many steps when f_t is near 1.",
            "d": "C_t is the output of the cell, so the loss updates it directly.",
        },
    ),
    Question(
        id="q4",
        prompt="Compared with an LSTM of the same size, a GRU ...",
        choices={
            "a": "has three gates and a separate cell state, and more parameters.",
            "b": "cannot learn long-term dependencies at all.",
            "c": "is identical to an LSTM whose forget gate is removed.",
            "d": "has an update gate and a reset gate, no separate cell state, and about three "
            "quarters of the parameters.",
        },
    ),
]


def show_source(obj: Any) -> None:
    """Print the code of a class or function of the course's helpers, to read it."""
    import inspect

    print(inspect.getsource(obj).rstrip())
