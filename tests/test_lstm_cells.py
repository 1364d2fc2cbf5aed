"""Unit tests for helpers.lstm_cells (weights, copying, comparing, timing) and unit 03's check."""

import keras
import numpy as np
import pytest
from keras import ops

from helpers import lstm_cells as lc
from helpers import timing
from helpers.checks import CheckFailed
from helpers.checks import lstm_cells as check
from instructor.check_values import solution_namespace

LSTMCell = solution_namespace(
    "03_homemade_lstm",
    "lstm-call",
    "import keras\nfrom keras import ops\nfrom helpers.lstm_cells import LSTMCellWeights",
)["HomemadeLSTMCell"]  # the instructor notebook's solution
GRUCell = solution_namespace(
    "03_homemade_lstm",
    "gru-call",
    "import keras\nfrom keras import ops\nfrom helpers.lstm_cells import GRUCellWeights",
)["HomemadeGRUCell"]  # the instructor notebook's solution

RNG = np.random.default_rng(0)
X = RNG.normal(size=(3, 6, 4)).astype("float32")
MASK = np.arange(6)[None, :] < np.array([[6], [4], [2]])


def keras_lstm(units=5, **kwargs):
    return keras.layers.LSTM(units, return_sequences=True, return_state=True, **kwargs)


def keras_gru(units=5, **kwargs):
    return keras.layers.GRU(units, return_sequences=True, return_state=True, **kwargs)


# --- equality with Keras ---------------------------------------------------------------


@pytest.mark.parametrize("mask", [None, MASK], ids=["no-mask", "mask"])
def test_lstm_cell_equals_keras(mask):
    diffs = lc.compare_with_keras(keras_lstm(), LSTMCell(5), X, mask)
    assert set(diffs) == {"outputs", "final h", "final c", "weight gradients", "input gradients"}
    assert lc.matches(diffs)
    assert all(d["size"] > 0.01 for d in diffs.values())  # real values, not all zeros


class ResetBeforeGRU(lc.GRUCellWeights):
    """The original GRU (reset_after=False), to test the helpers in that convention."""

    reset_after = False

    def call(self, x_t, states):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        z = ops.sigmoid(ops.matmul(x_t, self.W_z) + ops.matmul(h_prev, self.U_z) + self.b_z)
        r = ops.sigmoid(ops.matmul(x_t, self.W_r) + ops.matmul(h_prev, self.U_r) + self.b_r)
        c = ops.tanh(ops.matmul(x_t, self.W_h) + ops.matmul(r * h_prev, self.U_h) + self.b_h)
        h = z * h_prev + (1.0 - z) * c
        return h, [h]


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_cell_equals_keras_in_both_conventions(reset_after):
    cell = GRUCell(5) if reset_after else ResetBeforeGRU(5)
    diffs = lc.compare_with_keras(keras_gru(reset_after=reset_after), cell, X, MASK)
    assert "final c" not in diffs
    assert lc.matches(diffs)


def test_a_wrong_cell_does_not_match():
    class NoForgetGate(lc.LSTMCellWeights):
        def call(self, x_t, states):
            h_prev, c_prev = states
            hx = ops.concatenate([h_prev, x_t], axis=-1)
            i = ops.sigmoid(ops.matmul(hx, self.W_i) + self.b_i)
            c = c_prev + i * ops.tanh(ops.matmul(hx, self.W_c) + self.b_c)
            h = ops.sigmoid(ops.matmul(hx, self.W_o) + self.b_o) * ops.tanh(c)
            return h, [h, c]

    assert not lc.matches(lc.compare_with_keras(keras_lstm(), NoForgetGate(5), X))


def test_matches_uses_relative_tolerance_above_one():
    assert lc.matches({"a": {"diff": 5e-6, "size": 10.0}})
    assert not lc.matches({"a": {"diff": 5e-6, "size": 0.5}})
    with pytest.raises(ValueError, match="no differences"):
        lc.matches({})


def test_compare_rejects_wrong_inputs():
    with pytest.raises(ValueError, match=r"\(batch, time steps, features\)"):
        lc.compare_with_keras(keras_lstm(), LSTMCell(5), X[0])
    with pytest.raises(ValueError, match="mask should have shape"):
        lc.compare_with_keras(keras_lstm(), LSTMCell(5), X, MASK[:, :3])
    with pytest.raises(ValueError, match="return_sequences=True, return_state=True"):
        lc.compare_with_keras(keras.layers.LSTM(5), LSTMCell(5), X)
    with pytest.raises(ValueError, match="LSTM or GRU"):
        lc.compare_with_keras(keras.layers.Dense(5), LSTMCell(5), X)


