"""Unit tests of helpers.gradients: recall data, gradient measurement, clipping check."""

import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf

from helpers import gradients
from helpers.checks import CheckFailed
from helpers.checks import gradients as check
from instructor.check_values import solution_namespace

matplotlib.use("Agg")


def test_recall_task_marks_one_step_at_the_lag():
    x, y, lag = gradients.recall_task(50, 12, [0, 3, 11], n_symbols=3, seed=1)
    assert x.shape == (50, 12, 4) and x.dtype == np.float32
    assert y.shape == lag.shape == (50,)
    assert set(np.unique(lag)) <= {0, 3, 11}
    np.testing.assert_array_equal(x[:, :, :3].sum(axis=2), 1)  # one symbol per step
    np.testing.assert_array_equal(x[:, :, 3].sum(axis=1), 1)  # exactly one marker
    marked = x[:, :, 3].argmax(axis=1)
    np.testing.assert_array_equal(marked, 11 - lag)
    np.testing.assert_array_equal(x[np.arange(50), marked, :3].argmax(axis=1), y)
    again = gradients.recall_task(50, 12, [0, 3, 11], n_symbols=3, seed=1)
    np.testing.assert_array_equal(again[0], x)


def test_recall_task_explains_bad_lags():
    with pytest.raises(ValueError, match="lag must lie in 0 .. length - 1"):
        gradients.recall_task(5, 10, 10)
    with pytest.raises(ValueError, match="n_symbols >= 2"):
        gradients.recall_task(5, 10, 3, n_symbols=1)


def test_recall_model_and_accuracy_by_lag():
    with pytest.raises(ValueError, match="cell_type should be one of"):
        gradients.recall_model("Transformer", 5)
    model = gradients.recall_model("GRU", 6, units=4)
    assert model.output_shape == (None, 4)
    acc = gradients.accuracy_by_lag(model, 6, [1, 5], n=40)
    assert set(acc) == {1, 5} and all(0.0 <= a <= 1.0 for a in acc.values())


@pytest.mark.parametrize("cell", gradients.CELL_TYPES)
def test_state_gradient_norms_match_the_layer_and_autodiff(cell):
    keras.utils.set_random_seed(0)
    model = gradients.recall_model(cell, 7, units=5)
    x, y, _ = gradients.recall_task(3, 7, 6, seed=2)
    norms = gradients.state_gradient_norms(model, x, y)
    assert norms.shape == (7,) and np.all(np.isfinite(norms)) and np.all(norms > 0)
    # Entry 0 is the gradient with respect to the initial state. Keras' own RNN layer (its
    # own loop, not ours) run from a watched initial state must give the same number.
    rnn, head = model.layers[0], model.layers[-1]
    initial = [tf.zeros((3, 5)) for _ in tf.nest.flatten(rnn.cell.state_size)]
    with tf.GradientTape() as tape:
        tape.watch(initial)
        out = rnn(tf.constant(x), initial_state=initial)
        score = tf.reduce_sum(tf.gather(head(out), y, axis=1, batch_dims=1))
    grads = tape.gradient(score, initial)
    expected = np.mean(np.sqrt(sum(np.sum(g.numpy() ** 2, axis=1) for g in grads)))
    np.testing.assert_allclose(norms[0], expected, rtol=1e-5)


def test_state_gradient_norms_vanish_for_a_contracting_simple_rnn():
    model = gradients.recall_model("SimpleRNN", 30, units=4)
    rnn = model.layers[0]
    W_x, W_h, b = rnn.get_weights()
    rnn.set_weights([W_x, 0.3 * np.eye(4, dtype="float32"), b])  # shrinks by <= 0.3 per step
    x, y, _ = gradients.recall_task(4, 30, 29, seed=0)
    norms = gradients.state_gradient_norms(model, x, y)
    assert norms[0] < norms[-1] * 0.3**20


def test_state_gradient_norms_explain_wrong_shapes():
    model = gradients.recall_model("LSTM", 5, units=3)
    x, y, _ = gradients.recall_task(2, 5, 1)
    with pytest.raises(ValueError, match="batch, T, features"):
        gradients.state_gradient_norms(model, x[0], y)
    with pytest.raises(ValueError, match="one class per sequence"):
        gradients.state_gradient_norms(model, x, y[:1])
    with pytest.raises(ValueError, match="features but the model expects"):
        gradients.state_gradient_norms(model, x[:, :, :3], y)


