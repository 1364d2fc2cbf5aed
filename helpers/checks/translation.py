"""Checks of unit 06's exercises: the masked loss and the greedy decoding loop.

The loss is compared with Keras' own cross-entropy with the padding weighted 0. The
decoding loop is checked by what makes it greedy: read back in one teacher-forced pass,
every token it chose must be the model's most likely next token after the ones before.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from helpers.checks import call_student, fail, passed
from helpers.translation import _tiny_translator


def _as_ids(got, n_rows: int, max_length: int) -> np.ndarray:
    if got is None:
        fail("greedy_decode returned None: return the array of chosen ids.")
    try:
        got = np.asarray(keras.ops.convert_to_numpy(got))
    except Exception:
        got = np.asarray(got)
    if got.ndim != 2 or got.shape[0] != n_rows:
        fail(
            f"on a batch of {n_rows} sentences your function returned shape {got.shape}; "
            "expected (batch, steps): one row of token ids per sentence."
        )
    if got.shape[1] > max_length:
        fail(f"it returned {got.shape[1]} steps, more than max_length={max_length}.")
    if got.shape[1] == 0:
        fail("it returned no steps: decode up to max_length tokens.")
    if not np.issubdtype(got.dtype, np.integer) and not np.all(np.mod(got, 1) == 0):
        fail("the returned values are not whole numbers: return token ids (argmax).")
    return got.astype("int64")


def _first_non_greedy(model, source_ids: np.ndarray, ids: np.ndarray) -> tuple[int, int] | None:
    """(sentence, step) of the first token that is not the most likely one, up to [end]."""
    start = np.full((len(ids), 1), model.start_id, dtype="int64")
    logits = keras.ops.convert_to_numpy(
        model((source_ids, np.concatenate([start, ids[:, :-1]], axis=1)))
    )
    for row in range(len(ids)):
        for step, token in enumerate(ids[row]):
            if not 0 <= token < logits.shape[-1]:
                return row, step
            if logits[row, step, token] < logits[row, step].max() - 1e-4:
                return row, step
            if token == model.end_id:
                break
    return None


def greedy_decode(student_decode: Callable) -> None:
    """Exercise `greedy-decode`: the loop on two small random models, plain and attention."""
    max_length = 7
    for attention in (False, True):
        model, source_ids = _tiny_translator(attention)
        kind = "attention model" if attention else "plain model"
        got = call_student(student_decode, model, source_ids, max_length, what="greedy_decode")
        ids = _as_ids(got, len(source_ids), max_length)
        wrong = _first_non_greedy(model, source_ids, ids)
        if wrong is not None:
            row, step = wrong
            hint = (
                "The first token is already not the most likely one: start from [start] "
                "(model.start_id) and the encoder's state."
                if step == 0
                else "The first tokens are right, then one is not: feed back the token you "
                "just chose and the state `decode` returned, one step at a time."
            )
            fail(f"{kind}, sentence {row}: the token at step {step} is not the argmax. {hint}")
        unfinished = ~np.any(ids == model.end_id, axis=1)
        if ids.shape[1] < max_length and unfinished.any():
            fail(
                f"{kind}: you stopped after {ids.shape[1]} steps while sentence "
                f"{int(np.argmax(unfinished))} had not written [end]: decode up to max_length."
            )
    passed(
        "every token your loop chose is the model's most likely one, with and without attention."
    )


def masked_loss(student_loss: Callable) -> None:
    """Exercise `masked-loss`: compare with Keras' loss with sample weights on padded batches."""
    rng = np.random.default_rng(3)
    y_true = np.array([[5, 2, 7, 0, 0, 0], [1, 3, 0, 0, 0, 0], [4, 4, 4, 6, 2, 1]])
    y_pred = rng.normal(0, 2, (3, 6, 8)).astype("float32")
    got = call_student(student_loss, y_true, y_pred, what="masked_loss")
    if got is None:
        fail("masked_loss returned None: return the loss (one number).")
    got = np.asarray(keras.ops.convert_to_numpy(got), dtype="float64")
    if got.size != 1:
        fail(
            f"masked_loss returned shape {got.shape}; return one number: the mean over "
            "the real tokens of the whole batch."
        )
    got = float(got.reshape(()))
    if not np.isfinite(got):
        fail("masked_loss returned NaN or infinity: do you divide by zero?")
    mask = (y_true != 0).astype("float32")
    summed = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")
    expected = float(summed(y_true, y_pred, sample_weight=mask)) / mask.sum()
    if np.isclose(got, expected, rtol=1e-4, atol=1e-5):
        empty = call_student(
            student_loss, np.zeros((1, 3), "int64"), y_pred[:1, :3], what="masked_loss"
        )
        value = float(np.asarray(keras.ops.convert_to_numpy(empty)).reshape(-1)[0])
        if not np.isfinite(value):
            fail(
                "right on normal batches, but a batch of padding only gives NaN: "
                "divide by max(number of real tokens, 1)."
            )
        passed(f"your masked loss is {got:.4f}, as Keras computes it; padding no longer counts.")
        return
    for what, value in _typical_mistakes(y_true, y_pred, mask).items():
        if np.isclose(got, value, rtol=1e-4, atol=1e-5):
            fail(f"your loss ({got:.4f}) is {what}; expected {expected:.4f}.")
    fail(
        f"your loss is {got:.4f}, expected {expected:.4f}: the cross-entropy of each real "
        "token (y_true != 0), summed, divided by the number of real tokens."
    )


def _typical_mistakes(y_true, y_pred, mask) -> dict[str, float]:
    per_token = keras.ops.convert_to_numpy(
        keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
    )
    probs = keras.ops.convert_to_numpy(keras.ops.softmax(y_pred))
    as_probs = keras.ops.convert_to_numpy(
        keras.losses.sparse_categorical_crossentropy(y_true, probs, from_logits=False)
    )
    real = mask.astype(bool)
    return {
        "the mean over all positions, padding included": per_token.mean(),
        "the sum over real tokens divided by all positions": per_token[real].sum() / per_token.size,
        "the sum over real tokens, not the mean": per_token[real].sum(),
        "the mean of the per-sentence means": np.mean(
            [per_token[i][real[i]].mean() for i in range(len(y_true))]
        ),
        "the loss with y_pred read as probabilities (from_logits=False)": as_probs[real].mean(),
    }