# --- weight layout and copying ---------------------------------------------------------


def test_lstm_layout_round_trip_and_gate_blocks():
    kernel = RNG.normal(size=(4, 20))
    recurrent = RNG.normal(size=(5, 20))
    bias = RNG.normal(size=(20,))
    gates = lc.lstm_keras_to_gates(kernel, recurrent, bias)
    assert gates["W_f"].shape == (9, 5)
    # Keras' second column block is the forget gate; h rows come first in ours.
    np.testing.assert_array_equal(gates["W_f"][:5], recurrent[:, 5:10])
    np.testing.assert_array_equal(gates["W_f"][5:], kernel[:, 5:10])
    np.testing.assert_array_equal(gates["b_i"], bias[:5])
    back = lc.lstm_gates_to_keras(gates)
    for a, b in zip(back, (kernel, recurrent, bias), strict=True):
        np.testing.assert_array_equal(a, b)


def test_lstm_layout_errors_are_clear():
    with pytest.raises(ValueError, match=r"\(input_dim, 4 \* units\)"):
        lc.lstm_keras_to_gates(np.zeros((4, 10)), np.zeros((5, 10)), np.zeros(10))
    with pytest.raises(ValueError, match="recurrent kernel should be"):
        lc.lstm_keras_to_gates(np.zeros((4, 20)), np.zeros((4, 20)), np.zeros(20))
    with pytest.raises(ValueError, match="Missing W_f"):
        lc.lstm_gates_to_keras({"b_f": np.zeros(3)})


def test_copy_needs_built_layers_with_the_same_sizes():
    cell = LSTMCell(5)
    with pytest.raises(ValueError, match="Call the Keras layer once"):
        lc.copy_lstm_weights(keras.layers.LSTM(5), cell)
    layer = keras.layers.LSTM(5)
    layer(X)
    with pytest.raises(ValueError, match="build it first"):
        lc.copy_lstm_weights(layer, cell)
    small = LSTMCell(3)
    small.build((None, 4))
    with pytest.raises(ValueError, match="same units and input size"):
        lc.copy_lstm_weights(layer, small)
    cell.build((None, 4))
    lc.copy_lstm_weights(layer, cell)
    np.testing.assert_array_equal(
        ops.convert_to_numpy(cell.b_f), ops.convert_to_numpy(layer.cell.bias)[5:10]
    )


def test_copy_gru_refuses_a_different_reset_after():
    layer = keras.layers.GRU(5, reset_after=True)
    layer(X)
    cell = ResetBeforeGRU(5)
    cell.build((None, 4))
    with pytest.raises(ValueError, match="reset_after=True but the home-made cell"):
        lc.copy_gru_weights(layer, cell)
    original = keras.layers.GRU(5, reset_after=False)
    original(X)
    with pytest.raises(ValueError, match="reset_after=False but the home-made cell"):
        lc.copy_gru_weights(original, GRUCell(5))


def test_cells_reject_bad_units():
    with pytest.raises(ValueError, match="positive number"):
        lc.LSTMCellWeights(0)
    with pytest.raises(ValueError, match="positive number"):
        lc.GRUCellWeights(-2)


def test_cells_record_gates_only_when_eager():
    cell = LSTMCell(5)
    h = c = np.zeros((3, 5), "float32")
    cell(X[:, 0], [h, c])
    assert sorted(cell.last_gates) == ["candidate", "forget", "input", "output"]
    assert cell.last_gates["forget"].shape == (3, 5)
    assert np.all((cell.last_gates["forget"] > 0) & (cell.last_gates["forget"] < 1))


# --- the exercise check ----------------------------------------------------------------


class Stub(lc.LSTMCellWeights):
    def call(self, x_t, states):
        raise NotImplementedError


