"""What each exercise is graded on: prelude, allowed modules, hidden inputs, probe, comparison.

For every exercise the grader runs, in a sandboxed process (see `harness`), the `prelude`
(the imports the answer cell needs), then only the answer cell, then the `probe`: Python
source defining `probe(ns, inputs)`, which calls what the answer defined (`ns`) on the
hidden inputs and returns JSON-able results. The same is done with the instructor's own
answer cell to get the expected results, which `compare` checks in the grader's process.
Hidden inputs are drawn by `inputs(rng)` from the run's seed: random shapes and values,
not the fixed inputs of the visible checks in `helpers`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

NUMPY_MODULES = frozenset({"numpy", "math"})
KERAS_MODULES = NUMPY_MODULES | {"keras", "tensorflow"}
NUMPY_PRELUDE = "import math\nimport numpy as np\n"
KERAS_PRELUDE = (
    NUMPY_PRELUDE
    + "import keras\nimport tensorflow as tf\nfrom keras import layers, ops\n"
    + "tf.config.threading.set_intra_op_parallelism_threads(1)\n"
    + "tf.config.threading.set_inter_op_parallelism_threads(1)\n"
)
PROBE_HEAD = '''
import numpy as np


def student(ns, name):
    """What the answer cell defined under `name`."""
    if name not in ns:
        raise NameError(f"your answer cell does not define `{name}`")
    return ns[name]


def floats(value, dtype="float64"):
    return np.asarray(value, dtype=dtype)


def numpy(value):
    import keras

    return np.asarray(keras.ops.convert_to_numpy(value))
'''


@dataclass(frozen=True)
class Spec:
    """One exercise: how to run it and how to judge what it returns."""

    unit: str
    id: str
    what: str  # what the student wrote, as feedback names it
    probe: str = ""
    inputs: Callable[[np.random.Generator], dict] = lambda rng: {}
    prelude: str = NUMPY_PRELUDE
    modules: frozenset[str] = NUMPY_MODULES
    rtol: float = 1e-6
    atol: float = 1e-8
    compare: Callable | None = None  # (got, want, spec) -> message or None; default numeric
    notebook_names: tuple[str, ...] = ()  # classes the prelude takes from the instructor notebook
    quiz: bool = False

    @property
    def key(self) -> str:
        return f"{self.unit}:{self.id}"


# --------------------------------------------------------------------------- comparisons


def compare_numbers(got: object, want: object, spec: Spec, where: str = "the result") -> str | None:
    """None when `got` matches `want` (nested lists of numbers) within the tolerances."""
    try:
        w = np.asarray(want, dtype="float64")
    except (TypeError, ValueError):  # ragged: compare part by part
        if not isinstance(got, list) or len(got) != len(want):
            return f"{where} should be a sequence of {len(want)} items, like the expected one"
        for i, (g, v) in enumerate(zip(got, want, strict=True)):
            if message := compare_numbers(g, v, spec, f"{where}[{i}]"):
                return message
        return None
    try:
        g = np.asarray(got, dtype="float64")
    except (TypeError, ValueError):
        return f"{where} is not numbers of shape {w.shape} (got {str(got)[:80]})"
    if g.shape != w.shape:
        return f"{where} has shape {g.shape}, expected {w.shape}"
    if not np.allclose(g, w, rtol=spec.rtol, atol=spec.atol, equal_nan=True):
        worst = float(np.nanmax(np.abs(g - w))) if g.size else 0.0
        return f"{where} has wrong values (largest difference {worst:.3g})"
    return None


def compare_model(got: object, want: object, spec: Spec) -> str | None:
    """Architectures: layer by layer (class and key settings), then the parameter count."""
    got_layers, want_layers = got["layers"], want["layers"]
    for i, w in enumerate(want_layers):
        g = got_layers[i] if i < len(got_layers) else None
        if g != w:
            return f"layer {i}: expected {_layer_text(w)}, yours is {_layer_text(g)}"
    if len(got_layers) != len(want_layers):
        return f"{len(got_layers)} layers, expected {len(want_layers)}"
    if got["params"] != want["params"]:
        return f"{got['params']:.0f} parameters, expected {want['params']:.0f}"
    return None


def _layer_text(layer: dict | None) -> str:
    if layer is None:
        return "missing"
    settings = ", ".join(f"{k}={v}" for k, v in layer.items() if k != "class")
    return f"{layer['class']}({settings})"


# --------------------------------------------------------------------------- hidden inputs


def _normal(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> np.ndarray:
    return rng.normal(0.0, scale, size=shape)


def _rnn_step_inputs(rng: np.random.Generator) -> dict:
    cases = []
    for _ in range(3):
        batch, features, hidden = (int(v) for v in rng.integers(1, 7, size=3))
        cases.append({
            "x_t": _normal(rng, batch, features), "h_prev": rng.uniform(-1, 1, (batch, hidden)),
            "W_x": _normal(rng, features, hidden, scale=0.7),
            "W_h": _normal(rng, hidden, hidden, scale=0.7), "b": _normal(rng, hidden, scale=0.3),
        })  # fmt: skip
    return {"cases": cases}


def _grad_inputs(rng: np.random.Generator) -> dict:
    cases = []
    for _ in range(4):
        xs = _normal(rng, int(rng.integers(2, 12)))
        w_x, w_h, b, target = (float(v) for v in rng.normal(0, 0.8, size=4))
        cases.append({"xs": xs, "w_x": w_x, "w_h": w_h, "b": b, "target": target})
    return {"cases": cases}


def _clip_inputs(rng: np.random.Generator) -> dict:
    cases = []
    for scale in (0.1, 3.0, 1.0):
        shapes = [tuple(int(s) for s in rng.integers(1, 5, size=rng.integers(1, 3)))]
        shapes += [(int(rng.integers(1, 6)),) for _ in range(int(rng.integers(1, 3)))]
        grads = [_normal(rng, *shape, scale=scale) for shape in shapes]
        cases.append({"grads": grads, "clip_norm": float(rng.uniform(0.5, 3.0))})
    return {"cases": cases}


def _lstm_inputs(rng: np.random.Generator) -> dict:
    units, dim, batch = int(rng.integers(2, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
    weights = {}
    for gate in "fico":
        weights[f"W_{gate}"] = _normal(rng, units + dim, units, scale=0.6)
        weights[f"b_{gate}"] = _normal(rng, units, scale=0.5)
    return {
        "units": units, "input_dim": dim, "weights": weights,
        "xs": _normal(rng, 2, batch, dim), "h": rng.uniform(-0.9, 0.9, (batch, units)),
        "c": rng.uniform(-2, 2, (batch, units)),
    }  # fmt: skip


def _gru_inputs(rng: np.random.Generator) -> dict:
    units, dim, batch = int(rng.integers(2, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
    weights = {"b_hh": _normal(rng, units, scale=0.5)}
    for gate in "zrh":
        weights[f"W_{gate}"] = _normal(rng, dim, units, scale=0.6)
        weights[f"U_{gate}"] = _normal(rng, units, units, scale=0.6)
        weights[f"b_{gate}"] = _normal(rng, units, scale=0.5)
    return {
        "units": units, "input_dim": dim, "weights": weights,
        "xs": _normal(rng, 3, batch, dim), "h": rng.uniform(-0.9, 0.9, (batch, units)),
    }  # fmt: skip


_WORDS = [
    "good", "bad", "great", "awful", "movie", "plot", "actor",
    "boring", "fun", "slow", "loved", "hated", "story", "music",
]  # fmt: skip


def _sentiment_inputs(rng: np.random.Generator) -> dict:
    def sentence() -> str:
        return " ".join(rng.choice(_WORDS, size=int(rng.integers(2, 8))))

    return {
        "seed": int(rng.integers(0, 2**31)),
        "corpus": [sentence() for _ in range(12)],
        "sentences": [sentence() for _ in range(int(rng.integers(3, 8)))],
    }


SYNTHETIC_VOCAB = 300


def synthetic_reviews(rng: np.random.Generator, n: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Made-up "reviews" of 8 to 30 token ids: filler words and one or three sentiment words
    (ids 2-11 positive, 12-21 negative); the label is the polarity of the majority."""
    reviews, labels = [], []
    for _ in range(n):
        review = rng.integers(22, SYNTHETIC_VOCAB, size=int(rng.integers(8, 31)))
        count = int(rng.choice([1, 3]))
        polarity = rng.integers(0, 2, size=count)
        words = np.where(polarity == 1, rng.integers(2, 12, count), rng.integers(12, 22, count))
        review[rng.choice(len(review), count, replace=False)] = words
        reviews.append(review)
        labels.append(int(2 * polarity.sum() > count))
    return reviews, np.asarray(labels)


