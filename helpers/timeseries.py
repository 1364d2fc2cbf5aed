"""Unit 05: time series. Loaders for the shipped weather and stock data, chronological
splits, normalisation fitted on the training part only, windows, baselines, plots,
anomaly injection and scoring, the exercise checks and the knowledge check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.data import shipped_file
from helpers.quiz import Question

WEATHER_FILE = "nyc_weather_2013.csv.gz"
STOCKS_FILE = "eu_stock_markets.csv.gz"
STATIONS = ("EWR", "JFK", "LGA")
WEATHER_VARIABLES = ("temp", "dewp", "humid", "wind_speed", "precip", "pressure", "visib")
LOCAL_TIMEZONE = "America/New_York"
NAIVE_NAMES = ("persistence", "seasonal naive", "same-hour mean")  # drawn as baselines in plots


# ---------------------------------------------------------------- loading the shipped data


def load_weather() -> pd.DataFrame:
    """The shipped hourly weather of the three New York airports in 2013, one row per
    airport and hour, as in the file (`time_utc` is a timezone-aware UTC timestamp).
    Temperatures and dew points are in °F, wind in mph, pressure in hPa, visibility in miles.
    """
    df = pd.read_csv(shipped_file(WEATHER_FILE))
    df["time_utc"] = pd.to_datetime(df["time_utc"], utc=True)
    return df


def load_stocks() -> pd.DataFrame:
    """The shipped daily closing prices of the DAX, SMI, CAC and FTSE indices (1991-1998),
    one row per business day."""
    return pd.read_csv(shipped_file(STOCKS_FILE))


@dataclass
class HourlyTable:
    """The weather on a complete hourly grid: `data` with gaps filled, `missing` marks
    (True) which values were missing in the file before filling."""

    data: pd.DataFrame
    missing: pd.DataFrame

    def missing_report(self) -> pd.DataFrame:
        """Missing values per station and variable (count and percent)."""
        counts = self.missing.sum()
        rows = []
        for column, count in counts.items():
            station, variable = column.split("_", 1)
            rows.append((station, variable, int(count)))
        table = pd.DataFrame(rows, columns=["station", "variable", "missing"])
        table = table.pivot(index="variable", columns="station", values="missing")
        return table.loc[[v for v in self.variables if v in table.index]]

    @property
    def variables(self) -> list[str]:
        return list(dict.fromkeys(c.split("_", 1)[1] for c in self.data.columns))


def hourly_table(
    df: pd.DataFrame,
    stations: Sequence[str] = STATIONS,
    variables: Sequence[str] = (*WEATHER_VARIABLES, "wind_dir"),
) -> HourlyTable:
    """Pivot the long weather table to one column per station and variable (`LGA_temp`)
    on a complete hourly grid, then fill each gap **from the past only**: a missing value
    is the last observed one (forward fill), so an input window never holds a value that
    was computed from later readings. Values before a column's first observation (the
    first hours of the file) are taken from that first observation.
    """
    missing_columns = {"time_utc", "origin", *variables} - set(df.columns)
    if missing_columns:
        raise ValueError(
            f"the weather table lacks the columns {sorted(missing_columns)}: "
            "pass the DataFrame that load_weather() returns."
        )
    wide = df.pivot(index="time_utc", columns="origin", values=list(variables))
    wide.columns = [f"{station}_{variable}" for variable, station in wide.columns]
    grid = pd.date_range(wide.index.min(), wide.index.max(), freq="h", name="time_utc")
    ordered = [f"{s}_{v}" for s in stations for v in variables]
    wide = wide.reindex(index=grid, columns=ordered)
    missing = wide.isna()
    filled = wide.ffill().bfill()  # bfill only reaches the hours before a first observation
    return HourlyTable(data=filled, missing=missing)


def weather_features(
    table: pd.DataFrame,
    missing: pd.DataFrame | None = None,
    tendency_hours: int = 0,
) -> pd.DataFrame:
    """Model inputs from an hourly table: every variable, the wind as a vector (x, y)
    instead of a direction in degrees, and the time of day and of year as sine/cosine
    pairs (local New York time), so that 23:00 is close to 00:00 and December to January.

    With `missing` (the mask of hourly_table), each station also gets `<station>_filled`:
    the share of its variables that were carried forward from an earlier hour, so that a
    model can learn to trust them less. With `tendency_hours` > 0, each station gets the
    change of temperature and of pressure over that many past hours (`<station>_temp_trend`,
    `<station>_pressure_trend`; 0 for the first hours), the forecaster's "tendency".
    """
    if not isinstance(table.index, pd.DatetimeIndex):
        raise ValueError("the table needs a DatetimeIndex: pass hourly_table(...).data.")
    out = {}
    stations = list(dict.fromkeys(c.split("_", 1)[0] for c in table.columns))
    for station in stations:
        for variable in WEATHER_VARIABLES:
            column = f"{station}_{variable}"
            if column in table:
                out[column] = table[column].to_numpy()
        if f"{station}_wind_dir" in table and f"{station}_wind_speed" in table:
            angle = np.deg2rad(table[f"{station}_wind_dir"].to_numpy())
            speed = table[f"{station}_wind_speed"].to_numpy()
            out[f"{station}_wind_x"] = speed * np.cos(angle)
            out[f"{station}_wind_y"] = speed * np.sin(angle)
        if tendency_hours > 0:
            for variable in ("temp", "pressure"):
                if f"{station}_{variable}" in table:
                    change = table[f"{station}_{variable}"].diff(tendency_hours)
                    out[f"{station}_{variable}_trend"] = change.fillna(0.0).to_numpy()
        if missing is not None:
            own = missing.filter(regex=f"^{station}_")
            if own.shape[1]:
                out[f"{station}_filled"] = own.mean(axis=1).reindex(table.index).to_numpy()
    local = table.index.tz_convert(LOCAL_TIMEZONE) if table.index.tz else table.index
    hour = local.hour.to_numpy() + local.minute.to_numpy() / 60
    day = local.dayofyear.to_numpy() - 1 + hour / 24
    out["day_sin"] = np.sin(2 * np.pi * hour / 24)
    out["day_cos"] = np.cos(2 * np.pi * hour / 24)
    out["year_sin"] = np.sin(2 * np.pi * day / 365.25)
    out["year_cos"] = np.cos(2 * np.pi * day / 365.25)
    return pd.DataFrame(out, index=table.index).astype("float32")


def station_order(columns: Sequence[str], station: str) -> list[int]:
    """Column indices that put `station`'s variables first, the other stations' next (in
    the order of `columns`) and the columns of no station (time features) last. A model
    that always forecasts "the first station" can then learn from every station."""
    columns = list(columns)
    stations = list(dict.fromkeys(c.split("_", 1)[0] for c in columns if "_" in c))
    stations = [s for s in stations if s in STATIONS]
    if station not in stations:
        raise ValueError(f"no columns of station {station!r}: the stations here are {stations}.")
    order = [station] + [s for s in stations if s != station]
    index = [i for s in order for i, c in enumerate(columns) if c.startswith(f"{s}_")]
    index += [i for i, c in enumerate(columns) if c.split("_", 1)[0] not in stations]
    return index


# ---------------------------------------------------------------- splits and normalisation


def chronological_split(n: int, train: float = 0.7, val: float = 0.15) -> tuple[slice, ...]:
    """Slices (train, val, test) of a series of length n, in time order: the model is
    judged on a period that comes after everything it was trained and tuned on."""
    if not (0 < train < 1 and 0 < val < 1 and train + val < 1):
        raise ValueError(
            f"train={train} and val={val} must be fractions with train + val < 1 "
            "(the rest is the test part)."
        )
    n_train, n_val = int(n * train), int(n * val)
    return slice(0, n_train), slice(n_train, n_train + n_val), slice(n_train + n_val, n)


class Standardizer:
    """Per-column (x - mean) / std, with mean and std measured on the training part only."""

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, train: np.ndarray) -> Standardizer:
        train = np.asarray(train, dtype="float64")
        if train.ndim != 2 or len(train) < 2:
            raise ValueError(
                f"fit() takes a 2-D array (time steps, features) of training data with at "
                f"least 2 rows, got shape {train.shape}."
            )
        self.mean = train.mean(axis=0)
        std = train.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def _fitted(self) -> tuple[np.ndarray, np.ndarray]:
        if self.mean is None or self.std is None:
            raise ValueError("this Standardizer is not fitted yet: call fit(train) first.")
        return self.mean, self.std

    def transform(self, x: np.ndarray) -> np.ndarray:
        mean, std = self._fitted()
        x = np.asarray(x, dtype="float64")
        if x.shape[-1] != len(mean):
            raise ValueError(
                f"x has {x.shape[-1]} columns but the Standardizer was fitted on {len(mean)}."
            )
        return ((x - mean) / std).astype("float32")

    def inverse(self, x: np.ndarray, column: int | None = None) -> np.ndarray:
        """Back to real units: all columns, or the values of one column (any shape)."""
        mean, std = self._fitted()
        x = np.asarray(x, dtype="float64")
        if column is None:
            return x * std + mean
        return x * std[column] + mean[column]


# ---------------------------------------------------------------- windows


def future_targets(series: np.ndarray, input_width: int, horizons: Sequence[int]) -> np.ndarray:
    """Targets aligned with window starts: row i holds series[i + input_width - 1 + h] for
    every h in `horizons` (h = 1 is the hour right after the window's last step).
    Its length is the number of complete windows, len(series) - input_width - max(h) + 1.
    """
    series = np.asarray(series)
    if series.ndim != 1:
        raise ValueError(f"series should be 1-D (one value per time step), got {series.shape}.")
    horizons = np.asarray(horizons, dtype=int)
    if horizons.ndim != 1 or len(horizons) == 0 or horizons.min() < 1:
        raise ValueError(f"horizons should be a list of steps >= 1, got {horizons.tolist()}.")
    n = len(series) - input_width - horizons.max() + 1
    if input_width < 1 or n < 1:
        raise ValueError(
            f"a series of {len(series)} steps has no complete window of {input_width} steps "
            f"followed by {horizons.max()} target steps."
        )
    index = np.arange(n)[:, None] + input_width - 1 + horizons[None, :]
    return series[index].astype("float32")


def make_windows(
    features: np.ndarray,
    target: np.ndarray,
    *,
    input_width: int,
    horizons: Sequence[int],
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int | None = None,
):
    """A tf.data.Dataset of (window, target) batches made with
    keras.utils.timeseries_dataset_from_array: each window holds `input_width`
    consecutive rows of `features`; its target holds `target` at `horizons` steps after
    the window's last row (shape (batch, len(horizons)))."""
    import keras

    features = np.asarray(features, dtype="float32")
    if features.ndim != 2 or len(features) != len(target):
        raise ValueError(
            f"features should be (time steps, features) and as long as target; got "
            f"features {features.shape} and target {np.shape(target)}."
        )
    y = future_targets(target, input_width, horizons)
    return keras.utils.timeseries_dataset_from_array(
        features[: len(y) + input_width - 1],
        y,
        sequence_length=input_width,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
    )


def window_array(features: np.ndarray, input_width: int, n: int | None = None) -> np.ndarray:
    """All windows of `input_width` consecutive rows as one array (windows, width, features);
    the first `n` only if given (to match future_targets)."""
    features = np.asarray(features)
    if features.ndim == 1:
        features = features[:, None]
    windows = np.lib.stride_tricks.sliding_window_view(features, input_width, axis=0)
    windows = np.moveaxis(windows, -1, 1)
    return windows if n is None else windows[:n]


def dataset_arrays(dataset) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate a finite dataset of (x, y) batches into two NumPy arrays."""
    xs, ys = zip(*((x.numpy(), y.numpy()) for x, y in dataset), strict=True)
    return np.concatenate(xs), np.concatenate(ys)


def synthetic_weather(rng: np.random.Generator, hours: int, lead: int = 24) -> np.ndarray:
    """A made-up hourly series, (hours, 4), on which forecasters are tried on data nobody has
    seen. Columns: a "temperature" (a season that warms or cools steadily, slow weather as an
    AR(1) process, a daily cycle, a little noise); an "upstream" reading that shows now, with
    noise, the season and weather that reach the temperature `lead` hours later; the hour of
    the day as sine and cosine. As in real weather, the later part of the series is warmer or
    colder than the earlier one, and the value now (persistence) is a good forecast."""
    if hours < 2 or lead < 0:
        raise ValueError(f"need hours >= 2 and lead >= 0, got hours={hours}, lead={lead}.")
    memory = rng.uniform(0.95, 0.98)  # of the weather, from one hour to the next
    shocks = rng.normal(0.0, 1.0, hours + lead)
    weather = np.zeros(hours + lead)
    for t in range(1, hours + lead):
        weather[t] = memory * weather[t - 1] + shocks[t]
    weather /= weather.std()
    season = rng.choice([-1.0, 1.0]) * rng.uniform(1.5, 2.5) * np.linspace(-1, 1, hours + lead)
    day = 2 * np.pi * (np.arange(hours) + rng.uniform(0, 24)) / 24
    arriving = season + weather  # what the temperature will be, but for its daily cycle
    temperature = arriving[:hours] + rng.uniform(0.5, 1.0) * np.sin(day)
    temperature += rng.normal(0.0, 0.1, hours)
    upstream = arriving[lead:] + rng.normal(0.0, 0.3, hours)
    return np.column_stack([temperature, upstream, np.sin(day), np.cos(day)])


# ---------------------------------------------------------------- baselines and metrics


def persistence_forecast(series: np.ndarray, input_width: int, horizons: Sequence[int]):
    """The last value of each window, repeated for every horizon: (windows, len(horizons))."""
    series = np.asarray(series, dtype="float64")
    n = len(series) - input_width - max(horizons) + 1
    last = series[input_width - 1 : input_width - 1 + n]
    return np.repeat(last[:, None], len(horizons), axis=1)


def seasonal_naive_forecast(
    series: np.ndarray, input_width: int, horizons: Sequence[int], season: int = 24
):
    """The value one season (24 hours) before each target time: tomorrow = today at the
    same hour. Needs horizons <= season and input_width >= season."""
    horizons = np.asarray(horizons, dtype=int)
    if horizons.max() > season or input_width < season:
        raise ValueError(
            f"seasonal naive needs horizons <= season ({season}) and a window of at least "
            f"{season} steps; got horizons up to {horizons.max()} and a window of {input_width}."
        )
    series = np.asarray(series, dtype="float64")
    n = len(series) - input_width - horizons.max() + 1
    index = np.arange(n)[:, None] + input_width - 1 + horizons[None, :] - season
    return series[index]


def same_hour_mean_forecast(
    series: np.ndarray, input_width: int, horizons: Sequence[int], days: int = 2
):
    """The mean of the values at the target's hour of day on the last `days` days that
    the window holds (for a target h hours after the window's end, the values 24, 48, ...
    hours before it that lie inside the window). Needs input_width >= 24 * days and
    horizons <= 24, so that it reads only the window, like the models."""
    horizons = np.asarray(horizons, dtype=int)
    if horizons.max() > 24 or input_width < 24 * days or days < 1:
        raise ValueError(
            f"the same-hour mean of {days} days needs a window of at least {24 * days} steps "
            f"and horizons <= 24; got a window of {input_width} and horizons up to "
            f"{horizons.max()}."
        )
    series = np.asarray(series, dtype="float64")
    n = len(series) - input_width - horizons.max() + 1
    target = np.arange(n)[:, None] + input_width - 1 + horizons[None, :]
    return np.mean([series[target - 24 * d] for d in range(1, days + 1)], axis=0)


def mae(prediction: np.ndarray, truth: np.ndarray) -> float:
    """Mean absolute error over every value (same units as the inputs)."""
    prediction, truth = np.asarray(prediction, "float64"), np.asarray(truth, "float64")
    if prediction.shape != truth.shape:
        raise ValueError(
            f"prediction {prediction.shape} and truth {truth.shape} must have the same shape."
        )
    return float(np.mean(np.abs(prediction - truth)))


def mae_by_horizon(prediction: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """MAE for each column (each forecast horizon) of (windows, horizons) arrays."""
    prediction, truth = np.asarray(prediction, "float64"), np.asarray(truth, "float64")
    if prediction.shape != truth.shape or prediction.ndim != 2:
        raise ValueError(
            f"expected two (windows, horizons) arrays of one shape, got {prediction.shape} "
            f"and {truth.shape}."
        )
    return np.mean(np.abs(prediction - truth), axis=0)


def fit_linear(x_train: np.ndarray, y_train: np.ndarray, alpha: float = 1.0):
    """A ridge regression on the flattened windows: the linear baseline."""
    from sklearn.linear_model import Ridge

    return Ridge(alpha=alpha).fit(x_train.reshape(len(x_train), -1), y_train)


def predict_linear(model, x: np.ndarray) -> np.ndarray:
    """The linear baseline's forecasts, (windows, horizons)."""
    return np.asarray(model.predict(x.reshape(len(x), -1))).reshape(len(x), -1)


def improvement_percent(best_baseline: float, model: float) -> float:
    """How much lower the model's error is than the baseline's, in percent."""
    if best_baseline <= 0:
        raise ValueError(f"the baseline error must be positive, got {best_baseline}.")
    return 100.0 * (best_baseline - model) / best_baseline


def hour_ranges(mask: Sequence[bool]) -> str:
    """The positions where `mask` is True, counted from 1 (hours ahead), as ranges:
    [T, T, F, T] -> "1-2, 4"; "none" where no value is True."""
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 1:
        raise ValueError(f"mask should be 1-D (one value per horizon), got shape {mask.shape}.")
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    parts = [
        f"{start + 1}" if stop - start == 1 else f"{start + 1}-{stop}"
        for start, stop in zip(edges[::2], edges[1::2], strict=True)
    ]
    return ", ".join(parts) if parts else "none"


def daily_bias(
    times: pd.DatetimeIndex, truth: np.ndarray, forecasts: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    """Per (UTC) day: the true mean and each forecast's mean error, forecast - truth
    (negative: the forecast was too cold)."""
    truth = np.asarray(truth, dtype="float64")
    if len(times) != len(truth) or any(len(f) != len(truth) for f in forecasts.values()):
        raise ValueError("times, truth and every forecast must have the same length.")
    table = {"truth (mean)": truth}
    table.update({name: np.asarray(f, "float64") - truth for name, f in forecasts.items()})
    frame = pd.DataFrame(table, index=pd.DatetimeIndex(times))
    days = frame.groupby(frame.index.strftime("%d %b")).mean()
    return days.loc[list(dict.fromkeys(frame.index.strftime("%d %b")))]


# ---------------------------------------------------------------- stock prices


def log_returns(prices: np.ndarray) -> np.ndarray:
    """Daily log returns log(p_t / p_(t-1)): one fewer value than prices."""
    prices = np.asarray(prices, dtype="float64")
    if prices.ndim != 1 or len(prices) < 2 or np.any(prices <= 0):
        raise ValueError(
            f"prices should be a 1-D array of at least 2 positive numbers, got shape "
            f"{prices.shape}{' with values <= 0' if np.any(prices <= 0) else ''}."
        )
    return np.diff(np.log(prices))


def direction_accuracy(predicted_change: np.ndarray, actual_change: np.ndarray) -> float:
    """Fraction of days on which the predicted and actual changes have the same sign."""
    predicted_change = np.asarray(predicted_change, "float64").ravel()
    actual_change = np.asarray(actual_change, "float64").ravel()
    if predicted_change.shape != actual_change.shape:
        raise ValueError(
            f"got {predicted_change.shape} predicted and {actual_change.shape} actual changes."
        )
    return float(np.mean(np.sign(predicted_change) == np.sign(actual_change)))


def paired_difference(errors_a: np.ndarray, errors_b: np.ndarray) -> tuple[float, float]:
    """Mean of errors_a - errors_b over the same days, and its standard error: a difference
    within about two standard errors of 0 is indistinguishable from luck."""
    a, b = np.asarray(errors_a, "float64").ravel(), np.asarray(errors_b, "float64").ravel()
    if a.shape != b.shape or len(a) < 2:
        raise ValueError(
            f"need two equally long arrays of at least 2 errors, got {a.shape} and {b.shape}."
        )
    difference = a - b
    return float(difference.mean()), float(difference.std(ddof=1) / np.sqrt(len(difference)))


# ---------------------------------------------------------------- anomaly detection

ANOMALY_KINDS = ("spike", "drift", "stuck")


@dataclass(frozen=True)
class Anomaly:
    """One injected fault: `kind` in ANOMALY_KINDS, from index `start` for `length` steps."""

    kind: str
    start: int
    length: int
    size: float  # spike height / final drift offset (signed); 0 for a stuck sensor


def inject_anomalies(
    series: np.ndarray,
    *,
    seed: int = 0,
    n_spikes: int = 6,
    n_drifts: int = 3,
    n_stuck: int = 3,
    spike_size: tuple[float, float] = (10.0, 18.0),
    drift_size: tuple[float, float] = (8.0, 14.0),
    drift_hours: int = 24,
    stuck_hours: int = 18,
) -> tuple[np.ndarray, np.ndarray, list[Anomaly]]:
    """A copy of `series` with sensor faults injected at random, non-overlapping places
    (with a margin of a day between them), the mask of the changed steps and the list
    of faults. The three kinds:

    - spike: one reading off by +/- spike_size (a glitch);
    - drift: an offset that grows linearly to +/- drift_size over `drift_hours`
      (a sensor slowly going out of calibration), then the sensor is repaired;
    - stuck: the reading frozen at its value for `stuck_hours` (a stuck sensor).
    """
    series = np.asarray(series, dtype="float64")
    if series.ndim != 1:
        raise ValueError(f"series should be 1-D, got shape {series.shape}.")
    rng = np.random.default_rng(seed)
    plan = ["spike"] * n_spikes + ["drift"] * n_drifts + ["stuck"] * n_stuck
    lengths = {"spike": 1, "drift": drift_hours, "stuck": stuck_hours}
    margin = 24
    need = sum(lengths[k] + margin for k in plan) + margin
    if need > len(series):
        raise ValueError(
            f"{len(plan)} anomalies need about {need} steps with their margins, but the "
            f"series has {len(series)}: inject fewer or use a longer series."
        )
    rng.shuffle(plan)
    # Random gaps between the faults: split the free steps among len(plan) + 1 gaps.
    free = len(series) - sum(lengths[k] for k in plan) - margin * (len(plan) + 1)
    cuts = np.sort(rng.integers(0, free + 1, size=len(plan)))
    gaps = np.diff(np.concatenate([[0], cuts]))
    corrupted, labels, anomalies = series.copy(), np.zeros(len(series), bool), []
    position = 0
    for kind, gap in zip(plan, gaps, strict=True):
        start = position + margin + int(gap)
        length = lengths[kind]
        sign = rng.choice([-1.0, 1.0])
        if kind == "spike":
            size = sign * rng.uniform(*spike_size)
            corrupted[start] += size
        elif kind == "drift":
            size = sign * rng.uniform(*drift_size)
            corrupted[start : start + length] += size * np.arange(1, length + 1) / length
        else:
            size = 0.0
            corrupted[start : start + length] = series[start]
        labels[start : start + length] = True
        anomalies.append(Anomaly(kind, start, length, float(round(size, 2))))
        position = start + length
    return corrupted, labels, anomalies


def hourly_scores(window_errors: np.ndarray, n: int) -> np.ndarray:
    """Per-step anomaly scores from the errors of overlapping windows (stride 1):
    window_errors[i, j] is the error at step i + j; each step gets the mean over all
    windows that contain it."""
    window_errors = np.asarray(window_errors, dtype="float64")
    if window_errors.ndim != 2:
        raise ValueError(f"window_errors should be (windows, width), got {window_errors.shape}.")
    windows, width = window_errors.shape
    if windows + width - 1 != n:
        raise ValueError(
            f"{windows} windows of width {width} with stride 1 cover {windows + width - 1} "
            f"steps, not {n}."
        )
    total, count = np.zeros(n), np.zeros(n)
    for j in range(width):
        total[j : j + windows] += window_errors[:, j]
        count[j : j + windows] += 1
    return total / count


def precision_recall(flagged: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Precision (how many flagged steps are real anomalies) and recall (how many
    anomalous steps were flagged); 0 where nothing was flagged or nothing is anomalous."""
    from sklearn import metrics

    flagged, labels = np.asarray(flagged, bool), np.asarray(labels, bool)
    if flagged.shape != labels.shape:
        raise ValueError(f"flagged {flagged.shape} and labels {labels.shape} differ in shape.")
    flagged, labels = flagged.reshape(-1), labels.reshape(-1)
    precision = metrics.precision_score(labels, flagged, zero_division=0)
    recall = metrics.recall_score(labels, flagged, zero_division=0)
    return float(precision), float(recall)


def detected_events(flagged: np.ndarray, anomalies: Sequence[Anomaly]) -> dict[str, str]:
    """For each kind of fault, 'found/injected': a fault counts as found when at least one
    of its steps is flagged."""
    flagged = np.asarray(flagged, bool)
    out = {}
    for kind in ANOMALY_KINDS:
        events = [a for a in anomalies if a.kind == kind]
        found = sum(bool(flagged[a.start : a.start + a.length].any()) for a in events)
        out[kind] = f"{found}/{len(events)}"
    return out


def compare_rates(
    what: str, a: tuple[str, float, int], b: tuple[str, float, int], unit: str = "hours"
) -> str:
    """One sentence comparing two rates (precision or recall of two detectors), each given
    as (name, rate, number of {unit} it is measured on). The standard error of a rate p
    measured on n items is sqrt(p (1 - p) / n); a difference within two standard errors
    of the difference could be luck. (Neighbouring hours are not independent, so this
    is, if anything, too generous.)"""
    (name_a, p_a, n_a), (name_b, p_b, n_b) = a, b
    if min(n_a, n_b) < 0 or not (0 <= p_a <= 1 and 0 <= p_b <= 1):
        raise ValueError("rates must lie in [0, 1] and counts must not be negative.")
    head = f"{what}: {name_a} {p_a:.2f} ({n_a} {unit}), {name_b} {p_b:.2f} ({n_b} {unit})"
    if min(n_a, n_b) == 0:
        return f"{head}: no comparison, one rate is measured on no {unit}"
    error = float(np.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b))
    if abs(p_a - p_b) > 2 * error:
        higher = name_a if p_a > p_b else name_b
        return f"{head}: {higher} higher, by more than 2 standard errors ({error:.2f})"
    return f"{head}: a difference within 2 standard errors ({error:.2f}), could be luck"


def busiest_days(times: pd.DatetimeIndex, mask: np.ndarray, n: int = 3) -> str:
    """The `n` (UTC) days with the most True values of `mask`, as "21 Dec: 9 h, ...",
    and how many of all True values they hold."""
    mask = np.asarray(mask, dtype=bool)
    if len(times) != len(mask):
        raise ValueError(f"{len(times)} times but {len(mask)} mask values.")
    if not mask.any():
        return "none"
    counts = pd.Series(pd.DatetimeIndex(times)[mask].strftime("%d %b")).value_counts(sort=False)
    top = counts.sort_values(ascending=False, kind="stable").head(n)
    days = ", ".join(f"{day}: {count} h" for day, count in top.items())
    return f"{days} ({top.sum()} of {mask.sum()})"


# ---------------------------------------------------------------- plots


def plot_year(table: pd.DataFrame, variable: str = "temp", unit: str = "°F"):
    """The raw hourly series of every station over the whole period, one colour each."""
    import matplotlib.pyplot as plt

    columns = [c for c in table.columns if c.endswith(f"_{variable}")]
    if not columns:
        raise ValueError(f"no column ends with _{variable}: the table has {list(table.columns)}.")
    fig, ax = plt.subplots(figsize=(11, 3.5))
    for column in columns:
        ax.plot(table.index, table[column], lw=0.4, label=column.split("_")[0])
    ax.set_ylabel(f"{variable} ({unit})")
    ax.set_title(f"Hourly {variable} at the three New York airports, 2013")
    ax.legend(ncols=len(columns), loc="upper left")
    ax.grid(alpha=0.3)
    return ax


def plot_cycles(series: pd.Series, unit: str = "°F"):
    """Left: the daily cycle (mean by local hour) for each season; right: the
    autocorrelation over 0-10 days, with its peaks every 24 hours."""
    import matplotlib.pyplot as plt

    local = series.index.tz_convert(LOCAL_TIMEZONE)
    seasons = {
        "winter": (12, 1, 2),
        "spring": (3, 4, 5),
        "summer": (6, 7, 8),
        "autumn": (9, 10, 11),
    }
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
    for name, months in seasons.items():
        part = series[np.isin(local.month, months)]
        by_hour = part.groupby(part.index.tz_convert(LOCAL_TIMEZONE).hour).mean()
        left.plot(by_hour.index, by_hour.to_numpy(), marker=".", label=name)
    left.set_xlabel("hour of the day (New York time)")
    left.set_ylabel(f"mean {series.name} ({unit})")
    left.set_title("The daily cycle, by season")
    left.legend()
    left.grid(alpha=0.3)
    values = series.to_numpy() - series.mean()
    lags = np.arange(0, 241)
    acf = [1.0] + [np.corrcoef(values[:-k], values[k:])[0, 1] for k in lags[1:]]
    right.plot(lags / 24, acf)
    right.set_xlabel("lag (days)")
    right.set_ylabel("autocorrelation")
    right.set_title("Correlation with itself k hours earlier")
    right.grid(alpha=0.3)
    fig.tight_layout()
    return left, right


def plot_window(
    window_times: pd.DatetimeIndex,
    window_values: np.ndarray,
    target_times: Sequence,
    target_values: Sequence[float],
    unit: str = "°F",
):
    """One input window (the hours the model reads) and its target(s)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 3.5))
    ax.plot(window_times, window_values, marker=".", label=f"input window ({len(window_times)} h)")
    ax.plot(target_times, target_values, "r*", markersize=14, label="target")
    ax.axvspan(window_times[0], window_times[-1], color="C0", alpha=0.08)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel(f"temperature ({unit})")
    ax.set_title("One training example: a window of past hours, and the value to predict")
    ax.legend()
    ax.grid(alpha=0.3)
    return ax


def plot_mae_bars(results: Mapping[str, float], unit: str = "°F", title: str = ""):
    """A horizontal bar per model, its test MAE written beside it; baselines (the naive
    forecasts and the linear model) in grey."""
    import matplotlib.pyplot as plt

    names = list(results)
    values = [results[n] for n in names]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.2))
    baselines = (*NAIVE_NAMES, "linear (ridge)")
    colors = ["0.6" if "baseline" in n or n in baselines else "C0" for n in names]
    bars = ax.barh(names, values, color=colors)
    ax.bar_label(bars, fmt="%.2f", padding=3)
    ax.invert_yaxis()
    ax.set_xlabel(f"test MAE ({unit}), lower is better")
    ax.set_xlim(0, max(values) * 1.15)
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_mae_by_horizon(curves: Mapping[str, np.ndarray], unit: str = "°F", split: str = "test"):
    """MAE on `split` (test, validation) against the forecast horizon (1-24 h) for each
    multi-step forecaster."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    for name, values in curves.items():
        style = "--" if name in NAIVE_NAMES else "-"
        ax.plot(np.arange(1, len(values) + 1), values, style, marker=".", label=name)
    ax.set_xlabel("hours ahead")
    ax.set_ylabel(f"{split} MAE ({unit})")
    ax.set_title("How the error changes with the horizon")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: the curves stay visible
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return ax


def plot_forecasts(
    times: pd.DatetimeIndex,
    truth: np.ndarray,
    forecasts: Mapping[str, np.ndarray],
    unit: str = "°F",
    title: str = "Forecasts against the truth on test days",
):
    """The true series and each model's forecasts, aligned on the same times."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 4))
    ax.plot(times, truth, color="black", lw=2, label="truth")
    for name, values in forecasts.items():
        ax.plot(times, values, lw=1.2, label=name)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.set_xlabel("target time (UTC)")
    ax.set_ylabel(f"temperature ({unit})")
    ax.set_title(title)
    ax.legend(ncols=3)
    ax.grid(alpha=0.3)
    return ax


