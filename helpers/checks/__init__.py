"""What every exercise check shares: a clear pass line, or a failure in plain words.

A check function prints one line starting with "Passed" or raises `CheckFailed`,
whose message says what is wrong and what to look at. In Jupyter the message is shown
without a traceback; under nbval (grading) the failed cell scores no point.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np


class CheckFailed(AssertionError):
    """An exercise check that did not pass. The message is meant for the student."""

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback
        return [f"Not yet: {self}"]


def passed(message: str) -> None:
    print(f"Passed: {message}")


def fail(message: str) -> None:
    raise CheckFailed(message)


def call_student(function: Callable[..., Any], *args: Any, what: str, **kwargs: Any) -> Any:
    """Call the student's function; turn the stub's NotImplementedError into advice."""
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        fail(f"{what} is not written yet: replace `raise NotImplementedError` with your code.")
    except CheckFailed:
        raise
    except Exception as exc:
        fail(f"{what} raised {type(exc).__name__}: {exc}")


def require_recurrent(model: Any, advice: str) -> None:
    """Fail unless `model` holds a recurrent layer (nested and Bidirectional ones count);
    `advice` says which layer to add."""
    from helpers.training import recurrent_layers

    if not recurrent_layers(model):
        kinds = " -> ".join(type(layer).__name__ for layer in model.layers) or "no layers"
        fail(f"the model ({kinds}) has no recurrent layer: {advice}")


def expect_array(
    got: Any,
    expected: np.ndarray,
    *,
    name: str,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    hint: str = "",
) -> np.ndarray:
    """Fail with a precise message unless `got` has the expected shape and values."""
    if got is None:
        fail(f"{name} is None: did you forget to `return` it?")
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        fail(f"{name} should be an array of numbers, but it is a {type(got).__name__} ({exc}).")
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        fail(f"{name} has shape {got.shape}, expected {expected.shape}. {hint}".strip())
    if not np.all(np.isfinite(got)):
        fail(f"{name} contains NaN or infinity. {hint}".strip())
    if not np.allclose(got, expected, atol=atol, rtol=rtol):
        worst = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
        fail(
            f"{name} has the right shape but wrong values: at index {tuple(map(int, worst))} "
            f"it is {got[worst]:.6g}, expected {expected[worst]:.6g}. {hint}".strip()
        )
    return got


def expect_shape(array: Any, shape: Sequence[int | None], *, name: str) -> None:
    """Raise ValueError unless `array` has `shape` (None matches any size)."""
    actual = tuple(np.shape(array))
    if len(actual) != len(shape) or any(
        want is not None and have != want for have, want in zip(actual, shape, strict=False)
    ):
        wanted = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} should have shape {wanted}, but has shape {actual}.")


_VALUES = Path(__file__).with_name("expected_values.json")


def expected_values(exercise: str) -> dict[str, Any]:
    """Values on the checks' fixed inputs that no library computes for us.

    They are computed once by the instructor tools from the instructor notebooks and
    shipped as numbers (`expected_values.json`), never as code.
    """
    return json.loads(_VALUES.read_text(encoding="utf8"))[exercise]
