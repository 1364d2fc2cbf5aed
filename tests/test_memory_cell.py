"""Unit tests of helpers.memory_cell: the NumPy neuron, BPTT by hand, exercise checks."""

import numpy as np
import pytest

from helpers import memory_cell
from helpers.checks import CheckFailed


def weights(D=2, H=3, n_out=1, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(D, H)),
        rng.normal(scale=0.5, size=(H, H)),
        rng.normal(size=H),
        rng.normal(size=(H, n_out)),
        rng.normal(size=n_out),
    )


def test_rnn_step_is_the_formula():
    W_x, W_h, b, _, _ = weights()
    x = np.array([[1.0, -2.0]])
    h = np.array([[0.1, 0.2, -0.3]])
    expected = np.tanh(x @ W_x + h @ W_h + b)
    np.testing.assert_allclose(memory_cell.rnn_step(x, h, W_x, W_h, b), expected)


def test_rnn_forward_unrolls_steps_and_carries_h0():
    W_x, W_h, b, _, _ = weights()
    xs = np.random.default_rng(1).normal(size=(2, 5, 2))
    hs = memory_cell.rnn_forward(xs, W_x, W_h, b)
    assert hs.shape == (2, 5, 3)
    h = np.zeros((2, 3))
    for t in range(5):
        h = np.tanh(xs[:, t] @ W_x + h @ W_h + b)
        np.testing.assert_allclose(hs[:, t], h)
    # chunked with the state carried over = one run
    first = memory_cell.rnn_forward(xs[:, :2], W_x, W_h, b)
    rest = memory_cell.rnn_forward(xs[:, 2:], W_x, W_h, b, h0=first[:, -1])
    np.testing.assert_allclose(np.concatenate([first, rest], axis=1), hs)


def test_rnn_forward_matches_keras_simple_rnn():
    keras = pytest.importorskip("keras")
    W_x, W_h, b, _, _ = weights()
    xs = np.random.default_rng(2).normal(size=(3, 7, 2)).astype("float32")
    layer = keras.layers.SimpleRNN(3, return_sequences=True)
    layer.build((None, None, 2))
    layer.set_weights([W_x, W_h, b])
    np.testing.assert_allclose(
        memory_cell.rnn_forward(xs, W_x, W_h, b), layer(xs).numpy(), atol=1e-6
    )


@pytest.mark.parametrize(
    ("xs_shape", "W_x_shape", "W_h_shape", "b_shape", "message"),
    [
        ((5, 2), (2, 3), (3, 3), (3,), "batch of sequences"),
        ((1, 5, 2), (3, 3), (3, 3), (3,), "W_x should have shape"),
        ((1, 5, 2), (2, 3), (3, 4), (3,), "W_h should have shape"),
        ((1, 5, 2), (2, 3), (3, 3), (4,), "b should have shape"),
    ],
)
def test_rnn_forward_explains_wrong_shapes(xs_shape, W_x_shape, W_h_shape, b_shape, message):
    with pytest.raises(ValueError, match=message):
        memory_cell.rnn_forward(
            np.zeros(xs_shape), np.zeros(W_x_shape), np.zeros(W_h_shape), np.zeros(b_shape)
        )


def test_rnn_step_and_bptt_explain_wrong_shapes():
    W_x, W_h, b, W_y, b_y = weights()
    with pytest.raises(ValueError, match="h_prev should have shape"):
        memory_cell.rnn_step(np.zeros((2, 2)), np.zeros((1, 3)), W_x, W_h, b)
    xs = np.zeros((2, 4, 2))
    with pytest.raises(ValueError, match="targets should have shape"):
        memory_cell.bptt(xs, np.zeros((3, 1)), W_x, W_h, b, W_y, b_y)
    with pytest.raises(ValueError, match="W_y should have shape"):
        memory_cell.bptt(xs, np.zeros((2, 1)), W_x, W_h, b, np.zeros((2, 1)), b_y)
    with pytest.raises(ValueError, match="h0 should have shape"):
        memory_cell.rnn_forward(xs, W_x, W_h, b, h0=np.zeros((2, 4)))


def numerical_gradient(f, array, eps=1e-6):
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        old = array[index]
        array[index] = old + eps
        up = f()
        array[index] = old - eps
        down = f()
        array[index] = old
        grad[index] = (up - down) / (2 * eps)
    return grad


