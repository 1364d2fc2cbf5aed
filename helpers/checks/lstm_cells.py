"""Checks of unit 03's exercises: the `call` of the home-made LSTM cell and of the GRU cell.

The values of one step on fixed weights and inputs (every gate, the states) are shipped as
numbers in `expected_values.json`, made by the instructor tools from the instructor notebook;
over whole sequences each cell is compared with `keras.layers.LSTM` or `keras.layers.GRU`.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from helpers.checks import CheckFailed, call_student, expected_values, passed
from helpers.lstm_cells import KERAS_GRU_ORDER, LSTM_GATES, _assign, compare_with_keras, matches


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


def _over_sequences(
    cell_class: type, units: int, step_shape: tuple[int, int], kind: str = "LSTM"
) -> None:
    """The whole sequence, inside keras.layers.RNN (and a graph), against Keras' layer.

    The GRU is also run with a mask (the last steps of some sequences are padding).
    """
    batch, input_dim = step_shape
    seq = np.random.default_rng(3).normal(size=(batch, 7, input_dim)).astype("float32")
    mask = None
    if kind == "GRU":
        mask = np.arange(7)[None, :] < np.resize([7, 5, 3, 6], batch)[:, None]
        seq = seq * mask[:, :, None]
    layer = getattr(keras.layers, kind)(units, return_sequences=True, return_state=True)
    try:
        diffs = compare_with_keras(
            layer, call_student(cell_class, units, what="the cell"), seq, mask
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
            f"keras.layers.{kind} by up to {diffs[worst]['diff']:.2g}."
        )


# --------------------------------------------------------------------------------------
# The GRU cell (Keras' convention, reset_after=True)
# --------------------------------------------------------------------------------------

_GRU_WEIGHTS = [f"{p}_{g}" for g in KERAS_GRU_ORDER for p in "WUb"] + ["b_hh"]

_GRU_HINTS = {
    "update": (
        "the update gate z_t",
        "z_t = sigmoid(x_t @ W_z + h_(t-1) @ U_z + b_z): the input through W_z, the old state "
        "through U_z, the bias b_z, and a sigmoid (a gate lies between 0 and 1).",
    ),
    "reset": (
        "the reset gate r_t",
        "r_t = sigmoid(x_t @ W_r + h_(t-1) @ U_r + b_r): its own weights W_r, U_r, b_r.",
    ),
    "candidate": (
        "the candidate h~_t",
        "h~_t = tanh(x_t @ W_h + b_h + r_t * (h_(t-1) @ U_h + b_hh)): in Keras' convention the "
        "reset gate multiplies the recurrent product and its bias b_hh, after the product.",
    ),
    "hidden": (
        "the new state h_t",
        "h_t = z_t * h_(t-1) + (1 - z_t) * h~_t: z_t is the part of the old state kept.",
    ),
}


def _close(got: np.ndarray, want: np.ndarray) -> bool:
    return got.shape == want.shape and bool(np.allclose(got, want, atol=1e-4, rtol=1e-3))


def _gru_diagnosis(key: str, got: Any, v: dict[str, np.ndarray]) -> str:
    """A plain-words guess at a typical mistake behind a wrong gate or state, or ''."""
    try:
        got = np.asarray(ops.convert_to_numpy(got), dtype=np.float64)
    except Exception:
        return ""
    if key in ("update", "reset"):
        letter = "z" if key == "update" else "r"
        other = "reset" if key == "update" else "update"
        gate = np.clip(got, 1e-7, 1 - 1e-7)
        want = np.clip(v[key], 1e-7, 1 - 1e-7)
        missing = np.log(gate / (1 - gate)) - np.log(want / (1 - want))
        if _close(missing, -np.broadcast_to(v[f"b_{letter}"], missing.shape)):
            return f"You left out the bias b_{letter}: add it inside the sigmoid."
        if _close(got, v[other]):
            return (
                f"It equals the {other} gate: use the weights of this gate "
                f"(W_{letter}, U_{letter}, b_{letter})."
            )
        return ""
    if key == "candidate":
        r, h_prev = v["reset"], v["h_prev"]
        product = h_prev @ v["U_h"]
        pre = np.arctanh(np.clip(v["candidate"], -1 + 1e-7, 1 - 1e-7))
        inner = pre - r * (product + v["b_hh"])  # x_t @ W_h + b_h
        if _close(got, np.tanh(inner + (r * h_prev) @ v["U_h"])) or _close(
            got, np.tanh(inner + (r * h_prev) @ v["U_h"] + v["b_hh"])
        ):
            return (
                "You reset h_(t-1) before the product, (r_t * h_(t-1)) @ U_h: that is the "
                "original GRU (reset_after=False). Keras' default multiplies first and resets "
                "after: r_t * (h_(t-1) @ U_h + b_hh)."
            )
        if _close(got, np.tanh(inner - v["b_h"] + r * (product + v["b_hh"]))):
            return "You left out the bias b_h of the input side: add it inside the tanh."
        if _close(got, np.tanh(inner + r * product)):
            return (
                "You left out the recurrent bias b_hh: it goes inside the reset, "
                "r_t * (h_(t-1) @ U_h + b_hh)."
            )
        if _close(got, np.tanh(inner + product + v["b_hh"])):
            return "The reset gate r_t is missing: it multiplies (h_(t-1) @ U_h + b_hh)."
        if _close(got, 1 / (1 + np.exp(-pre))):
            return "Use tanh for the candidate (a value between -1 and 1), not a sigmoid."
        return ""
    z, h_tilde, h_prev = v["update"], v["candidate"], v["h_prev"]
    if _close(got, (1 - z) * h_prev + z * h_tilde):
        return (
            "You swapped z_t and 1 - z_t: h_t = (1 - z_t) * h_(t-1) + z_t * h~_t is the "
            "convention of some texts, but Keras' update gate (like Cho et al.'s) is the part "
            "of the OLD state kept: h_t = z_t * h_(t-1) + (1 - z_t) * h~_t."
        )
    if _close(got, h_tilde):
        return "h_t is just the candidate: mix it with the old state h_(t-1) through z_t."
    return ""


def gru_call(cell_class: type) -> None:
    """Exercise check: the student's GRU cell computes Keras' GRU (reset_after=True).

    The cell gets known weights and runs one step; the update gate, reset gate and
    candidate it recorded with `record_gates`, and the new state, are compared with shipped
    values of the same step, in the order of the equations, and the first that differs is
    named, with the typical mistake behind it where one fits. Then the cell runs over whole
    padded sequences inside keras.layers.RNN and is compared with keras.layers.GRU: outputs,
    final state and gradients.
    """
    values = expected_values("gru-call")
    v = {key: np.asarray(value, "float64") for key, value in values.items()}
    batch, input_dim = v["x"].shape
    units = v["h_prev"].shape[1]
    name = getattr(cell_class, "__name__", "the cell")
    cell = call_student(cell_class, units, what=f"{name}()")
    try:
        cell.build((None, input_dim))
    except Exception as exc:
        raise CheckFailed(f"building the cell failed: {type(exc).__name__}: {exc}") from None
    missing = [w for w in _GRU_WEIGHTS if not hasattr(cell, w)]
    if missing:
        raise CheckFailed(
            f"the cell has no weights {', '.join(missing)}: subclass GRUCellWeights and keep "
            "its build."
        )
    for weight in _GRU_WEIGHTS:
        _assign(getattr(cell, weight), v[weight].astype("float32"), weight)
    output, new_state = _gru_step(cell, v)
    gates = dict(getattr(cell, "last_gates", {}) or {})
    got = {k: gates.get(k) for k in ("update", "reset", "candidate")}
    got["hidden"] = new_state
    for key in ("update", "reset", "candidate", "hidden"):
        if got[key] is None:
            continue  # gate not recorded: the new state still catches a mistake
        problem = _differs(got[key], v[key])
        if problem:
            label, hint = _GRU_HINTS[key]
            why = _gru_diagnosis(key, got[key], v)
            raise CheckFailed(
                f"{label} differs from the expected value: {problem}. " + (why or f"Check {hint}")
            )
    if _differs(output, v["hidden"]):
        raise CheckFailed("the output differs from h_t: a GRU cell outputs its new state h_t.")
    _over_sequences(cell_class, units, (batch, input_dim), kind="GRU")
    not_recorded = [k for k in ("update", "reset", "candidate") if got[k] is None]
    note = (
        f" (record_gates did not get {', '.join(not_recorded)}; keep that line to see them)"
        if not_recorded
        else ""
    )
    passed(
        "the update gate, reset gate, candidate and new state have their expected values, and "
        "over padded sequences your cell equals keras.layers.GRU (outputs, final state, "
        f"gradients){note}."
    )


def _gru_step(cell: Any, v: dict[str, np.ndarray]) -> tuple[Any, Any]:
    """(output, new h) of one eager step on the shipped inputs, or a plain-words failure."""
    x, h_prev = (tf.constant(v[k].astype("float32")) for k in ("x", "h_prev"))
    cell.last_gates = {}
    try:
        result = cell(x, [h_prev])
    except NotImplementedError:
        raise CheckFailed(
            "the GRU's call is not written yet: replace `raise NotImplementedError` with the "
            "equations."
        ) from None
    except Exception as exc:
        message = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        hint = ""
        if "size-incompatible" in message or "shape" in message.lower():
            hint = (
                " Shapes: x_t goes through W (input_dim, units), h_(t-1) through U (units, units)."
            )
        raise CheckFailed(f"call raised {type(exc).__name__}: {message}.{hint}") from None
    if not (isinstance(result, (list, tuple)) and len(result) == 2):
        raise CheckFailed("call should return two things: `return h, [h]`.")
    output, states = result
    if isinstance(states, (list, tuple)):
        if len(states) != 1:
            raise CheckFailed(
                f"a GRU has one state, h_t, but your call returns {len(states)}: `return h, [h]`."
            )
        states = states[0]
    return output, states
