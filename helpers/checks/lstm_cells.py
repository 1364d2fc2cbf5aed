"""Check of unit 03's exercise: the `call` of the home-made LSTM cell.

The values of one step on fixed weights and inputs (every gate, the cell state, the hidden
state) are shipped as numbers in `expected_values.json`, made by the instructor tools from
the instructor notebook; over whole sequences the cell is compared with `keras.layers.LSTM`.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from helpers.checks import CheckFailed, call_student, expected_values, passed
from helpers.lstm_cells import LSTM_GATES, _assign, compare_with_keras, matches


def _weight_names() -> list[str]:
    return [f"{p}_{g}" for g in LSTM_GATES for p in "Wb"]


_GATE_HINTS = {
    "forget": (
        "the forget gate f_t",
        "f_t = sigmoid([h_(t-1), x_t] @ W_f + b_f): h_(t-1) first, then x_t, "
        "the weights W_f and b_f, and a sigmoid (a gate lies between 0 and 1).",
    ),
    "input": (
        "the input gate i_t",
        "i_t = sigmoid([h_(t-1), x_t] @ W_i + b_i): its own weights W_i, b_i and a sigmoid.",
    ),
    "candidate": (
        "the candidate C~_t",
        "C~_t = tanh([h_(t-1), x_t] @ W_c + b_c): the weights W_c, b_c and a tanh (the "
        "candidate lies between -1 and 1, it is a value, not a gate).",
    ),
    "cell": (
        "the new cell state C_t",
        "C_t = f_t * C_(t-1) + i_t * C~_t: keep part of the old memory, add part of the new.",
    ),
    "output": (
        "the output gate o_t",
        "o_t = sigmoid([h_(t-1), x_t] @ W_o + b_o): the weights W_o, b_o and a sigmoid.",
    ),
    "hidden": (
        "the new hidden state h_t",
        "h_t = o_t * tanh(C_t), with the new cell state C_t (not C_(t-1)).",
    ),
}


def _differs(got: Any, want: np.ndarray, atol: float = 1e-5) -> str | None:
    """None when equal; otherwise a short description of the first difference."""
    try:
        got = np.asarray(ops.convert_to_numpy(got), dtype=np.float64)
    except Exception as exc:
        return f"it is not an array of numbers ({type(exc).__name__})"
    if got.shape != want.shape:
        return f"it has shape {got.shape}, expected {want.shape}"
    if not np.all(np.isfinite(got)):
        return "it contains NaN or infinity"
    if np.allclose(got, want, atol=atol, rtol=1e-4):
        return None
    worst = np.unravel_index(np.argmax(np.abs(got - want)), got.shape)
    return (
        f"at sample {worst[0]}, unit {worst[1]} it is {got[worst]:.4f}, expected {want[worst]:.4f}"
    )


def lstm_call(cell_class: type) -> None:
    """Exercise check: the student's LSTM cell computes the lectures' equations.

    The cell gets known weights and runs one step; each gate it recorded with
    `record_gates` is compared with shipped values of the same step, in the order of the
    equations, and the first that differs is named. Then the cell runs over whole
    sequences inside keras.layers.RNN and is compared with keras.layers.LSTM.
    """
    values = expected_values("lstm-call")
    x = np.asarray(values["x"], "float32")
    units = len(values["h_prev"][0])
    cell = _cell_with_known_weights(cell_class, values)
    output, states = _one_step(cell, values)
    want = {key: np.asarray(values[key], "float64") for key in _GATE_HINTS}
    gates = dict(getattr(cell, "last_gates", {}) or {})
    got = {**{k: gates.get(k) for k in ("forget", "input", "candidate", "output")}}
    got.update(cell=states[1], hidden=states[0])
    if (
        _differs(states[0], want["cell"]) is None
        and _differs(states[1], want["hidden"]) is None
        and _differs(states[0], want["hidden"]) is not None
    ):
        raise CheckFailed("the states are in the wrong order: return h, [h, c] (h first).")
    for key in ("forget", "input", "candidate", "cell", "output", "hidden"):
        if got[key] is None:
            continue  # gate not recorded: the cell and hidden states still catch a mistake
        problem = _differs(got[key], want[key])
        if problem:
            name, hint = _GATE_HINTS[key]
            raise CheckFailed(f"{name} differs from the expected value: {problem}. Check {hint}")
    if _differs(output, want["hidden"]):
        raise CheckFailed("the output differs from h_t: an LSTM cell outputs its hidden state.")
    _over_sequences(cell_class, units, x.shape)
    not_recorded = [k for k in ("forget", "input", "candidate", "output") if got[k] is None]
    note = (
        f" (record_gates did not get {', '.join(not_recorded)}; keep that line to see them)"
        if not_recorded
        else ""
    )
    passed(
        "every gate, the cell state and the hidden state have their expected values, and over a "
        f"whole sequence your cell equals keras.layers.LSTM{note}."
    )


def _cell_with_known_weights(cell_class: type, values: dict[str, Any]) -> Any:
    """The student's cell, built, with the shipped weights assigned."""
    input_dim, units = len(values["x"][0]), len(values["h_prev"][0])
    cell = call_student(cell_class, units, what=f"{getattr(cell_class, '__name__', 'the cell')}()")
    try:
        cell.build((None, input_dim))
    except Exception as exc:
        raise CheckFailed(f"building the cell failed: {type(exc).__name__}: {exc}") from None
    missing = [f"{p}_{g}" for g in LSTM_GATES for p in "Wb" if not hasattr(cell, f"{p}_{g}")]
    if missing:
        raise CheckFailed(f"the cell has no weights {', '.join(missing)}: keep the given build.")
    for name in _weight_names():
        _assign(getattr(cell, name), np.asarray(values[name], "float32"), name)
    return cell