def test_bptt_matches_finite_differences():
    W_x, W_h, b, W_y, b_y = weights(n_out=2, seed=3)
    rng = np.random.default_rng(4)
    xs = rng.normal(size=(2, 6, 2))
    targets = rng.normal(size=(2, 2))
    h0 = rng.uniform(-0.5, 0.5, size=(2, 3))
    grads = memory_cell.bptt(xs, targets, W_x, W_h, b, W_y, b_y, h0=h0)

    def loss():
        return memory_cell.bptt(xs, targets, W_x, W_h, b, W_y, b_y, h0=h0).loss

    for name, array in [("W_x", W_x), ("W_h", W_h), ("b", b), ("W_y", W_y), ("b_y", b_y)]:
        np.testing.assert_allclose(
            getattr(grads, name), numerical_gradient(loss, array), atol=1e-7, err_msg=name
        )
    np.testing.assert_allclose(grads.h0, numerical_gradient(loss, h0), atol=1e-7)
    np.testing.assert_allclose(grads.W_h_per_step.sum(axis=0), grads.W_h)


def test_scalar_grad_matches_gradient_tape():
    tf = pytest.importorskip("tensorflow")
    xs = np.array([0.3, -1.0, 0.7, 1.5])
    w_x, w_h, b, target = 0.9, 0.7, -0.1, 0.4
    w = tf.Variable(w_h, dtype=tf.float64)
    with tf.GradientTape() as tape:
        h = tf.constant(0.0, dtype=tf.float64)
        for x in xs:
            h = tf.tanh(w_x * x + w * h + b)
        loss = (h - target) ** 2
    expected = tape.gradient(loss, w).numpy()
    assert memory_cell.scalar_rnn_grad_w_h(xs, w_x, w_h, b, target) == pytest.approx(expected)
    with pytest.raises(ValueError, match="one sequence"):
        memory_cell.scalar_rnn_grad_w_h(np.zeros((2, 3)), w_x, w_h, b, target)


# --- exercise checks: pass on the solution, fail clearly on the stub and plausible mistakes


def stub(*args):
    raise NotImplementedError


def test_check_rnn_step_passes_on_solution(capsys):
    memory_cell.check_rnn_step(lambda x, h, W_x, W_h, b: np.tanh(x @ W_x + h @ W_h + b))
    assert capsys.readouterr().out.startswith("Passed")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (stub, "not written yet"),
        (lambda x, h, W_x, W_h, b: x @ W_x + h @ W_h + b, "activation"),
        (lambda x, h, W_x, W_h, b: np.tanh(x @ W_x + h @ W_h), "bias"),
        (lambda x, h, W_x, W_h, b: np.tanh(x @ W_x + b), "previous state"),
        (lambda x, h, W_x, W_h, b: np.tanh(x @ W_x + h @ W_h.T + b), "transposed"),
        (lambda x, h, W_x, W_h, b: np.tanh(x @ W_x + h @ W_h + b)[0], "shape"),
        (lambda x, h, W_x, W_h, b: None, "return"),
        (lambda x, h, W_x, W_h, b: np.tanh(x @ W_x + 2 * h @ W_h + b), "wrong values"),
    ],
)
def test_check_rnn_step_fails_clearly(answer, message):
    with pytest.raises(CheckFailed, match=message):
        memory_cell.check_rnn_step(answer)


def test_check_grad_w_h_passes_on_reference(capsys):
    memory_cell.check_grad_w_h(memory_cell.scalar_rnn_grad_w_h)
    assert capsys.readouterr().out.startswith("Passed")


def last_step_only(xs, w_x, w_h, b, target):
    hs = [0.0]
    for x in xs:
        hs.append(np.tanh(w_x * x + w_h * hs[-1] + b))
    return 2 * (hs[-1] - target) * (1 - hs[-1] ** 2) * hs[-2]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (stub, "not written yet"),
        (last_step_only, "only the last step"),
        (lambda *args: 2 * memory_cell.scalar_rnn_grad_w_h(*args), "expected"),
        (lambda *args: "twelve", "one number"),
    ],
)
def test_check_grad_w_h_fails_clearly(answer, message):
    with pytest.raises(CheckFailed, match=message):
        memory_cell.check_grad_w_h(answer)


def test_questions_have_distinct_ids_and_valid_answers():
    ids = [q.id for q in memory_cell.QUESTIONS]
    assert len(ids) == len(set(ids)) >= 2
    for q in memory_cell.QUESTIONS:
        assert q.answer in q.choices