def variant(
    gate_act=ops.sigmoid, cell_update=None, hidden=None, order="hx", out_bias=True, swap=False
):
    class Variant(lc.LSTMCellWeights):
        def call(self, x_t, states):
            h_prev, c_prev = states
            parts = [h_prev, x_t] if order == "hx" else [x_t, h_prev]
            hx = ops.concatenate(parts, axis=-1)
            f = gate_act(ops.matmul(hx, self.W_f) + self.b_f)
            i = ops.sigmoid(ops.matmul(hx, self.W_i) + self.b_i)
            c_tilde = ops.tanh(ops.matmul(hx, self.W_c) + self.b_c)
            c = (cell_update or (lambda f, i, ct, cp: f * cp + i * ct))(f, i, c_tilde, c_prev)
            o = ops.sigmoid(ops.matmul(hx, self.W_o) + (self.b_o if out_bias else 0.0))
            h = (hidden or (lambda o, c, cp: o * ops.tanh(c)))(o, c, c_prev)
            self.record_gates(forget=f, input=i, candidate=c_tilde, output=o)
            return h, ([c, h] if swap else [h, c])

    return Variant


def test_check_passes_on_the_solution(capsys):
    check.lstm_call(LSTMCell)
    assert capsys.readouterr().out.startswith("Passed:")


def test_check_fails_clearly_on_the_stub():
    with pytest.raises(CheckFailed, match="not written yet"):
        check.lstm_call(Stub)


@pytest.mark.parametrize(
    "kwargs, named",
    [
        ({"gate_act": ops.tanh}, "the forget gate f_t differs"),
        ({"cell_update": lambda f, i, ct, cp: f * cp + ct}, "the new cell state C_t differs"),
        ({"out_bias": False}, "the output gate o_t differs"),
        ({"hidden": lambda o, c, cp: o * ops.tanh(cp)}, "the new hidden state h_t differs"),
        ({"hidden": lambda o, c, cp: o * c}, "the new hidden state h_t differs"),
        ({"swap": True}, "wrong order"),
        ({"order": "xh"}, r"forget gate f_t differs.*h_\(t-1\) first"),
    ],
)
def test_check_names_the_first_part_that_differs(kwargs, named):
    with pytest.raises(CheckFailed, match=named):
        check.lstm_call(variant(**kwargs))


def test_check_still_catches_mistakes_without_recorded_gates():
    class Silent(lc.LSTMCellWeights):
        def record_gates(self, **gates):
            pass

        def call(self, x_t, states):
            h_prev, c_prev = states
            hx = ops.concatenate([h_prev, x_t], axis=-1)
            f = ops.sigmoid(ops.matmul(hx, self.W_f) + self.b_f)
            i = ops.sigmoid(ops.matmul(hx, self.W_i) + self.b_i)
            c = f * c_prev + i * ops.sigmoid(ops.matmul(hx, self.W_c) + self.b_c)  # not tanh
            h = ops.sigmoid(ops.matmul(hx, self.W_o) + self.b_o) * ops.tanh(c)
            return h, [h, c]

    with pytest.raises(CheckFailed, match="cell state"):
        check.lstm_call(Silent)


def test_check_says_when_numpy_breaks_the_graph():
    class NumpyInside(LSTMCell):
        def call(self, x_t, states):
            h, states = super().call(x_t, states)
            return np.asarray(h), [np.asarray(s) for s in states]

    with pytest.raises(CheckFailed, match="inside keras.layers.RNN"):
        check.lstm_call(NumpyInside)


# --- the GRU exercise check ---------------------------------------------------------------


def gru_variant(
    swap_update=False, reset_before=False, no_bias="", candidate_act=ops.tanh, record=True
):
    """The solution's equations with one typical mistake."""

    class Variant(lc.GRUCellWeights):
        def call(self, x_t, states):
            h_prev = states[0] if isinstance(states, (list, tuple)) else states
            b = {
                n: 0.0 if n == no_bias else getattr(self, n) for n in ("b_z", "b_r", "b_h", "b_hh")
            }
            z = ops.sigmoid(ops.matmul(x_t, self.W_z) + ops.matmul(h_prev, self.U_z) + b["b_z"])
            r = ops.sigmoid(ops.matmul(x_t, self.W_r) + ops.matmul(h_prev, self.U_r) + b["b_r"])
            if reset_before:
                recurrent = ops.matmul(r * h_prev, self.U_h) + b["b_hh"]
            else:
                recurrent = r * (ops.matmul(h_prev, self.U_h) + b["b_hh"])
            h_tilde = candidate_act(ops.matmul(x_t, self.W_h) + b["b_h"] + recurrent)
            h = (1 - z) * h_prev + z * h_tilde if swap_update else z * h_prev + (1 - z) * h_tilde
            if record:
                self.record_gates(update=z, reset=r, candidate=h_tilde)
            return h, [h]

    return Variant