def _my_model_inputs(rng: np.random.Generator) -> dict:
    train_ids, train_labels = synthetic_reviews(rng, 1500)
    test_ids, test_labels = synthetic_reviews(rng, 400)
    return {
        "seed": int(rng.integers(0, 2**31)), "vocab_size": SYNTHETIC_VOCAB,
        "train_ids": train_ids, "train_labels": train_labels,
        "test_ids": test_ids, "test_labels": test_labels,
    }  # fmt: skip


def _windows_inputs(rng: np.random.Generator) -> dict:
    n, features = int(rng.integers(12, 30)), int(rng.integers(1, 4))
    data = _normal(rng, n, features)
    return {
        "data": data, "target": data[:, 0] * 10 + 3, "input_width": int(rng.integers(2, 6)),
        "horizon": int(rng.integers(1, 4)),
    }  # fmt: skip


def _mae_inputs(rng: np.random.Generator) -> dict:
    temperatures = 10 + np.cumsum(_normal(rng, int(rng.integers(20, 60))))
    return {"cases": [{"temperatures": temperatures, "horizon": h} for h in (1, 3, 7)]}


FORECAST_EPOCHS = 20  # over the hidden training windows, in batches of 32
FORECAST_GAIN = 0.10  # the trained forecaster's MAE must be this much below persistence's


