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


def test_questions_are_valid():
    ids = [q.id for q in gradients.QUESTIONS]
    assert len(ids) == len(set(ids)) >= 2