class GRUStub(lc.GRUCellWeights):
    def call(self, x_t, states):
        raise NotImplementedError


def test_gru_check_passes_on_the_solution(capsys):
    check.gru_call(GRUCell)
    assert capsys.readouterr().out.startswith("Passed:")


def test_gru_check_fails_clearly_on_the_stub():
    with pytest.raises(CheckFailed, match="GRU's call is not written yet"):
        check.gru_call(GRUStub)


@pytest.mark.parametrize(
    "kwargs, named",
    [
        ({"swap_update": True}, r"new state h_t differs.*swapped z_t and 1 - z_t"),
        ({"reset_before": True}, r"candidate h~_t differs.*reset h_\(t-1\) before the product"),
        ({"no_bias": "b_z"}, r"update gate z_t differs.*left out the bias b_z"),
        ({"no_bias": "b_r"}, r"reset gate r_t differs.*left out the bias b_r"),
        ({"no_bias": "b_h"}, r"candidate h~_t differs.*left out the bias b_h "),
        ({"no_bias": "b_hh"}, r"candidate h~_t differs.*left out the recurrent bias b_hh"),
        ({"candidate_act": ops.sigmoid}, r"candidate h~_t differs.*tanh"),
        ({"swap_update": True, "record": False}, r"new state h_t differs.*swapped"),
    ],
)
def test_gru_check_names_the_typical_mistake(kwargs, named):
    with pytest.raises(CheckFailed, match=named):
        check.gru_call(gru_variant(**kwargs))


def test_gru_check_says_when_numpy_breaks_the_graph():
    class NumpyInside(GRUCell):  # right on one eager step, fails inside keras.layers.RNN
        def call(self, x_t, states):
            h, _ = super().call(x_t, states)
            return np.asarray(h), [np.asarray(h)]

    with pytest.raises(CheckFailed, match="inside keras.layers.RNN"):
        check.gru_call(NumpyInside)


def test_gru_check_wants_one_state():
    class TwoStates(GRUCell):
        def call(self, x_t, states):
            h, _ = super().call(x_t, states)
            return h, [h, h]

    with pytest.raises(CheckFailed, match="one state"):
        check.gru_call(TwoStates)


# --- task, timing, quiz ------------------------------------------------------------------


def test_latest_marker_task_targets_the_last_marked_value():
    x, y = lc.latest_marker_task(50, 12, seed=1)
    assert x.shape == (50, 12, 2) and y.shape == (50, 1)
    assert np.all(x[:, :, 1].sum(axis=1) >= 1)
    for values, marks, target in zip(x[:, :, 0], x[:, :, 1], y[:, 0], strict=True):
        assert target == values[np.flatnonzero(marks)[-1]]
    again, _ = lc.latest_marker_task(50, 12, seed=1)
    np.testing.assert_array_equal(x, again)
    with pytest.raises(ValueError, match="steps >= 2"):
        lc.latest_marker_task(5, 1)
    with pytest.raises(ValueError, match="probability"):
        lc.latest_marker_task(5, 10, marker_rate=1.5)


def test_time_forward_backward_times_every_layer():
    layers = {"keras": keras.layers.LSTM(4), "home": keras.layers.RNN(LSTMCell(4))}
    for clock in ("wall", "cpu"):
        times = timing.time_forward_backward(layers, X, rounds=2, calls=1, clock=clock)
        assert set(times) == {"keras", "home"} and all(t > 0 for t in times.values())
    with pytest.raises(ValueError, match="at least 1"):
        timing.time_forward_backward(layers, X, rounds=0)
    with pytest.raises(ValueError, match="'wall' or 'cpu'"):
        timing.time_forward_backward(layers, X, clock="gpu")
    with pytest.raises(ValueError, match="no layers"):
        timing.time_forward_backward({}, X)