def test_input_gradient_norms_shape():
    model = gradients.recall_model("SimpleRNN", 5, units=3)
    x, y, _ = gradients.recall_task(2, 5, 1)
    assert gradients.input_gradient_norms(model, x, y).shape == (5,)


def test_plots_draw_one_line_per_curve():
    ax = gradients.plot_gradient_norms(
        {"LSTM, trained": np.array([1e-3, 1e-2, 0.0, 1.0]), "LSTM, untrained": np.ones(4)},
        styles={"LSTM, untrained": "--"},
    )
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    assert ax.lines[0].get_color() == ax.lines[1].get_color()  # same cell, same colour
    with pytest.raises(ValueError, match="1-D"):
        gradients.plot_gradient_norms({"x": np.ones((2, 2))})
    ax = gradients.plot_accuracy_by_lag({"A": {1: 1.0, 5: 0.5}, "B": {1: 1.0, 5: 1.0}}, 0.25)
    assert len(ax.lines) == 3  # two models and the chance line


def test_train_recording_clips_and_records():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5, 1)).astype("float32")
    y = x.sum(axis=1)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((5, 1)), keras.layers.SimpleRNN(4), keras.layers.Dense(1)]
    )
    run = gradients.train_recording(
        model, keras.optimizers.SGD(0.05), x, y, epochs=3, batch_size=16
    )
    assert run["loss"].shape == run["grad_norm"].shape == (12,)
    assert run["loss"][-1] < run["loss"][0]
    with pytest.raises(ValueError, match="same number of samples"):
        gradients.train_recording(model, keras.optimizers.SGD(0.1), x, y[:3], epochs=1)


def test_dw_terms_sum_to_the_derivative():
    x = np.random.default_rng(3).normal(size=12)

    def h_n(w):
        h = 0.0
        for x_t in x:
            h = w * h + x_t
        return h

    for w in (2.0, 0.5, 1.0):
        terms = gradients.dw_terms(w, x)
        assert terms.shape == (12,) and terms[-1] == 0.0  # the last input does not meet w
        numeric = (h_n(w + 1e-6) - h_n(w - 1e-6)) / 2e-6
        np.testing.assert_allclose(terms.sum(), numeric, rtol=1e-5)
    np.testing.assert_allclose(gradients.dw_terms(0.5, [1.0, 1.0, 1.0]), [2 * 0.5, 1.0, 0.0])
    with pytest.raises(ValueError, match="1-D"):
        gradients.dw_terms(0.5, np.ones((2, 2)))
    ax = gradients.plot_dw_terms({"w = 2": gradients.dw_terms(2.0, x)})
    assert len(ax.lines) == 1 and ax.get_yscale() == "log"


def test_cosine_and_global_norm():
    a = [np.array([3.0, 0.0]), np.array([[4.0]])]
    assert gradients.global_norm(a) == pytest.approx(5.0)
    assert gradients.cosine(a, [2 * g for g in a]) == pytest.approx(1.0)
    assert gradients.cosine(a, [np.array([0.0, 1.0]), np.array([[0.0]])]) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="as many arrays"):
        gradients.cosine(a, a[:1])


def test_clipped_gradients_show_what_keras_does():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 5, 1)).astype("float32")
    y = 100 * x.sum(axis=1)  # a large error: every gradient gets clipped
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((5, 1)), keras.layers.SimpleRNN(4), keras.layers.Dense(1)]
    )
    before = [w.copy() for w in model.get_weights()]
    raw, by_global = gradients.clipped_gradients(model, x, y, global_clipnorm=1.0)
    _, by_array = gradients.clipped_gradients(model, x, y, clipnorm=1.0)
    for w, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(w, b)  # the weights are put back
    assert len(raw) == len(by_global) == 5 and gradients.global_norm(raw) > 10
    expected, _ = tf.clip_by_global_norm(raw, 1.0)
    for got, want in zip(by_global, expected, strict=True):
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-7)
    assert gradients.global_norm(by_global) == pytest.approx(1.0, rel=1e-5)
    assert gradients.cosine(raw, by_global) == pytest.approx(1.0, abs=1e-6)
    norms = [np.linalg.norm(g) for g in by_array]
    assert max(norms) == pytest.approx(1.0, rel=1e-5)  # each array on its own
    assert gradients.global_norm(by_array) <= np.sqrt(5) + 1e-5
    assert gradients.cosine(raw, by_array) < 0.999


