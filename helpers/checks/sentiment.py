"""Checks of unit 04's exercises: a model built from a description, and predictions.

The described model is compared with a summary of the expected layers (types, output
shapes, parameter counts, masking) shipped as values in `expected_values.json`; the
predictions with the model's own output on a few sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from helpers.checks import call_student, expected_values, fail, passed, require_recurrent


def layer_summary(model) -> list[dict[str, Any]]:
    """Per layer: its class, output shape, parameter count and, for Embeddings, mask_zero."""
    rows = []
    for layer in model.layers:
        shape = list(layer.output.shape) if hasattr(layer, "output") else []
        row = {"layer": type(layer).__name__, "shape": shape, "params": int(layer.count_params())}
        if hasattr(layer, "mask_zero"):
            row["mask_zero"] = bool(layer.mask_zero)
        rows.append(row)
    return rows


def compare_models(got, expected: list[dict[str, Any]]) -> list[str]:
    """What differs between a built model and an expected `layer_summary`: layer types,
    output shapes, parameter counts, masking of the Embedding. Empty when they match."""
    problems = []
    mine = layer_summary(got)
    if [r["layer"] for r in mine] != [r["layer"] for r in expected]:
        problems.append(
            f"the layers are {' -> '.join(r['layer'] for r in mine) or 'none'}, expected "
            f"{' -> '.join(r['layer'] for r in expected)}"
        )
        return problems
    for index, (row, ref) in enumerate(zip(mine, expected, strict=True), start=1):
        kind = row["layer"]
        if row["shape"] != ref["shape"]:
            problems.append(
                f"layer {index} ({kind}) outputs shape {tuple(row['shape'])}, expected "
                f"{tuple(ref['shape'])}"
                + (
                    ": should it return the whole sequence (return_sequences=True)?"
                    if len(row["shape"]) != len(ref["shape"])
                    else ": check its number of units"
                )
            )
        elif row["params"] != ref["params"]:
            problems.append(
                f"layer {index} ({kind}) has {row['params']:,} parameters, expected "
                f"{ref['params']:,}"
            )
        if ref.get("mask_zero") and not row.get("mask_zero"):
            problems.append(
                "the Embedding does not mask the padding: give it mask_zero=True, so that "
                "the recurrent layers skip the padded steps"
            )
    total, total_ref = got.count_params(), sum(r["params"] for r in expected)
    if total != total_ref and not problems:
        problems.append(f"the model has {total:,} parameters, expected {total_ref:,}")
    return problems


def described_model(build: Callable[[], Any]) -> None:
    """Check the student's `build_described_model()` against the description."""

    model = call_student(build, what="build_described_model()")
    if model is None:
        fail("build_described_model() returned None: did you forget to `return` the model?")
    if not isinstance(model, keras.Model):
        fail(f"build_described_model() should return a keras Model, not a {type(model).__name__}.")
    if not model.built or not model.layers:
        fail(
            "the model is not built yet: start the Sequential with "
            "keras.Input(shape=(None,), dtype='int32') so Keras knows its input."
        )
    problems = compare_models(model, expected_values("described-model")["layers"])
    if problems:
        fail("; ".join(problems) + ".")
    passed(
        f"{len(model.layers)} layers, output shapes and all {model.count_params():,} "
        "parameters match the description."
    )


PROBE_SENTENCES = (
    "This movie was wonderful, I loved every minute of it.",
    "A boring, stupid film. The worst acting I have ever seen.",
    "Not bad at all.",
)


def predict_sentiment(predict_sentiment: Callable, model) -> None:
    """Check the student's `predict_sentiment(model, sentences)` on a few sentences."""
    sentences = list(PROBE_SENTENCES)
    got = call_student(predict_sentiment, model, sentences, what="predict_sentiment()")
    if got is None:
        fail("predict_sentiment() returned None: did you forget to `return` the probabilities?")
    try:
        got = np.asarray(got, dtype="float64")
    except (TypeError, ValueError):
        fail(f"predict_sentiment() should return numbers, not {type(got).__name__}.")
    expected = np.asarray(model(tf.constant(sentences), training=False), "float64").reshape(-1)
    if got.shape != expected.shape:
        hint = (
            " The model returns shape (n, 1): take column 0 or reshape(-1)."
            if got.shape == (len(sentences), 1)
            else ""
        )
        fail(
            f"for {len(sentences)} sentences it returned shape {got.shape}, expected "
            f"{expected.shape}: one probability per sentence.{hint}"
        )
    if not np.all(np.isfinite(got)) or got.min() < 0 or got.max() > 1:
        fail("the values should be probabilities between 0 and 1.")
    if np.all(np.isin(got, (0.0, 1.0))) and not np.all(np.isin(expected, (0.0, 1.0))):
        fail(
            "it returned only 0s and 1s: return the probability of 'positive' "
            "(the sigmoid output), not the rounded label."
        )
    if np.allclose(got, 1 - expected, atol=1e-4) and not np.allclose(got, expected, atol=1e-4):
        fail("it returned P(negative): the sigmoid output is already P(positive).")
    if not np.allclose(got, expected, atol=1e-4):
        worst = int(np.argmax(np.abs(got - expected)))
        fail(
            f"for {sentences[worst]!r} it returned {got[worst]:.4f}, but the model says "
            f"{expected[worst]:.4f}: pass the raw strings to the end-to-end model."
        )
    passed(f"one probability per sentence, equal to the model's own for {len(sentences)} probes.")


