"""Checks of unit 06's exercises: the masked loss, the greedy decoding loop, the chat bot.

The loss is compared with Keras' own cross-entropy with the padding weighted 0. The
decoding loop is checked by what makes it greedy: read back in one teacher-forced pass,
every token it chose must be the model's most likely next token after the ones before.
The chat bot is trained by the student's function, then measured on held-out pairs: the
share of answer tokens it predicts right when given the true previous ones.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from helpers.checks import call_student, fail, passed
from helpers.translation import Translator, _tiny_translator

CHAT_ACCURACY = 0.97  # teacher-forced token accuracy on the held-out chat pairs


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


def _teacher_forced_accuracy(model: Translator, data) -> tuple[float, int, int]:
    """Share of real target tokens predicted right given the true previous ones; tokens, pairs."""
    right = tokens = pairs = 0
    for (source_ids, decoder_input), target in data:
        try:
            logits = model((source_ids, decoder_input), training=False)
            predicted = np.argmax(keras.ops.convert_to_numpy(logits), axis=-1)
        except Exception as exc:
            fail(f"calling your model on the validation batches raised {type(exc).__name__}: {exc}")
        target = np.asarray(target)
        real = target != 0
        right += int(((predicted == target) & real).sum())
        tokens, pairs = tokens + int(real.sum()), pairs + len(target)
    return right / max(tokens, 1), tokens, pairs


def _why_short(model: Translator, accuracy: float, train_data) -> str:
    """What keeps the chat bot below CHAT_ACCURACY, and what to try."""
    score = f"your chat bot predicts {accuracy:.1%} of the validation answers' tokens"
    if not getattr(model, "compiled", False):
        return (
            f"{score}: the model was never compiled, so fit() could not train it. Compile it "
            "with loss=tr.masked_loss, an optimizer (keras.optimizers.Adam) and "
            "metrics=[tr.masked_accuracy], then fit it on train_data, and return that model."
        )
    optimizer = getattr(model, "optimizer", None)
    steps = int(keras.ops.convert_to_numpy(optimizer.iterations)) if optimizer else 0
    if steps == 0:
        return (
            f"{score}: it is compiled but was never trained (0 training steps). Call "
            "model.fit(train_data, validation_data=val_data, epochs=...) before returning it."
        )
    batches = int(train_data.cardinality()) if hasattr(train_data, "cardinality") else 0
    trained = f"after {steps} training steps"
    if batches > 0:
        trained += f" (about {steps / batches:.0f} epochs)"
    tries = [
        "more epochs, while val_masked_accuracy still rises",
        "a larger learning rate (Adam's default 1e-3 is slow on this small corpus)",
        "more units",
    ]
    if not model.use_attention:
        tries.insert(
            0,
            "attention=True (without it the decoder must carry the names, places and foods "
            "of the question through one state vector; with it, it looks back and copies them)",
        )
    return f"{score} {trained}; {CHAT_ACCURACY:.0%} are needed. Try: " + "; ".join(tries) + "."


def chat_bot(
    train_chat_bot: Callable,
    train_data,
    val_data,
    source_vocabulary,
    target_vocabulary,
    *,
    seed: int = 2,
) -> Translator:
    """Exercise `chat-bot`: train the student's chat bot, measure it on the validation pairs
    (held out from training; the test pairs stay for the model's own answers later).

    Returns the trained model, for the cells that let it answer on its own."""
    keras.utils.set_random_seed(seed)
    model = call_student(
        train_chat_bot,
        train_data,
        val_data,
        source_vocabulary,
        target_vocabulary,
        what="train_chat_bot",
    )
    if model is None:
        fail("train_chat_bot returned None: return the trained model (`return model`).")
    if isinstance(model, keras.callbacks.History):
        fail("train_chat_bot returned the History that fit() gives: return the model itself.")
    if not isinstance(model, Translator):
        fail(
            f"train_chat_bot returned a {type(model).__name__}, not a tr.Translator: build "
            "the chat bot with tr.Translator(source_vocabulary, target_vocabulary, ...)."
        )
    if list(model.source_vocabulary) != list(source_vocabulary) or list(
        model.target_vocabulary
    ) != list(target_vocabulary):
        fail(
            "the model's vocabularies are not the two given to train_chat_bot, whose ids the "
            "datasets hold: build tr.Translator(source_vocabulary, target_vocabulary, ...)."
        )
    accuracy, tokens, pairs = _teacher_forced_accuracy(model, val_data)
    if accuracy < CHAT_ACCURACY:
        fail(_why_short(model, accuracy, train_data))
    kind = "with attention" if model.use_attention else "without attention"
    passed(
        f"your chat bot ({kind}) predicts {accuracy:.1%} of the {tokens} answer tokens of "
        f"{pairs} validation pairs, given the true previous ones ({CHAT_ACCURACY:.0%} needed)."
    )
    return model
