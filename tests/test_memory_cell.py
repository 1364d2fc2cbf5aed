"""Unit tests of helpers.memory_cell (unrolling, BPTT by hand) and of unit 01's checks."""

import numpy as np
import pytest

from helpers import memory_cell
from helpers.checks import CheckFailed
from helpers.checks import memory_cell as check
from instructor.check_values import solution_namespace as solution

SOLUTION = {
    **solution("01_memory_cell", "forward-step", "import numpy as np"),
    **solution("01_memory_cell", "grad-through-time", "import numpy as np"),
}


def weights(D=2, H=3, n_out=1, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(D, H)),
        rng.normal(scale=0.5, size=(H, H)),
        rng.normal(size=H),
        rng.normal(size=(H, n_out)),
        rng.normal(size=n_out),
    )


def test_unroll_feeds_each_state_back_and_carries_h0():
    W_x, W_h, b, _, _ = weights()
    xs = np.random.default_rng(1).normal(size=(2, 5, 2))
    calls = []

    def step(x_t, h_prev, W_x, W_h, b):
        calls.append(h_prev.copy())
        return h_prev + x_t.sum(axis=1, keepdims=True)

    hs = memory_cell.unroll(step, xs, W_x, W_h, b, h0=np.ones((2, 3)))
    assert hs.shape == (2, 5, 3)
    np.testing.assert_allclose(calls[0], np.ones((2, 3)))
    np.testing.assert_allclose(calls[1], hs[:, 0])
    np.testing.assert_allclose(hs[:, -1], 1 + xs.sum(axis=(1, 2))[:, None] * np.ones((1, 3)))


def test_simple_rnn_states_are_keras_and_carry_h0():
    W_x, W_h, b, _, _ = weights()
    xs = np.random.default_rng(2).normal(size=(3, 7, 2))
    hs = memory_cell.simple_rnn_states(xs, W_x, W_h, b)
    h = np.zeros((3, 3))
    for t in range(7):
        h = np.tanh(xs[:, t] @ W_x + h @ W_h + b)
        np.testing.assert_allclose(hs[:, t], h, atol=1e-12)
    first = memory_cell.simple_rnn_states(xs[:, :2], W_x, W_h, b)
    rest = memory_cell.simple_rnn_states(xs[:, 2:], W_x, W_h, b, h0=first[:, -1])
    np.testing.assert_allclose(np.concatenate([first, rest], axis=1), hs, atol=1e-12)


@pytest.mark.parametrize(
    ("xs_shape", "W_x_shape", "W_h_shape", "b_shape", "message"),
    [
        ((5, 2), (2, 3), (3, 3), (3,), "batch of sequences"),
        ((1, 5, 2), (3, 3), (3, 3), (3,), "W_x should have shape"),
        ((1, 5, 2), (2, 3), (3, 4), (3,), "W_h should have shape"),
        ((1, 5, 2), (2, 3), (3, 3), (4,), "b should have shape"),
    ],
)
def test_forward_explains_wrong_shapes(xs_shape, W_x_shape, W_h_shape, b_shape, message):
    with pytest.raises(ValueError, match=message):
        memory_cell.simple_rnn_states(
            np.zeros(xs_shape), np.zeros(W_x_shape), np.zeros(W_h_shape), np.zeros(b_shape)
        )


def test_bptt_and_forward_explain_wrong_shapes():
    W_x, W_h, b, W_y, b_y = weights()
    xs = np.zeros((2, 4, 2))
    with pytest.raises(ValueError, match="targets should have shape"):
        memory_cell.bptt(xs, np.zeros((3, 1)), W_x, W_h, b, W_y, b_y)
    with pytest.raises(ValueError, match="W_y should have shape"):
        memory_cell.bptt(xs, np.zeros((2, 1)), W_x, W_h, b, np.zeros((2, 1)), b_y)
    with pytest.raises(ValueError, match="h0 should have shape"):
        memory_cell.unroll(lambda *a: a[1], xs, W_x, W_h, b, h0=np.zeros((2, 4)))


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


# --- exercise checks: pass on the solution, fail clearly on the stub and plausible mistakes


def stub(*args):
    raise NotImplementedError


def test_check_rnn_step_passes_on_solution(capsys):
    check.rnn_step(SOLUTION["rnn_step"])
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
        check.rnn_step(answer)


def test_check_grad_w_h_passes_on_the_solution(capsys):
    check.grad_w_h(SOLUTION["grad_w_h"])
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
        (lambda *args: 2 * SOLUTION["grad_w_h"](*args), "GradientTape gives"),
        (lambda *args: "twelve", "one number"),
    ],
)
def test_check_grad_w_h_fails_clearly(answer, message):
    with pytest.raises(CheckFailed, match=message):
        check.grad_w_h(answer)