def plot_anomalies(
    times: pd.DatetimeIndex,
    observed: np.ndarray,
    labels: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    unit: str = "°F",
    name: str = "autoencoder",
    other_flags: Mapping[str, np.ndarray] | None = None,
):
    """Top: the corrupted series, injected faults shaded, the hours flagged by the scored
    detector (`name`) as red dots and those of `other_flags` (name -> mask) as rows of
    ticks below the series. Bottom: the anomaly score and the threshold."""
    import matplotlib.pyplot as plt

    flagged = scores > threshold
    other_flags = dict(other_flags or {})
    if any(len(m) != len(observed) for m in other_flags.values()):
        raise ValueError("every mask of other_flags needs one value per time step.")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 6), sharex=True)
    top.plot(times, observed, lw=0.7, color="C0", label="observed (with injected faults)")
    edges = np.flatnonzero(np.diff(np.concatenate([[0], labels.astype(int), [0]])))
    for i, (start, stop) in enumerate(zip(edges[::2], edges[1::2], strict=True)):
        stop_time = times[min(stop, len(times) - 1)]
        top.axvspan(
            times[start],
            stop_time,
            color="orange",
            alpha=0.35,
            label="injected" if i == 0 else None,
        )
    top.plot(times[flagged], observed[flagged], "r.", markersize=5, label=f"flagged: {name}")
    low, span = np.nanmin(observed), np.nanmax(observed) - np.nanmin(observed)
    for i, (other, mask) in enumerate(other_flags.items()):
        mask = np.asarray(mask, bool)
        row = np.full(mask.sum(), low - (0.08 + 0.07 * i) * span)
        top.plot(times[mask], row, "|", color=f"C{3 + i}", markersize=8, label=f"flagged: {other}")
    top.set_ylabel(f"temperature ({unit})")
    top.legend(ncols=2, loc="upper right", fontsize="small")
    top.grid(alpha=0.3)
    bottom.plot(times, scores, lw=0.7, color="C2", label=f"anomaly score ({name})")
    bottom.axhline(threshold, color="red", ls="--", label=f"threshold {threshold:.2f}")
    bottom.set_ylabel(f"reconstruction error ({unit})")
    bottom.set_xlabel("time (UTC)")
    bottom.legend(loc="upper right")
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    return top, bottom