def _step_states(model, x):
    import tensorflow as tf

    cell = model.layers[0].cell
    states = [tf.zeros((x.shape[0], int(s))) for s in tf.nest.flatten(cell.state_size)]
    seen = []
    for t in range(x.shape[1]):
        _, states = cell(tf.constant(x[:, t]), states)
        states = tf.nest.flatten(states)
        seen.append([s.numpy() for s in states])
    return seen


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_gate_values_are_the_share_of_the_state_kept(cell):
    """With a candidate that is 0 except at the marked step, state_t = gate_t * state_(t-1)."""
    keras.utils.set_random_seed(1)
    model = gradients.recall_model(cell, 8, units=3)
    layer = model.layers[0].cell
    units = 3
    candidate = slice(2 * units, 3 * units)
    kernel = layer.kernel.numpy()
    kernel[:, candidate] = 0.0
    kernel[4, candidate] = 2.0  # only the marker channel feeds the candidate
    layer.kernel.assign(kernel)
    recurrent = layer.recurrent_kernel.numpy()
    recurrent[:, candidate] = 0.0
    layer.recurrent_kernel.assign(recurrent)
    bias = layer.bias.numpy()
    bias[..., candidate] = 0.0
    layer.bias.assign(bias)
    x, _, _ = gradients.recall_task(4, 8, 5, seed=0)  # marked at step 2
    gates = gradients.gate_values(model, x)
    assert gates.shape == (4, 8, 3) and np.all((gates > 0) & (gates < 1))
    kept = 1 if cell == "LSTM" else 0  # the LSTM's cell state c, the GRU's h
    states = _step_states(model, x)
    for t in range(3, 8):
        np.testing.assert_allclose(
            states[t][kept], gates[:, t] * states[t - 1][kept], rtol=1e-4, atol=1e-7
        )
    with pytest.raises(ValueError, match="LSTM or GRU"):
        gradients.gate_values(gradients.recall_model("SimpleRNN", 8, units=3), x)


def test_state_kept_is_the_best_units_product():
    gates = np.full((2, 5, 3), 0.5)
    gates[1, :, 2] = 0.9
    np.testing.assert_allclose(gradients.state_kept(gates), [0.5**4, 0.9**4])
    np.testing.assert_allclose(gradients.state_kept(gates, start=3), [0.5**2, 0.9**2])
    with pytest.raises(ValueError, match="0 < start < T"):
        gradients.state_kept(gates, start=5)


def test_plot_clipping_runs_marks_a_run_that_overflowed():
    runs = {
        "no clipping": {
            "loss": np.array([5.0, np.nan, np.nan]),
            "grad_norm": np.array([9.0, np.inf, np.nan]),
        },
        "clipped": {"loss": np.array([5.0, 2.0, 1.0]), "grad_norm": np.array([9.0, 3.0, 2.0])},
    }
    axes = gradients.plot_clipping_runs(runs, baseline=("predicting 0", 1.0), limits={"1": 1.0})
    assert len(axes[0].lines) == 4  # two runs, one x, the baseline
    assert len(axes[1].lines) == 4  # two runs, one x, the limit
    assert "from update 2" in axes[0].texts[0].get_text()
    assert axes[0].get_xscale() == axes[0].get_yscale() == "log"


solution = solution_namespace("02_vanishing_gradients", "clip", "import numpy as np")[
    "clip_by_global_norm"
]


def stub(grads, clip_norm):
    raise NotImplementedError


def per_tensor(grads, clip_norm):
    global_norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g * clip_norm / max(np.linalg.norm(g), clip_norm) for g in grads], global_norm


def always_scale(grads, clip_norm):
    global_norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g * clip_norm / global_norm for g in grads], global_norm


def sum_of_norms(grads, clip_norm):
    _, norm = solution(grads, clip_norm)
    return solution(grads, clip_norm)[0], sum(np.linalg.norm(g) for g in grads)


def test_check_clip_passes_on_solution(capsys):
    check.clip_by_global_norm(solution)
    assert capsys.readouterr().out.startswith("Passed")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (stub, "not written yet"),
        (per_tensor, "each gradient by its own norm"),
        (always_scale, "left unchanged"),
        (sum_of_norms, "not the sum of the norms"),
        (lambda grads, clip_norm: solution(grads, clip_norm)[0], "return two things"),
        (lambda grads, clip_norm: (solution(grads, clip_norm)[0][:2], 1.0), "global norm"),
    ],
)
def test_check_clip_fails_clearly(answer, message):
    with pytest.raises(CheckFailed, match=message):
        check.clip_by_global_norm(answer)
