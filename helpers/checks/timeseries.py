"""Checks of unit 05's exercises: windows by hand, the persistence baseline's MAE, a
forecaster of the student's own and an anomaly threshold chosen on validation.

Windows are compared with what `keras.utils.timeseries_dataset_from_array` makes; the
baseline with the course's forecast functions; the forecaster is trained here on a fixed
budget and judged against persistence; the threshold's F1 against the best F1 that
scikit-learn's precision-recall curve reaches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from helpers import timeseries as ts
from helpers.checks import call_student, expect_array, fail, passed, require_recurrent


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


# ---------------------------------------------------------------- your own forecaster

FORECAST_BATCH = 128  # windows per training step: one epoch is len(windows) / 128 steps
FORECAST_MARGIN = 0.03  # the forecaster must be at least this much better than persistence
_FORECASTER_TIPS = (
    "What to try: predict the *change* from the last observed temperature and add it back "
    "(`inputs[:, -1, 0:1]` plus the output of a `Dense(1)`, as the notebook's `forecaster` "
    'does), with that change starting at zero (`kernel_initializer="zeros"` in its `Dense`), '
    "so that the untrained model is persistence and training only adds corrections; a "
    "smaller learning rate (Adam(5e-4) or less) if training jumps around; fewer units (16) "
    "and no dropout for so short a training."
)


def _model_output(model, windows: np.ndarray) -> np.ndarray:
    """What the student's model gives for a few windows, or a failure that says why not."""
    inputs = getattr(model, "inputs", None) or []
    expected = tuple(windows.shape[1:])
    if len(inputs) == 1 and len(inputs[0].shape) == 3:
        reads = tuple(inputs[0].shape[1:])
        if any(r is not None and r != e for r, e in zip(reads, expected, strict=True)):
            fail(
                f"your model reads windows of shape {reads} (hours, features), the check gives "
                f"{expected}: start it with keras.Input((input_hours, n_features)), the two "
                "arguments of build_my_forecaster."
            )
    try:
        return np.asarray(model(windows, training=False))
    except Exception as exc:  # the student's model may raise anything
        first_line = (str(exc).strip().splitlines() or [""])[0][:200]
        fail(
            f"your model could not read windows of shape {windows.shape} (batch, hours, "
            f"features): {type(exc).__name__}: {first_line}. Start it with "
            "keras.Input((input_hours, n_features))."
        )


def _check_output_shape(shape: tuple[int, ...]) -> None:
    if shape == (2, 1):
        return
    if len(shape) == 3:
        fail(
            f"for 2 windows your model returns shape {shape}: a sequence, one output per "
            "hour of the window. Keep only the summary of the window (return_sequences=False "
            "on the last recurrent layer, the default) and end with Dense(1)."
        )
    if len(shape) == 2 and shape[0] == 2:
        fail(
            f"for 2 windows your model returns shape {shape}: {shape[1]} values per window. "
            "It should give one, the temperature 24 h after the window's last hour: end "
            "with Dense(1)."
        )
    fail(
        f"for 2 windows your model returns shape {shape}, expected (2, 1): one value per "
        "window (end with Dense(1))."
    )