# The fixed budget on which every student model is trained, in fast and full mode alike.
MY_MODEL_REVIEWS = 1_500  # the first training reviews
MY_MODEL_VAL_REVIEWS = 500  # the first validation reviews
MY_MODEL_TOKENS = 200  # the last tokens of each review
MY_MODEL_EPOCHS = 3
MY_MODEL_TARGET = 0.70  # best validation accuracy to reach (chance is about 0.5)

MY_MODEL_ADVICE = (
    "What to try: mask the padding (mask_zero=True on the Embedding); an LSTM or GRU of 16 to 64 "
    "units; Adam with a learning rate near 1e-3 (much larger makes training jump around); "
    "loss='binary_crossentropy' with one sigmoid output."
)


def masks_padding(model) -> bool:
    return any(getattr(layer, "mask_zero", False) for layer in model.layers)


def my_sentiment_model(
    build: Callable[[int], Any],
    vocab_size: int,
    train: tuple[Any, np.ndarray],
    val: tuple[Any, np.ndarray],
    *,
    target: float = MY_MODEL_TARGET,
    epochs: int = MY_MODEL_EPOCHS,
    seed: int = 0,
) -> None:
    """Check the student's `build_my_model(vocab_size)`: build it, train it on a fixed budget
    (the first training reviews, cut to their last tokens, a few epochs, a fixed seed) and
    require its best validation accuracy to reach `target`."""
    from helpers.sentiment import make_dataset

    keras.utils.set_random_seed(seed)
    model = call_student(build, vocab_size, what="build_my_model()")
    if model is None:
        fail("build_my_model() returned None: did you forget to `return` the model?")
    if not isinstance(model, keras.Model):
        fail(f"build_my_model() should return a keras Model, not a {type(model).__name__}.")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        fail(
            "the model is not compiled: call model.compile(optimizer=..., "
            "loss='binary_crossentropy', metrics=['accuracy']) before returning it."
        )
    require_recurrent(
        model,
        "this exercise is about recurrent networks, so put an LSTM, GRU or SimpleRNN (or a "
        "Bidirectional one) between the embedding and the output.",
    )
    probe = np.array([[5, 6, 7, 0], [8, 9, 10, 11]], dtype="int32")
    try:
        out = np.asarray(model(probe, training=False), dtype="float64")
    except Exception as exc:
        fail(
            f"the model raised {type(exc).__name__} on a batch of token ids: {exc}. It should "
            "start with keras.Input(shape=(None,), dtype='int32')."
        )
    if out.shape != (2, 1):
        fail(
            f"for 2 reviews the model returns shape {out.shape}, expected (2, 1): one "
            "probability per review (end with Dense(1, activation='sigmoid'); a recurrent layer "
            "before it should return only its last state)."
        )
    if not np.all(np.isfinite(out)) or out.min() < 0 or out.max() > 1:
        fail(
            "the model's outputs are not probabilities between 0 and 1: give the last layer "
            "activation='sigmoid'."
        )
    (train_ids, train_labels), (val_ids, val_labels) = train, val
    cut = [np.asarray(ids)[-MY_MODEL_TOKENS:] for ids in train_ids[:MY_MODEL_REVIEWS]]
    val_cut = [np.asarray(ids)[-MY_MODEL_TOKENS:] for ids in val_ids[:MY_MODEL_VAL_REVIEWS]]
    val_labels = np.asarray(val_labels[:MY_MODEL_VAL_REVIEWS])
    try:
        history = model.fit(
            make_dataset(cut, np.asarray(train_labels[: len(cut)]), batch_size=32, shuffle=True),
            validation_data=make_dataset(val_cut, val_labels, batch_size=256),
            epochs=epochs,
            verbose=0,
            shuffle=False,  # the dataset shuffles its batches itself
        ).history
    except Exception as exc:
        fail(f"training the model raised {type(exc).__name__}: {str(exc)[:300]}")
    if "val_accuracy" not in history:
        fail("the model reports no accuracy: compile it with metrics=['accuracy'].")
    accuracies = [float(a) for a in history["val_accuracy"]]
    best = max(accuracies)
    chance = float(max(val_labels.mean(), 1 - val_labels.mean()))
    by_epoch = ", ".join(f"{a:.3f}" for a in accuracies)
    budget = (
        f"trained on {len(cut):,} reviews x {MY_MODEL_TOKENS} tokens for {epochs} epochs, "
        f"validated on {len(val_cut):,}: accuracy by epoch {by_epoch}, best {best:.3f}"
    )
    if not best >= target:
        hint = "" if masks_padding(model) else " Your Embedding does not mask the padding."
        fail(
            f"{budget}, below {target:.2f} (always answering the larger class scores "
            f"{chance:.3f}).{hint} {MY_MODEL_ADVICE}"
        )
    passed(f"{budget} >= {target:.2f} (larger class alone: {chance:.3f}).")