def _forecaster_inputs(rng: np.random.Generator) -> dict:
    from helpers.timeseries import synthetic_weather

    hours = 24 * int(rng.integers(50, 70))
    series = synthetic_weather(rng, hours)  # a day's lead in column 1, as in the notebook's
    split = int(0.7 * hours)  # training part; the rest is the validation part
    series = (series - series[:split].mean(axis=0)) / series[:split].std(axis=0)
    return {
        "series": series, "split": split, "input_hours": int(rng.choice([24, 36])),
        "horizon": 24, "epochs": FORECAST_EPOCHS, "seed": int(rng.integers(0, 1000)),
    }  # fmt: skip


def compare_forecasts(got: object, want: object, spec: Spec) -> str | None:
    """A forecaster trained in the sandbox on a hidden series: the MAE of its forecasts
    against the truth of the instructor's run (never the student's), at least FORECAST_GAIN
    below that of persistence on the same windows."""
    truth = np.asarray(want["truth"], dtype="float64")
    persistence = np.asarray(want["persistence"], dtype="float64")
    try:
        forecast = np.concatenate([np.asarray(c, dtype="float64") for c in got["forecast"]])
    except (TypeError, ValueError, KeyError, IndexError):
        return "its forecasts could not be read as numbers of one shape"
    if not got.get("recurrent"):
        return "the model has no recurrent layer: read the window with an LSTM (or a GRU)"
    if forecast.shape != (len(truth), 1):
        return (
            f"its forecasts have shape {forecast.shape} for {len(truth)} windows, expected "
            f"({len(truth)}, 1): one value per window, the target 24 steps after it"
        )
    if not np.all(np.isfinite(forecast)):
        return "its forecasts hold NaN or infinity after training: try a smaller learning rate"
    mine = float(np.mean(np.abs(forecast[:, 0] - truth)))
    base = float(np.mean(np.abs(persistence - truth)))
    if mine <= (1 - FORECAST_GAIN) * base:
        return None
    return (
        f"trained {FORECAST_EPOCHS} epochs on a hidden series, its validation MAE is "
        f"{mine:.3f} (normalised units) against persistence's {base:.3f}, and it must be at "
        f"least {FORECAST_GAIN:.0%} lower: predict the change from the last observed value "
        "(starting at zero), try another learning rate or fewer units"
    )


def _threshold_inputs(rng: np.random.Generator) -> dict:
    cases = []
    for _ in range(3):
        n = int(rng.integers(80, 400))
        labels = rng.random(n) < rng.uniform(0.05, 0.2)
        labels[int(rng.integers(0, n))] = True  # at least one fault
        scores = np.abs(rng.normal(0, 1, n)) + labels * rng.uniform(0.0, 3.0, n)
        cases.append({"scores": np.round(scores, 2), "labels": labels})  # ties, as in practice
    return {"cases": cases}


def _f1(flags: np.ndarray, labels: np.ndarray) -> float:
    hits = int(np.sum(flags & labels))
    return 2 * hits / (int(flags.sum()) + int(labels.sum())) if hits else 0.0


def compare_best_f1(got: object, want: object, spec: Spec) -> str | None:
    """The flags of the student's threshold (score > threshold, computed in the sandbox in
    plain Python) must reach, on the labels of the instructor's run, the F1 of the
    instructor's threshold: the best one."""
    if not isinstance(got, list) or len(got) != len(want):
        return f"expected the flags of {len(want)} cases"
    for number, (mine, best) in enumerate(zip(got, want, strict=True), start=1):
        labels = np.asarray(best["labels"], dtype=bool)
        try:
            flags = np.asarray(mine["flags"], dtype=bool)
        except (TypeError, KeyError, ValueError):
            return f"case {number}: the flags could not be read"
        if flags.shape != labels.shape:
            return f"case {number}: {flags.size} flags for {labels.size} scores"
        reached, possible = _f1(flags, labels), _f1(np.asarray(best["flags"], bool), labels)
        if reached < possible - 1e-9:
            return (
                f"case {number} ({labels.size} scores, {labels.sum()} faults): your threshold "
                f"flags {flags.sum()} with F1 {reached:.3f}, the best threshold reaches F1 "
                f"{possible:.3f}; try every distinct score, flag the scores above it "
                "(score > threshold) and keep the best F1"
            )
    return None


def _loss_inputs(rng: np.random.Generator) -> dict:
    batch, steps, vocabulary = int(rng.integers(2, 5)), int(rng.integers(3, 8)), 9
    y_true = rng.integers(1, vocabulary, size=(batch, steps))
    for row in range(batch):
        y_true[row, int(rng.integers(1, steps + 1)) :] = 0
    return {"y_true": y_true, "y_pred": _normal(rng, batch, steps, vocabulary, scale=2.0)}