def my_forecaster(
    build: Callable,
    train_windows: tuple[np.ndarray, np.ndarray],
    val_windows: tuple[np.ndarray, np.ndarray],
    to_degrees: Callable[[np.ndarray], np.ndarray],
    baselines: Mapping[str, np.ndarray],
    seed: int = 0,
) -> None:
    """Exercise `my-forecaster`: `build(input_hours, n_features)` returns a compiled Keras
    model. It is trained here for one epoch, seeded, on `train_windows` (windows, normalised
    targets) in a fixed order; its forecasts for `val_windows` (windows, truth in °F), turned
    into °F by `to_degrees`, must have an MAE at least FORECAST_MARGIN below that of
    `baselines["persistence"]`. Every baseline's MAE is printed beside the model's."""
    import keras

    x_train, z_train = (np.asarray(a) for a in train_windows)
    x_val, truth = np.asarray(val_windows[0]), np.asarray(val_windows[1], dtype="float64")
    _, input_hours, n_features = x_train.shape
    keras.utils.set_random_seed(seed)
    model = call_student(build, input_hours, n_features, what="build_my_forecaster")
    if model is None:
        fail("build_my_forecaster returned None: did you forget to `return` the model?")
    if not isinstance(model, keras.Model):
        fail(f"build_my_forecaster should return a Keras model, not a {type(model).__name__}.")
    if not getattr(model, "compiled", False):
        fail(
            "your model is not compiled: call model.compile(optimizer=..., loss=...) before "
            'returning it (for example Adam and loss="mae"); the check trains it with fit.'
        )
    require_recurrent(
        model,
        "this is the lectures' exercise of an LSTM on a time series, so read the window with "
        "an LSTM (or a GRU).",
    )
    _check_output_shape(_model_output(model, x_val[:2]).shape)
    order = np.random.default_rng(seed).permutation(len(x_train))
    steps = -(-len(x_train) // FORECAST_BATCH)
    try:
        model.fit(
            x_train[order],
            z_train.reshape(len(z_train), -1)[order],
            batch_size=FORECAST_BATCH,
            epochs=1,
            shuffle=False,
            verbose=0,
        )
        predicted = np.asarray(model.predict(x_val, batch_size=512, verbose=0), "float64")
    except Exception as exc:  # the student's model or its compile settings
        fail(f"training your model failed: {type(exc).__name__}: {str(exc)[:300]}")
    forecast = np.asarray(to_degrees(predicted.reshape(len(x_val))), dtype="float64")
    if not np.all(np.isfinite(forecast)):
        fail(
            "after training, your model's forecasts hold NaN or infinity: training diverged. "
            "Try a smaller learning rate."
        )
    mine = ts.mae(forecast, truth)
    scores = {name: ts.mae(np.asarray(f, "float64"), truth) for name, f in baselines.items()}
    persistence = scores["persistence"]
    others = ", ".join(f"{name} {value:.2f} °F" for name, value in scores.items())
    cut = ts.improvement_percent(persistence, mine)
    side = "below" if cut >= 0 else "above"
    line = f"yours {mine:.2f} °F ({abs(cut):.1f}% {side} persistence), {others}"
    budget = f"one epoch ({steps} batches of {FORECAST_BATCH} windows, seed {seed})"
    if mine <= (1 - FORECAST_MARGIN) * persistence:
        passed(f"after {budget}, validation MAE 24 h ahead: {line}.")
        return
    spread, truth_spread = float(np.std(forecast)), float(np.std(truth))
    flat = ""
    if spread < 0.2 * truth_spread:
        flat = (
            f" Your forecasts hardly change from window to window (standard deviation "
            f"{spread:.2f} °F, the truth's {truth_spread:.2f} °F): does the model read its "
            "inputs?"
        )
    fail(
        f"after {budget}, validation MAE 24 h ahead: {line}. Yours must be at least "
        f"{100 * FORECAST_MARGIN:.0f}% below persistence ({(1 - FORECAST_MARGIN) * persistence:.2f}"
        f" °F or less).{flat} {_FORECASTER_TIPS}"
    )


# ---------------------------------------------------------------- anomaly threshold


def _f1(flagged: np.ndarray, labels: np.ndarray) -> float:
    found = np.sum(flagged & labels)
    return float(2 * found / (flagged.sum() + labels.sum())) if found else 0.0


def _best_f1(scores: np.ndarray, labels: np.ndarray) -> float:
    """The best F1 any threshold reaches, from scikit-learn's precision-recall curve."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, _ = precision_recall_curve(labels, scores)
    return float(np.max(2 * precision * recall / np.maximum(precision + recall, 1e-12)))


_THRESHOLD_TOY = (
    np.array([0.2, 0.9, 0.4, 0.75, 0.1, 0.6, 0.3, 0.8, 0.5, 0.35]),
    np.array([0, 1, 0, 1, 0, 1, 0, 0, 0, 0], dtype=bool),
)


def _threshold_problem(threshold: float, scores: np.ndarray, labels: np.ndarray) -> str | None:
    """What is wrong with `threshold` on (scores, labels), in plain words; None if nothing."""
    best = _best_f1(scores, labels)
    flagged = scores > threshold
    f1 = _f1(flagged, labels)
    if f1 >= best - 1e-9:
        return None
    precision, recall = ts.precision_recall(flagged, labels)
    said = (
        f"your threshold {threshold:.4g} flags {flagged.sum()} of {len(scores)} hours: "
        f"precision {precision:.2f}, recall {recall:.2f}, F1 {f1:.3f}; the best threshold "
        f"reaches F1 {best:.3f}."
    )
    if _f1(scores >= threshold, labels) >= best - 1e-9:
        return (
            f"{said} Your threshold would be the best if the hours whose score equals it were "
            f"flagged too (score >= threshold), but an hour is flagged when its score is "
            f"*greater* than the threshold: return a threshold that works with `>`."
        )
    quantiles = (0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
    if any(np.isclose(threshold, np.quantile(scores, q)) for q in quantiles):
        return (
            f"{said} A quantile of the scores does not look at the labels: try every distinct "
            f"score as the threshold and keep the one whose flags have the best F1."
        )
    if recall == 1 and precision < 1:
        return (
            f"{said} It finds every fault but flags too many normal hours (choosing on recall "
            f"alone always ends at the lowest threshold): F1 = 2 precision recall / (precision "
            f"+ recall) weighs both."
        )
    if precision == 1 and recall < 1:
        return (
            f"{said} Every hour it flags is a fault, but it misses many: choosing on precision "
            f"alone favours the highest thresholds. F1 weighs precision and recall."
        )
    return (
        f"{said} Try every distinct score as the threshold, flag the hours above it, and keep "
        f"the threshold whose flags have the highest F1 = 2 precision recall / (precision + "
        f"recall)."
    )


def _student_threshold(choose_threshold: Callable, scores: np.ndarray, labels: np.ndarray):
    got = call_student(choose_threshold, scores.copy(), labels.copy(), what="choose_threshold")
    if got is None:
        fail("choose_threshold returned None: did you forget to `return` the threshold?")
    try:
        got = float(got)
    except (TypeError, ValueError):
        fail(f"choose_threshold should return one number, not a {type(got).__name__}.")
    if np.isnan(got):
        fail("choose_threshold returned NaN: return one of the candidate thresholds.")
    return got


def anomaly_threshold(
    choose_threshold: Callable,
    validation_scores: Mapping[str, np.ndarray],
    labels: np.ndarray,
) -> None:
    """Exercise `anomaly-threshold`: choose_threshold(scores, labels) returns the threshold
    whose flags (score > threshold) have the best F1 on the labels; tried on a toy case and on
    each detector's validation scores (`validation_scores`: name -> scores per hour)."""
    scores, toy_labels = _THRESHOLD_TOY
    threshold = _student_threshold(choose_threshold, scores, toy_labels)
    if problem := _threshold_problem(threshold, scores, toy_labels):
        fail(
            f"on the toy scores {scores.tolist()} with labels {toy_labels.astype(int).tolist()}, "
            f"{problem}"
        )
    labels = np.asarray(labels).astype(bool)
    chosen = {}
    for name, values in validation_scores.items():
        values = np.asarray(values, dtype="float64")
        threshold = _student_threshold(choose_threshold, values, labels)
        if problem := _threshold_problem(threshold, values, labels):
            fail(f"on the validation scores of the {name}, {problem}")
        chosen[name] = (threshold, _f1(values > threshold, labels))
    summary = "; ".join(f"{name} {t:.2f} (F1 {f1:.2f})" for name, (t, f1) in chosen.items())
    passed(f"your thresholds reach the best F1 on the validation faults: {summary}.")
