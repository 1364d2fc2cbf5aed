"""Checks of unit 05's exercises: windows by hand and the persistence baseline's MAE.

Windows are compared with what `keras.utils.timeseries_dataset_from_array` makes; the
baseline with the course's forecast functions.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers import timeseries as ts
from helpers.checks import call_student, expect_array, fail, passed


def _reference_windows(data: np.ndarray, target: np.ndarray, input_width: int, horizon: int):
    x, y = ts.dataset_arrays(
        ts.make_windows(data, target, input_width=input_width, horizons=[horizon], batch_size=1000)
    )
    return x, y[:, 0]


def windows(windows_by_hand: Callable) -> None:
    """Exercise `windows`: the student's windows and targets must equal what
    keras.utils.timeseries_dataset_from_array makes (through make_windows)."""
    rng = np.random.default_rng(7)
    data = np.round(rng.normal(size=(40, 3)), 3).astype("float32")
    target = data[:, 0]
    for input_width, horizon in ((6, 1), (5, 4)):
        expected_x, expected_y = _reference_windows(data, target, input_width, horizon)
        got = call_student(
            windows_by_hand, data, target, input_width, horizon, what="windows_by_hand"
        )
        if not isinstance(got, tuple) or len(got) != 2:
            fail("windows_by_hand should return two arrays: (windows, targets).")
        x, y = got
        case = f"(40 steps, input_width={input_width}, horizon={horizon})"
        if np.shape(x)[:1] != expected_x.shape[:1]:
            fail(
                f"{case}: you made {np.shape(x)[0] if np.ndim(x) else 'no'} windows, Keras makes "
                f"{len(expected_x)}: the last window must still have its target h steps after "
                f"its last row, so there are len(data) - input_width - horizon + 1 of them."
            )
        expect_array(
            x,
            expected_x,
            name=f"windows {case}",
            hint="Window i holds rows i, i+1, ..., i+input_width-1 of data.",
        )
        y = np.asarray(y, dtype="float64").reshape(-1)
        if y.shape == expected_y.shape and not np.allclose(y, expected_y):
            for shift, when in ((-1, "early"), (1, "late")):
                index = np.arange(len(y)) + input_width - 1 + horizon + shift
                inside = (index >= 0) & (index < len(target))
                if inside.any() and np.allclose(y[inside], target[index[inside]]):
                    fail(
                        f"{case}: your targets are one step too {when}: the window ending at "
                        f"row i+input_width-1 has its target at row i+input_width-1+horizon."
                    )
        expect_array(
            y,
            expected_y,
            name=f"targets {case}",
            hint="The target of window i is target[i + input_width - 1 + horizon].",
        )
    passed("your windows and targets are exactly the ones timeseries_dataset_from_array makes.")


def _persistence_errors(temperatures: np.ndarray, horizon: int) -> np.ndarray:
    """target - forecast of the persistence baseline, from the course's window functions."""
    series = np.asarray(temperatures, dtype="float64")
    truth = ts.future_targets(series, 1, [horizon]).astype("float64")
    return (truth - ts.persistence_forecast(series, 1, [horizon]))[:, 0]


def _persistence_mae(temperatures: np.ndarray, horizon: int) -> float:
    return float(np.mean(np.abs(_persistence_errors(temperatures, horizon))))


def persistence_mae(
    persistence_mae: Callable, temperatures: np.ndarray, name: str = "the training temperatures"
) -> None:
    """Exercise `baseline-mae`: the persistence forecast's MAE at a horizon, by hand, on a
    toy series and on `temperatures` (described as `name` in the messages)."""
    toy = np.array([10.0, 12.0, 11.0, 15.0, 14.0, 9.0])
    for series, horizon, label in (
        (toy, 2, "the toy series [10, 12, 11, 15, 14, 9]"),
        (np.asarray(temperatures), 24, name),
    ):
        got = call_student(persistence_mae, series, horizon, what="persistence_mae")
        try:
            got = float(got)
        except (TypeError, ValueError):
            fail(f"persistence_mae should return one number, not {type(got).__name__}.")
        expected = _persistence_mae(series, horizon)
        if np.isclose(got, expected, rtol=1e-6):
            continue
        errors = _persistence_errors(series, horizon)
        if np.isclose(got, np.mean(errors**2), rtol=1e-6):
            fail(f"on {label} you computed a mean *squared* error: take the absolute error.")
        if np.isclose(abs(got), abs(np.mean(errors)), rtol=1e-6):
            fail(f"on {label} you averaged signed errors, which cancel: take np.abs first.")
        if horizon > 1 and np.isclose(got, _persistence_mae(series, 1), rtol=1e-6):
            fail(
                f"on {label} you compared each value with the next one (horizon 1): compare "
                f"t[horizon:] with t[:-horizon]."
            )
        fail(f"on {label} with horizon {horizon} you got {got:.4f}, expected {expected:.4f}.")
    passed(f"persistence MAE at 24 h on {name} is {_persistence_mae(temperatures, 24):.2f} °F.")