def _decode_inputs(rng: np.random.Generator) -> dict:
    source_words, target_words = int(rng.integers(6, 12)), int(rng.integers(6, 12))
    steps = int(rng.integers(3, 7))
    source_ids = rng.integers(2, source_words + 2, size=(3, steps))
    source_ids[0, steps - 1 :] = 0
    return {
        "seed": int(rng.integers(0, 2**31)), "source_words": source_words,
        "target_words": target_words, "source_ids": source_ids,
        "max_length": int(rng.integers(4, 9)),
    }  # fmt: skip


def _chat_bot_inputs(rng: np.random.Generator) -> dict:
    return {"seed": int(rng.integers(0, 2**31))}  # a split of the chat corpus of its own


CHAT_BOT_SHARE = 0.8  # of the instructor solution's exact-match rate on the same questions


def compare_chat_answers(got: object, want: object, spec: Spec) -> str | None:
    """Greedy answers to held-out questions, as tokens: the share that equals the reference
    answer of the instructor's run (never the student's), against CHAT_BOT_SHARE of the
    instructor solution's own share."""
    references = want["references"]
    answers = got.get("answers") if isinstance(got, dict) else None
    if not isinstance(answers, list) or len(answers) != len(references):
        return f"the answers could not be read as one token list per question ({len(references)})"
    right = sum(a == r for a, r in zip(answers, references, strict=True))
    solution = sum(a == r for a, r in zip(want["answers"], references, strict=True))
    needed = int(np.ceil(round(CHAT_BOT_SHARE * solution, 6)))
    if right >= needed:
        return None
    return (
        f"it answered {right} of {len(references)} held-out questions exactly right; the "
        f"solution answers {solution}, and {needed} are needed to pass: try attention (to copy "
        "names, places and foods from the question), more epochs or a larger learning rate"
    )


def _grid_inputs(rng: np.random.Generator) -> dict:
    steps, voices = int(rng.integers(6, 16)), int(rng.integers(1, 4))
    grid = np.zeros((steps, voices), dtype=int)
    for voice in range(voices):
        t = 0
        while t < steps:
            length = int(rng.integers(1, 4))
            grid[t : t + length, voice] = rng.choice([0, *range(55, 80)])
            t += length
    return {"grid": grid, "step_seconds": float(rng.choice([0.125, 0.25, 0.5]))}


def _temperature_inputs(rng: np.random.Generator) -> dict:
    cases = []
    for temperature in (float(rng.uniform(0.2, 0.9)), 1.0, float(rng.uniform(1.2, 3.0))):
        probabilities = rng.dirichlet(
            np.ones(int(rng.integers(3, 9))), size=int(rng.integers(1, 4))
        )
        cases.append({"probabilities": probabilities, "temperature": temperature})
    return {"cases": cases}


def _compose_step_inputs(rng: np.random.Generator) -> dict:
    from helpers.music import encode, random_chorale

    batch, start = int(rng.integers(1, 4)), int(rng.integers(5, 10))
    seed = np.stack([encode(random_chorale(rng, start)) for _ in range(batch)])
    return {"seed": int(rng.integers(0, 2**31)), "tokens": seed, "steps": int(rng.integers(3, 6))}


MY_MODEL_ACCURACY = 0.85  # on the made-up reviews; a model that learns nothing scores ~0.5


def compare_trained_classifier(got: object, want: object, spec: Spec) -> str | None:
    """A model trained in the sandbox: accuracy of its probabilities against the labels of
    the instructor's run (never the student's), above MY_MODEL_ACCURACY."""
    labels = np.asarray(want["labels"], dtype="float64")
    try:
        p = np.asarray(got["p"], dtype="float64")
    except (TypeError, ValueError, KeyError, IndexError):
        return "the model's predictions could not be read as probabilities"
    if p.shape != labels.shape:
        return f"{p.size} predictions for {labels.size} held-out reviews"
    if not got.get("recurrent"):
        return "the model has no recurrent layer (LSTM, GRU, SimpleRNN or a Bidirectional one)"
    accuracy = float(np.mean((p > 0.5) == (labels > 0.5)))
    if not accuracy >= MY_MODEL_ACCURACY:
        return (
            f"accuracy {accuracy:.2f} on held-out reviews after 3 epochs, below "
            f"{MY_MODEL_ACCURACY:.2f}: is it compiled with a sensible learning rate, and does it "
            "end in one sigmoid unit?"
        )
    return None


def compare_problems(got: object, want: object, spec: Spec) -> str | None:
    """Rule checks run in the sandbox: a list of problems in plain words, [] when none."""
    if got == want:
        return None
    if isinstance(got, list) and got and all(isinstance(p, str) for p in got):
        return got[0]
    return f"the rules gave {str(got)[:120]}, expected none broken"


# --------------------------------------------------------------------------- probes