def _one_step(cell: Any, values: dict[str, Any]) -> tuple[Any, Any]:
    """(output, [h, c]) of one eager step on the shipped inputs, or a plain-words failure."""
    x, h_prev, c_prev = (np.asarray(values[k], "float32") for k in ("x", "h_prev", "c_prev"))
    cell.last_gates = {}
    try:
        result = cell(tf.constant(x), [tf.constant(h_prev), tf.constant(c_prev)])
    except NotImplementedError:
        raise CheckFailed(
            "call is not written yet: replace `raise NotImplementedError` with the equations."
        ) from None
    except Exception as exc:
        hint = ""
        if "size-incompatible" in str(exc) or "shape" in str(exc).lower():
            shape = np.shape(values["W_f"])
            hint = (
                " Shapes: [h_(t-1), x_t] has units + input_dim columns (h first), and each "
                f"W has shape (units + input_dim, units) = {shape}."
            )
        message = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise CheckFailed(f"call raised {type(exc).__name__}: {message}.{hint}") from None
    if not (isinstance(result, (list, tuple)) and len(result) == 2):
        raise CheckFailed("call should return two things: `return h, [h, c]`.")
    output, states = result
    if not (isinstance(states, (list, tuple)) and len(states) == 2):
        raise CheckFailed("the new states should be a list of two tensors: `return h, [h, c]`.")
    return output, states


def _over_sequences(cell_class: type, units: int, step_shape: tuple[int, int]) -> None:
    """The whole sequence, inside keras.layers.RNN (and a graph), against keras.layers.LSTM."""
    batch, input_dim = step_shape
    seq = np.random.default_rng(3).normal(size=(batch, 7, input_dim)).astype("float32")
    keras_lstm = keras.layers.LSTM(units, return_sequences=True, return_state=True)
    try:
        diffs = compare_with_keras(
            keras_lstm, call_student(cell_class, units, what="the cell"), seq
        )
    except CheckFailed:
        raise
    except Exception as exc:
        raise CheckFailed(
            f"one step is right, but inside keras.layers.RNN the cell raised "
            f"{type(exc).__name__}: {str(exc).strip()[:200]}. Use keras.ops (or tf) functions, "
            f"not NumPy, inside call."
        ) from None
    if not matches(diffs, tol=1e-5):
        worst = max(diffs, key=lambda k: diffs[k]["diff"] / max(1.0, diffs[k]["size"]))
        raise CheckFailed(
            f"one step is right, but over a sequence of 7 steps the {worst} differ from "
            f"keras.layers.LSTM by up to {diffs[worst]['diff']:.2g}."
        )