def test_print_differences_shows_every_row(capsys):
    lc.print_differences(
        {"outputs": {"diff": 2e-7, "size": 0.9}, "grads": {"diff": 3e-5, "size": 2}}
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("outputs") and lines[1].endswith("True")
    assert lines[2].startswith("grads") and lines[2].endswith("False")
    with pytest.raises(ValueError, match="no differences"):
        lc.print_differences({})


# --- inside a trained cell: run_cell, last_marked, forget products, correlations -----------


def test_run_cell_keeps_every_gate_and_state_and_equals_keras_rnn():
    cell = LSTMCell(5)
    rnn = keras.layers.RNN(cell, return_state=True)
    _, h_T, c_T = rnn(X)
    steps = lc.run_cell(cell, X)
    assert sorted(steps) == ["c", "candidate", "forget", "h", "input", "output"]
    assert all(v.shape == (3, 6, 5) for v in steps.values())
    np.testing.assert_allclose(steps["h"][:, -1], ops.convert_to_numpy(h_T), atol=1e-6)
    np.testing.assert_allclose(steps["c"][:, -1], ops.convert_to_numpy(c_T), atol=1e-6)
    f, i, cand, c = steps["forget"], steps["input"], steps["candidate"], steps["c"]
    np.testing.assert_allclose(c[:, 1:], f[:, 1:] * c[:, :-1] + i[:, 1:] * cand[:, 1:], atol=1e-6)
    with pytest.raises(ValueError, match="built LSTM cell"):
        lc.run_cell(LSTMCell(5), X)


def test_last_marked_gives_the_value_to_hold_and_the_steps_since():
    values = np.array([[0.1, 0.2, 0.3, 0.4, 0.5], [0.6, 0.7, 0.8, 0.9, 1.0]])
    marks = np.array([[0, 1, 0, 0, 1], [1, 0, 0, 0, 0]])
    held, since = lc.last_marked(np.stack([values, marks], axis=-1))
    np.testing.assert_array_equal(since, [[-1, 0, 1, 2, 0], [0, 1, 2, 3, 4]])
    np.testing.assert_allclose(held, [[np.nan, 0.2, 0.2, 0.2, 0.5], [0.6] * 5], atol=1e-7)


def test_forget_product_and_split_of_the_cell_state():
    since = np.array([[-1, 0, 1, 2, 0, 1]])
    forget = np.array([[0.9, 0.8, 0.5, 0.4, 0.3, 0.7]])[:, :, None] * np.ones((1, 1, 2))
    forget[0, :, 1] = 1.0  # the second unit never forgets
    product = lc.forget_product_since(forget, since)
    np.testing.assert_allclose(product[0, :, 0], [np.nan, 1, 0.5, 0.2, 1, 0.7])
    np.testing.assert_allclose(product[0, 1:, 1], 1.0)
    # A cell state that is only carried along after each marker: nothing written since.
    c = np.zeros((1, 6, 2))
    c[0, 1], c[0, 4] = 2.0, -1.0
    c[0, 2:4] = c[0, 1] * product[0, 2:4]
    c[0, 5] = c[0, 4] * product[0, 5]
    kept, written = lc.split_cell_state(c, forget, since)
    np.testing.assert_allclose(kept[0, 1:], c[0, 1:])
    np.testing.assert_allclose(written[0, 1:], 0.0, atol=1e-12)
    assert np.all(np.isnan(kept[0, 0]))
    c[0, 3] += 0.25  # a write after the marker shows up in `written` only
    kept, written = lc.split_cell_state(c, forget, since)
    np.testing.assert_allclose(written[0, 3], 0.25)
    with pytest.raises(ValueError, match="batch, time steps, units"):
        lc.forget_product_since(forget[0], since)


def test_unit_correlations_per_unit():
    target = RNG.normal(size=(4, 5))
    values = np.stack([2 * target + 1, -target, np.ones_like(target)], axis=-1)
    where = np.ones_like(target, dtype=bool)
    np.testing.assert_allclose(lc.unit_correlations(values, target, where), [1, -1, 0])
    where[:, 0] = False
    values[:, 0, 0] = 100.0  # left out by `where`
    assert lc.unit_correlations(values, target, where)[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="must agree"):
        lc.unit_correlations(values, target[:, :3], where)


def test_plot_cell_memory_draws_one_row_per_unit():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, _ = lc.latest_marker_task(3, 8, seed=0)
    cell = LSTMCell(5)
    cell.build((None, 2))
    steps = lc.run_cell(cell, x)
    fig = lc.plot_cell_memory(x, steps, steps["h"][..., 0], [3, 1], labels=["a", "b"])
    heatmap = fig.axes[2].images[0].get_array()
    assert heatmap.shape == (2, 8)  # units down, time across
    np.testing.assert_allclose(heatmap[0], steps["c"][0, :, 3])
    assert [t.get_text() for t in fig.axes[2].get_yticklabels()] == ["a", "b"]
    plt.close(fig)
    with pytest.raises(ValueError, match="one per unit"):
        lc.plot_cell_memory(x, steps, steps["h"][..., 0], [3, 1], labels=["a"])