_RNN_STEP = """
def probe(ns, inputs):
    f = student(ns, "rnn_step")
    names = ("x_t", "h_prev", "W_x", "W_h", "b")
    return [f(*(floats(c[k]) for k in names)) for c in inputs["cases"]]
"""
_GRAD = """
def probe(ns, inputs):
    f = student(ns, "grad_w_h")
    names = ("w_x", "w_h", "b", "target")
    return [float(f(floats(c["xs"]), *(c[k] for k in names))) for c in inputs["cases"]]
"""
_CLIP = """
def probe(ns, inputs):
    f = student(ns, "clip_by_global_norm")
    results = []
    for case in inputs["cases"]:
        clipped, norm = f([floats(g) for g in case["grads"]], case["clip_norm"])
        results.append([[floats(g) for g in clipped], float(norm)])
    return results
"""
_LSTM = """
def probe(ns, inputs):
    import tensorflow as tf

    cell = student(ns, "HomemadeLSTMCell")(inputs["units"])
    cell.build((None, inputs["input_dim"]))
    for name, value in inputs["weights"].items():
        getattr(cell, name).assign(floats(value, "float32"))
    states = [tf.constant(floats(inputs[k], "float32")) for k in ("h", "c")]
    results = []
    for x in inputs["xs"]:  # two steps, the second from the first one's states
        h, states = cell(tf.constant(floats(x, "float32")), states)
        results.append([numpy(h), numpy(states[0]), numpy(states[1])])
    return results
"""
_GRU = """
def probe(ns, inputs):
    import tensorflow as tf

    cell = student(ns, "HomemadeGRUCell")(inputs["units"])
    cell.build((None, inputs["input_dim"]))
    for name, value in inputs["weights"].items():
        getattr(cell, name).assign(floats(value, "float32"))
    states = [tf.constant(floats(inputs["h"], "float32"))]
    results = []
    for x in inputs["xs"]:  # three steps, each from the previous one's state
        h, states = cell(tf.constant(floats(x, "float32")), states)
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        results.append([numpy(h), numpy(states[0])])
    return results
"""
_MODEL = """
KEYS = ("units", "input_dim", "output_dim", "mask_zero", "return_sequences", "activation")


def probe(ns, inputs):
    import keras

    model = student(ns, "build_described_model")()
    if not isinstance(model, keras.Model):
        raise TypeError(f"build_described_model returned a {type(model).__name__}, not a model")
    layers = []
    for layer in model.layers:
        config = layer.get_config()
        described = {"class": type(layer).__name__}
        described.update({k: str(config[k]) for k in KEYS if k in config})
        try:
            described["output_shape"] = str(tuple(layer.output.shape))
        except Exception:
            described["output_shape"] = "unknown (no keras.Input?)"
        layers.append(described)
    return {"layers": layers, "params": model.count_params()}
"""
_SENTIMENT = """
def probe(ns, inputs):
    import keras

    keras.utils.set_random_seed(inputs["seed"])
    vectorize = keras.layers.TextVectorization(max_tokens=40)
    vectorize.adapt(inputs["corpus"])
    model = keras.Sequential([
        keras.Input(shape=(), dtype="string"), vectorize, keras.layers.Embedding(40, 6),
        keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1, activation="sigmoid"),
    ])
    rng = np.random.default_rng(inputs["seed"])
    model.layers[1].set_weights([rng.normal(0, 1, (40, 6))])
    model.layers[-1].set_weights([rng.normal(0, 2, (6, 1)), np.zeros(1)])
    return floats(student(ns, "predict_sentiment")(model, list(inputs["sentences"])))
"""
_MY_MODEL = """
def probe(ns, inputs):
    import keras
    from helpers.training import recurrent_layers

    def padded(rows):
        out = np.zeros((len(rows), max(len(r) for r in rows)), dtype="int32")
        for i, row in enumerate(rows):
            out[i, : len(row)] = row
        return out

    keras.utils.set_random_seed(inputs["seed"])
    model = student(ns, "build_my_model")(inputs["vocab_size"])
    if not isinstance(model, keras.Model):
        raise TypeError(f"build_my_model returned a {type(model).__name__}, not a model")
    labels = np.asarray(inputs["train_labels"], dtype="float32")
    model.fit(padded(inputs["train_ids"]), labels, epochs=3, batch_size=32, verbose=0)
    p = numpy(model.predict(padded(inputs["test_ids"]), verbose=0)).reshape(-1)
    return {"recurrent": [type(layer).__name__ for layer in recurrent_layers(model)],
            "p": [float(v) for v in p],
            "labels": inputs["test_labels"]}
"""
_WINDOWS = """
def probe(ns, inputs):
    f = student(ns, "windows_by_hand")
    windows, targets = f(floats(inputs["data"]), floats(inputs["target"]),
                         inputs["input_width"], inputs["horizon"])
    return [floats(windows), floats(targets)]
"""
_MAE = """
def probe(ns, inputs):
    f = student(ns, "persistence_mae")
    return [float(f(floats(c["temperatures"]), c["horizon"])) for c in inputs["cases"]]
"""
_MY_FORECASTER = """
def probe(ns, inputs):
    import keras

    series = floats(inputs["series"], "float32")  # normalised; column 0 the target
    width, horizon, split = inputs["input_hours"], inputs["horizon"], inputs["split"]

    def windows(part):
        n = len(part) - width - horizon + 1
        return np.stack([part[i : i + width] for i in range(n)]), part[width - 1 + horizon :, 0]

    (x_train, y_train), (x_val, y_val) = windows(series[:split]), windows(series[split:])
    keras.utils.set_random_seed(inputs["seed"])
    model = student(ns, "build_my_forecaster")(width, series.shape[1])
    if not isinstance(model, keras.Model):
        raise TypeError(f"build_my_forecaster returned a {type(model).__name__}, not a model")
    if not getattr(model, "compiled", False):
        raise ValueError("the model is not compiled: call model.compile(...) before returning it")
    model.fit(x_train, y_train[:, None], batch_size=32, epochs=inputs["epochs"], verbose=0)
    # In time order, `horizon` windows at a time: no call sees a later window, whose last
    # hours hold the targets of the earlier ones.
    chunks = range(0, len(x_val), horizon)
    forecast = [numpy(model(x_val[i : i + horizon], training=False)) for i in chunks]
    from helpers.training import recurrent_layers

    return {"forecast": forecast, "truth": y_val, "persistence": x_val[:, -1, 0],
            "recurrent": [type(layer).__name__ for layer in recurrent_layers(model)]}
"""
_THRESHOLD = """
def probe(ns, inputs):
    f = student(ns, "choose_threshold")
    results = []
    for case in inputs["cases"]:
        scores, labels = case["scores"], case["labels"]
        threshold = f(floats(scores), np.asarray(labels, dtype=bool))
        if threshold is None:
            raise ValueError("choose_threshold returned None, not a threshold")
        threshold = float(threshold)  # once: the flags are plain Python comparisons
        results.append({"flags": [float(s) > threshold for s in scores], "labels": labels})
    return results
"""
_LOSS = """
def probe(ns, inputs):
    f = student(ns, "masked_loss")
    y_true = np.asarray(inputs["y_true"], dtype="int64")
    return numpy(f(y_true, floats(inputs["y_pred"], "float32"))).reshape(-1)
"""
_DECODE = """
def probe(ns, inputs):
    import keras
    from helpers.translation import END, PAD, START, UNK, Translator

    f = student(ns, "greedy_decode")
    source = [PAD, UNK] + [f"e{i}" for i in range(inputs["source_words"])]
    target = [PAD, UNK, START, END] + [f"f{i}" for i in range(inputs["target_words"])]
    source_ids = np.asarray(inputs["source_ids"], dtype="int64")
    results = []
    for attention in (False, True):
        keras.utils.set_random_seed(inputs["seed"])
        model = Translator(source, target, embedding_dim=8, units=8, attention=attention)
        model.build()
        kernel, bias = model.output_layer.get_weights()
        rng = np.random.default_rng(inputs["seed"])
        model.output_layer.set_weights([rng.normal(0, 3, kernel.shape), bias])
        ids = numpy(f(model, source_ids, inputs["max_length"]))
        if ids.ndim != 2:
            raise ValueError(f"greedy_decode returned shape {ids.shape}, not (batch, steps)")
        rows = []
        for row in ids.tolist():  # up to and with the first [end]
            ends = [i for i, t in enumerate(row) if t == model.end_id]
            rows.append(row[: ends[0] + 1] if ends else row)
        results.append(rows)
    return results
"""
_CHAT_BOT_PRELUDE = KERAS_PRELUDE + "from helpers import translation as tr\n"
_CHAT_BOT = """
def probe(ns, inputs):
    import keras
    from helpers import translation as tr

    chat = tr.make_chat_pairs(seed=inputs["seed"])  # as the notebook prepares its chat data
    source, target = tr.make_vectorizers(
        chat.train, source_tokens=500, target_tokens=500, source_length=12, target_length=10
    )
    train_data = tr.make_dataset(chat.train, source, target, batch_size=32, shuffle=True)
    val_data = tr.make_dataset(chat.val, source, target, batch_size=100)
    source_vocabulary, target_vocabulary = source.get_vocabulary(), target.get_vocabulary()
    keras.utils.set_random_seed(inputs["seed"] % 1000)
    model = student(ns, "train_chat_bot")(
        train_data, val_data, source_vocabulary, target_vocabulary
    )
    if not isinstance(model, tr.Translator):
        raise TypeError(f"train_chat_bot returned a {type(model).__name__}, not a tr.Translator")
    if list(model.source_vocabulary) != list(source_vocabulary) or list(
        model.target_vocabulary
    ) != list(target_vocabulary):
        raise ValueError("the model's vocabularies are not the two given to train_chat_bot")
    questions = [q for q, _ in chat.test]
    source_ids = numpy(source(questions)).astype("int64")
    encoder_outputs, state = model.encode(source_ids)  # greedy decoding, written out here
    tokens = np.full((len(questions), 1), model.start_id, dtype="int64")
    chosen = []
    for _ in range(10):
        logits, state = model.decode(tokens, state, encoder_outputs, source_ids)
        tokens = np.argmax(numpy(logits)[:, -1, :], axis=-1)[:, None].astype("int64")
        chosen.append(tokens[:, 0].tolist())
    answers = []
    for ids in zip(*chosen):  # ids to words in plain Python, up to [end]
        words = [target_vocabulary[int(i)] for i in ids]
        words = words[: words.index("[end]")] if "[end]" in words else words
        answers.append([w for w in words if w not in ("", "[start]")])
    return {
        "answers": answers,
        "references": [tr.standardize_py(answer).split() for _, answer in chat.test],
    }
"""
_NOTES = """
def probe(ns, inputs):
    notes = student(ns, "grid_to_notes")(np.asarray(inputs["grid"], dtype=int),
                                         inputs["step_seconds"])
    return sorted([int(v), int(p), float(s), float(e)] for v, p, s, e in notes)
"""
_TEMPERATURE = """
def probe(ns, inputs):
    f = student(ns, "apply_temperature")
    return [floats(f(floats(c["probabilities"]), c["temperature"])) for c in inputs["cases"]]
"""
_COMPOSE_STEP = """
def probe(ns, inputs):
    from helpers import music

    small = music.build_chorale_lstm(units=8, embed=3, seed=inputs["seed"] % 1000)
    ns.update(lstm_step=small["lstm_step"], heads=small["heads"], music=music)
    step = student(ns, "compose_step")
    tokens = np.asarray(inputs["tokens"], dtype="int32")
    _, h, c = (numpy(x) for x in small["context"](tokens[:, :-1]))
    results = []
    for k in range(inputs["steps"]):  # temperature 1e-6: every draw is the top note
        chord, probs, h, c = step(tokens[:, -4:], h, c, 1e-6, np.random.default_rng(k))
        chord, h, c = numpy(chord).astype("int32"), numpy(h), numpy(c)
        tokens = np.concatenate([tokens, chord[:, None]], axis=1)
        results.append([floats(chord), numpy(probs)])
    return results
"""
# Stand-ins for what the notebook defines before the answer: a few random "chorales", their
# split, a composer that continues a seed at random in the voices' ranges, and a MIDI folder
# in the sandbox. The answer runs with them; the probe applies the check's rules to its file.
_OWN_CHORALE_PRELUDE = (
    NUMPY_PRELUDE
    + """
from pathlib import Path as _Path
import zlib as _zlib

from helpers import music

music.output_dir = lambda: _Path.cwd() / "music"
SEED_STEPS, STEP_SECONDS = 32, 0.15


class _Chorales:
    names = [f"bwv{100 + i}.6" for i in range(20)]

    def by_name(self, name):
        rng = np.random.default_rng(_zlib.crc32(str(name).encode()))
        return music.random_chorale(rng, 64 + int(rng.integers(0, 40)))


chorales = _Chorales()
split = {"train": chorales.names[:12], "valid": chorales.names[12:16], "test": chorales.names[16:]}
sets = {part: [chorales.by_name(n) for n in names] for part, names in split.items()}


def compose(seed_grid, steps, temperature, rng):
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, not {temperature}.")
    new = music.random_chorale(rng, int(steps))
    grid = np.concatenate([np.asarray(seed_grid, dtype=np.int16), new])
    return grid, np.zeros((int(steps), 4, music.VOCAB)), np.zeros((int(steps), 8))


def grid_to_notes(grid, step_seconds):
    notes = []
    for voice in range(grid.shape[1]):
        start = 0
        for t in range(1, len(grid) + 1):
            if t == len(grid) or grid[t, voice] != grid[start, voice]:
                if grid[start, voice]:
                    notes.append((voice, int(grid[start, voice]), start * step_seconds,
                                  t * step_seconds))
                start = t
    return notes
"""
)
_OWN_CHORALE = """
def probe(ns, inputs):
    from helpers.checks.music import chorale_problems

    path = student(ns, "my_midi")
    if path is None:
        raise NotImplementedError("my_midi is None")
    chorales, split = ns["chorales"], ns["split"]
    return chorale_problems(path, {n: chorales.by_name(n) for n in split["train"]}, 0.15)
"""
_QUIZ = """
def probe(ns, inputs):
    answers = ns.get("answers")
    if answers is None:
        return None
    return {str(k): None if v is None else str(v) for k, v in dict(answers).items()}
"""