def plot_stock(
    days: np.ndarray,
    truth: np.ndarray,
    forecasts: Mapping[str, np.ndarray],
    predicted_returns: np.ndarray,
    actual_returns: np.ndarray,
):
    """Left: next-day forecasts of the index; right: predicted against actual returns."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [2, 1]})
    left.plot(days, truth, color="black", lw=2, label="truth")
    low, high = float(np.min(truth)), float(np.max(truth))
    margin = 0.25 * (high - low)
    off_scale = []
    for i, (name, values) in enumerate(forecasts.items()):
        values = np.asarray(values, dtype="float64")
        if np.median(values) < low - margin or np.median(values) > high + margin:
            off_scale.append(f"{name} (mean {values.mean():.0f})")  # would squeeze the axis
        elif name == "random walk":  # thin and dashed on top: forecasts close to it show
            left.plot(days, values, "--", lw=1.2, color=f"C{i}", zorder=5, label=name)
        else:  # wide and pale underneath
            left.plot(days, values, lw=4, alpha=0.5, color=f"C{i}", label=name)
    left.set_ylim(low - margin, high + margin)
    if off_scale:
        left.set_title(
            "Next-day forecasts, last test days\noff the scale, not drawn: "
            + (", ".join(off_scale)),
            fontsize="medium",
        )
    else:
        left.set_title("Next-day forecasts, last test days")
    left.set_xlabel("business day")
    left.set_ylabel("DAX (index points)")
    left.legend()
    left.grid(alpha=0.3)
    right.scatter(100 * actual_returns, 100 * predicted_returns, s=6, alpha=0.5)
    right.axhline(0, color="0.5", lw=0.8)
    right.axvline(0, color="0.5", lw=0.8)
    right.set_xlabel("actual next-day return (%)")
    right.set_ylabel("predicted return (%)")
    right.set_title("Returns: predicted vs actual (test)")
    right.grid(alpha=0.3)
    fig.tight_layout()
    return left, right


# ---------------------------------------------------------------- knowledge check

QUESTIONS = [
    Question(
        id="q1",
        prompt="Why are gaps in the weather filled with the last observed value rather than "
        "by interpolating between the readings before and after the gap?",
        choices={
            "a": "An interpolated value is computed from readings after the gap, which a "
            "forecaster at that hour could not have: its inputs would leak the future.",
            "b": "Interpolation cannot fill gaps longer than one hour.",
            "c": "A carried-forward value is closer to the truth than an interpolated one.",
            "d": "Keras layers refuse interpolated inputs.",
        },
    ),
    Question(
        id="q2",
        prompt="Forecasting 24 hours ahead, persistence and seasonal naive (same hour the day "
        "before) print exactly the same validation MAE. Why?",
        choices={
            "a": "Both are poor forecasts, so their errors happen to be about equal.",
            "b": "The seasonal naive forecast is computed with a bug.",
            "c": "24 hours before the target is the window's last hour: both forecasts are "
            "the value now, the same forecast.",
            "d": "The validation months have no daily cycle.",
        },
    ),
    Question(
        id="q3",
        prompt="Transfer task: which of these is NOT a reason why RNNs suit weather forecasting?",
        choices={
            "a": "Weather is sequential: what happens next depends on what came before.",
            "b": "They accept input sequences of any length.",
            "c": "They keep information from past steps in their hidden state.",
            "d": "They make the future certain, so forecasts need no uncertainty.",
        },
    ),
    Question(
        id="q4",
        prompt="Why are the mean and standard deviation for normalising measured on the "
        "training period only?",
        choices={
            "a": "Because it is faster.",
            "b": "So that nothing about the validation and test periods leaks into training: "
            "a real forecaster does not know the future.",
            "c": "Because the test period has no mean.",
            "d": "It does not matter which period is used.",
        },
    ),
]