def _quiz(unit: str) -> Spec:
    return Spec(unit, "quiz", "the knowledge check (`answers`)", probe=_QUIZ, quiz=True)


_KERAS = {"prelude": KERAS_PRELUDE, "modules": KERAS_MODULES}
SPECS: list[Spec] = [
    Spec("01_memory_cell", "forward-step", "`rnn_step`", _RNN_STEP, _rnn_step_inputs),
    Spec("01_memory_cell", "grad-through-time", "`grad_w_h`", _GRAD, _grad_inputs),
    _quiz("01_memory_cell"),
    Spec("02_vanishing_gradients", "clip", "`clip_by_global_norm`", _CLIP, _clip_inputs),
    _quiz("02_vanishing_gradients"),
    Spec(
        "03_homemade_lstm",
        "lstm-call",
        "`HomemadeLSTMCell.call`",
        _LSTM,
        _lstm_inputs,
        rtol=1e-4,
        atol=1e-5,
        notebook_names=("LSTMCellWeights",),
        **_KERAS,
    ),  # fmt: skip
    Spec(
        "03_homemade_lstm",
        "gru-call",
        "`HomemadeGRUCell.call`",
        _GRU,
        _gru_inputs,
        rtol=1e-4,
        atol=1e-5,
        notebook_names=("GRUCellWeights",),
        **_KERAS,
    ),  # fmt: skip
    _quiz("03_homemade_lstm"),
    Spec(
        "04_sentiment_lstm",
        "described-model",
        "`build_described_model`",
        _MODEL,
        compare=compare_model,
        **_KERAS,
    ),  # fmt: skip
    Spec(
        "04_sentiment_lstm",
        "my-model",
        "`build_my_model` (trained on made-up reviews)",
        _MY_MODEL,
        _my_model_inputs,
        compare=compare_trained_classifier,
        **_KERAS,
    ),  # fmt: skip
    Spec(
        "04_sentiment_lstm",
        "predict-sentiment",
        "`predict_sentiment`",
        _SENTIMENT,
        _sentiment_inputs,
        rtol=1e-4,
        atol=1e-5,
        **_KERAS,
    ),  # fmt: skip
    _quiz("04_sentiment_lstm"),
    Spec("05_time_series", "windows", "`windows_by_hand`", _WINDOWS, _windows_inputs),
    Spec("05_time_series", "baseline-mae", "`persistence_mae`", _MAE, _mae_inputs),
    Spec(
        "05_time_series",
        "my-forecaster",
        "`build_my_forecaster` (trained on a hidden series)",
        _MY_FORECASTER,
        _forecaster_inputs,
        compare=compare_forecasts,
        **_KERAS,
    ),  # fmt: skip
    Spec(
        "05_time_series",
        "anomaly-threshold",
        "`choose_threshold`",
        _THRESHOLD,
        _threshold_inputs,
        modules=NUMPY_MODULES | {"sklearn"},  # its metrics may compute precision and recall
        compare=compare_best_f1,
    ),  # fmt: skip
    _quiz("05_time_series"),
    Spec(
        "06_seq2seq_translation",
        "masked-loss",
        "`masked_loss`",
        _LOSS,
        _loss_inputs,
        rtol=1e-4,
        atol=1e-5,
        **_KERAS,
    ),  # fmt: skip
    Spec(
        "06_seq2seq_translation",
        "greedy-decode",
        "`greedy_decode`",
        _DECODE,
        _decode_inputs,
        **_KERAS,
    ),  # fmt: skip
    Spec(
        "06_seq2seq_translation",
        "chat-bot",
        "`train_chat_bot` (its greedy answers to held-out questions)",
        _CHAT_BOT,
        _chat_bot_inputs,
        prelude=_CHAT_BOT_PRELUDE,
        modules=KERAS_MODULES,
        compare=compare_chat_answers,
    ),  # fmt: skip
    _quiz("06_seq2seq_translation"),
    Spec("07_music_composition", "to-notes", "`grid_to_notes`", _NOTES, _grid_inputs),
    Spec(
        "07_music_composition",
        "temperature",
        "`apply_temperature`",
        _TEMPERATURE,
        _temperature_inputs,
        rtol=1e-5,
        atol=1e-7,
    ),  # fmt: skip
    Spec(
        "07_music_composition",
        "compose-step",
        "`compose_step`",
        _COMPOSE_STEP,
        _compose_step_inputs,
        rtol=1e-4,
        atol=1e-5,
        **_KERAS,
    ),  # fmt: skip
    Spec(
        "07_music_composition",
        "own-chorale",
        "your chorale (`my_midi`)",
        _OWN_CHORALE,
        prelude=_OWN_CHORALE_PRELUDE,
        compare=compare_problems,
    ),  # fmt: skip
    _quiz("07_music_composition"),
]
SPEC_BY_KEY: dict[str, Spec] = {spec.key: spec for spec in SPECS}


def specs_for(unit: str) -> list[Spec]:
    """The exercises of a unit, in notebook order."""
    return [spec for spec in SPECS if spec.unit == unit]
