"""Unit 04: sentiment of IMDB movie reviews with Embedding + LSTM.

Loading the Large Movie Review Dataset, turning token ids into batches (padded per batch,
or to one fixed length), the plots of the notebook, the exercise checks and the quiz.
"""

from __future__ import annotations

import re
import string
import textwrap
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops

from helpers.quiz import Question

LABELS = ("negative", "positive")


# --------------------------------------------------------------------------- data


def reviews_folder() -> Path:
    """The `aclImdb` folder of the extracted archive (fetched through helpers.data)."""
    from helpers.data import extract

    return extract("imdb") / "aclImdb"


def load_reviews(
    split: str,
    *,
    limit: int | None = None,
    seed: int = 0,
    folder: str | Path | None = None,
    with_movies: bool = False,
) -> tuple[list[str], np.ndarray] | tuple[list[str], np.ndarray, np.ndarray]:
    """Reviews and labels (0 negative, 1 positive) of the `train` or `test` split, shuffled.

    `limit` keeps a class-balanced random subset of that many reviews. The HTML line breaks
    (`<br />`) that the reviews contain are replaced by spaces. `folder` is the `aclImdb`
    folder (by default the one `helpers.extract("imdb")` unpacks). With `with_movies`, a
    third array gives each review's movie (its IMDB title id, from `urls_pos.txt` and
    `urls_neg.txt`), for splits that keep the reviews of one movie together.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}.")
    if limit is not None and (not isinstance(limit, int) or limit < 2):
        raise ValueError(f"limit must be an integer of at least 2 (or None), not {limit!r}.")
    root = Path(folder) if folder is not None else reviews_folder()
    rng = np.random.default_rng(seed)
    texts: list[str] = []
    labels: list[int] = []
    movies: list[str] = []
    for label, name in enumerate(("neg", "pos")):
        files = sorted((root / split / name).glob("*.txt"))
        if not files:
            raise ValueError(
                f"No reviews in {root / split / name}: expected the aclImdb layout "
                "<folder>/{train,test}/{pos,neg}/*.txt. Delete the extracted folder "
                "to unpack it again."
            )
        if limit is not None:
            keep = limit // 2 + (limit % 2 if label == 1 else 0)
            files = [files[i] for i in sorted(rng.choice(len(files), size=keep, replace=False))]
        urls = _movie_urls(root / split / f"urls_{name}.txt") if with_movies else []
        for file in files:
            texts.append(file.read_text(encoding="utf-8").replace("<br />", " "))
            labels.append(label)
            if with_movies:
                movies.append(_movie_of(urls, file))
    order = rng.permutation(len(texts))
    shuffled = [texts[i] for i in order], np.asarray(labels, dtype="int32")[order]
    return (*shuffled, np.asarray(movies)[order]) if with_movies else shuffled


def _movie_urls(path: Path) -> list[str]:
    if not path.is_file():
        raise ValueError(
            f"{path.name} is missing from {path.parent}: it lists each review's movie. "
            "Delete the extracted folder to unpack the archive again."
        )
    return path.read_text(encoding="utf-8").split()


def _movie_of(urls: list[str], file: Path) -> str:
    """The IMDB title id of a review file `<id>_<stars>.txt`: line <id> of its urls file."""
    review_id = int(file.stem.split("_")[0])
    if review_id >= len(urls):
        raise ValueError(f"{file.name} has no line in its urls file ({len(urls)} lines).")
    return urls[review_id].rstrip("/").split("/")[-2]  # .../title/tt0453418/usercomments


def split_by_movie(
    movies: np.ndarray, validation_share: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, validation) with every movie's reviews on one side only.

    About `validation_share` of the movies go to validation. IMDB keeps each movie's reviews
    in one of its two sets, so a validation set of other movies imitates the test set.
    """
    from sklearn.model_selection import GroupShuffleSplit

    if not 0 < validation_share < 1:
        raise ValueError(f"validation_share must be between 0 and 1, not {validation_share}.")
    movies = np.asarray(movies)
    splitter = GroupShuffleSplit(n_splits=1, test_size=validation_share, random_state=seed)
    train_index, val_index = next(splitter.split(movies, groups=movies))
    return train_index, val_index


def encode(vectorizer: Any, texts: Sequence[str], max_length: int) -> list[np.ndarray]:
    """Token ids of each text (no padding), keeping the last `max_length` tokens of long ones.

    `vectorizer` is a `keras.layers.TextVectorization` with `ragged=True`.
    """
    import tensorflow as tf

    if isinstance(texts, str):
        raise ValueError("encode() takes a list of texts, not one string: wrap it in [ ].")
    if max_length < 1:
        raise ValueError(f"max_length must be at least 1, not {max_length}.")
    encoded: list[np.ndarray] = []
    for start in range(0, len(texts), 2048):
        ids = vectorizer(tf.constant(list(texts[start : start + 2048])))
        if not isinstance(ids, tf.RaggedTensor):
            raise ValueError(
                "encode() needs a TextVectorization made with ragged=True "
                "(it pads per batch itself)."
            )
        encoded.extend(np.asarray(row[-max_length:], dtype="int32") for row in ids.to_list())
    return encoded


def pad(sequences: Sequence[np.ndarray], length: int | None = None) -> np.ndarray:
    """Pad with 0 at the end (and cut) to `length`, or to the longest sequence if None."""
    import keras

    if len(sequences) == 0:
        raise ValueError("pad() got no sequences.")
    longest = max(len(s) for s in sequences)
    return keras.utils.pad_sequences(
        sequences, maxlen=max(longest if length is None else length, 1),
        dtype="int32", padding="post", truncating="post",
    )  # fmt: skip


def make_dataset(
    sequences: Sequence[np.ndarray],
    labels: np.ndarray,
    *,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int = 0,
    fixed_length: int | None = None,
):
    """A tf.data.Dataset of (padded ids, labels) batches.

    By default reviews of similar length go in the same batch and each batch is padded
    only to its longest review (the batches are shuffled, not the reviews inside them):
    the RNN then spends almost no steps on padding. With `fixed_length`, every review is
    padded (or cut) to that length, as `TextVectorization(output_sequence_length=...)`
    does, and reviews are shuffled one by one.
    """
    import tensorflow as tf

    labels = np.asarray(labels)
    if len(sequences) != len(labels):
        raise ValueError(f"{len(sequences)} sequences but {len(labels)} labels: they must match.")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}.")
    if fixed_length is not None:
        data = tf.data.Dataset.from_tensor_slices((pad(sequences, fixed_length), labels))
        if shuffle:
            data = data.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
        return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    order = np.argsort([len(s) for s in sequences], kind="stable")
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    xs = [pad([sequences[j] for j in batch]) for batch in batches]
    ys = [labels[batch] for batch in batches]
    rng = np.random.default_rng(seed)

    def generate():
        for i in rng.permutation(len(xs)) if shuffle else range(len(xs)):
            yield xs[i], ys[i]

    signature = (
        tf.TensorSpec((None, None), tf.int32),
        tf.TensorSpec((None,), tf.as_dtype(labels.dtype)),
    )
    data = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return data.apply(tf.data.experimental.assert_cardinality(len(xs))).prefetch(2)


@keras.saving.register_keras_serializable(package="rnn_course")
class MaxMeanPooling(keras.layers.Layer):
    """Max and mean of a sequence over its real (unmasked) steps, side by side.

    Input (batch, steps, features) with a mask from `Embedding(mask_zero=True)`; output
    (batch, 2 * features). Padding takes part in neither: Keras' `GlobalMaxPooling1D`
    ignores the mask, and a padded step would count as a value.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            mask = ops.ones(ops.shape(inputs)[:2], dtype="bool")
        real = ops.expand_dims(ops.cast(mask, "bool"), -1)
        weights = ops.cast(real, inputs.dtype)
        maximum = ops.max(ops.where(real, inputs, ops.full_like(inputs, -1e9)), axis=1)
        mean = ops.sum(inputs * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)
        return ops.concatenate([maximum, mean], axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 * input_shape[-1])


def padding_share(sequences: Sequence[np.ndarray], batch_size: int, fixed_length: int) -> dict:
    """Padded steps as a share of all steps: per-batch padding against one fixed length."""
    lengths = np.sort([len(s) for s in sequences])
    tokens = int(lengths.sum())
    per_batch = sum(
        int(lengths[i : i + batch_size].max()) * len(lengths[i : i + batch_size])
        for i in range(0, len(lengths), batch_size)
    )
    fixed = fixed_length * len(lengths)
    kept = int(np.minimum(lengths, fixed_length).sum())
    return {
        "steps_per_batch_padding": per_batch,
        "steps_fixed_length": fixed,
        "padding_share_per_batch": 1 - tokens / per_batch,
        "padding_share_fixed": 1 - kept / fixed,
    }


def predict_ids(model, sequences: Sequence[np.ndarray], batch_size: int = 256) -> np.ndarray:
    """P(positive) for each sequence of ids, in the order given (batched by length inside)."""
    if len(sequences) == 0:
        raise ValueError("predict_ids() got no sequences.")
    order = np.argsort([len(s) for s in sequences], kind="stable")
    probabilities = np.empty(len(sequences))
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        # predict_on_batch runs the compiled graph: several times faster than an eager call
        out = model.predict_on_batch(pad([sequences[i] for i in batch]))
        probabilities[batch] = np.asarray(out).reshape(-1)
    return probabilities


def most_confident_mistakes(
    texts: Sequence[str], labels: np.ndarray, probabilities: np.ndarray, k: int = 3
) -> list[tuple[float, int, str]]:
    """The `k` misclassified reviews the model was surest about: (P(positive), label, text)."""
    probabilities = np.asarray(probabilities, dtype="float64").reshape(-1)
    labels = np.asarray(labels).reshape(-1)
    if not (len(texts) == len(labels) == len(probabilities)):
        raise ValueError(
            f"texts, labels and probabilities must have one entry per review: got "
            f"{len(texts)}, {len(labels)} and {len(probabilities)}."
        )
    predicted = (probabilities > 0.5).astype(int)
    confidence = np.abs(probabilities - 0.5)
    wrong = np.flatnonzero(predicted != labels)
    worst = wrong[np.argsort(-confidence[wrong], kind="stable")][:k]
    return [(float(probabilities[i]), int(labels[i]), texts[i]) for i in worst]


def show_review(text: str, width: int = 100, limit: int = 600) -> str:
    """A review wrapped to `width` columns and shortened to about `limit` characters."""
    short = textwrap.shorten(text, width=limit, placeholder=" [...]")
    return textwrap.fill(short, width=width)


_PUNCTUATION = re.compile("[" + re.escape(string.punctuation) + "]")


def word_counts(texts: Sequence[str]) -> np.ndarray:
    """How often each distinct word occurs, most frequent first (TextVectorization's
    standardisation: lower case, punctuation stripped, split on whitespace)."""
    if isinstance(texts, str):
        raise ValueError("word_counts() takes a list of texts, not one string: wrap it in [ ].")
    counter: Counter[str] = Counter()
    for text in texts:
        counter.update(_PUNCTUATION.sub("", text.lower()).split())
    return np.array(sorted(counter.values(), reverse=True), dtype="int64")


# --------------------------------------------------------------------------- plots


def plot_vocabulary_coverage(counts: np.ndarray, vocab_size: int, *, ax=None):
    """Share of all word occurrences covered by the N most frequent words, N on a log axis."""
    import matplotlib.pyplot as plt

    counts = np.asarray(counts)
    if counts.ndim != 1 or len(counts) == 0 or np.any(np.diff(counts) > 0):
        raise ValueError("counts should be word frequencies sorted from most to least frequent.")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    coverage = np.cumsum(counts) / counts.sum()
    ranks = np.arange(1, len(counts) + 1)
    ax.semilogx(ranks, coverage, color="C0")
    # the vectorizer keeps vocab_size - 2 words: ids 0 and 1 are padding and [UNK]
    kept = min(vocab_size - 2, len(counts))
    ax.axvline(kept, color="C3", linestyle="--")
    ax.text(
        kept,
        0.3,
        f"VOCAB_SIZE = {vocab_size:,}  \ncovers {coverage[kept - 1]:.1%}  ",
        color="C3",
        ha="right",
    )
    ax.set_xlabel("the N most frequent words (log scale)")
    ax.set_ylabel("share of all words")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title("How many words does the vocabulary need?")
    return ax


def plot_review_lengths(lengths: Sequence[int], max_length: int, *, ax=None):
    """Histogram of review lengths in tokens, with the chosen `max_length` marked."""
    import matplotlib.pyplot as plt

    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or len(lengths) == 0:
        raise ValueError("lengths should be a non-empty list of token counts, one per review.")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.5))
    top = np.percentile(lengths, 99.5)
    ax.hist(np.minimum(lengths, top), bins=60, color="C0", alpha=0.8)
    covered = float(np.mean(lengths <= max_length))
    ax.axvline(max_length, color="C3", linestyle="--")
    ax.text(
        max_length,
        ax.get_ylim()[1] * 0.9,
        f"  max_length = {max_length}\n  {covered:.1%} of reviews fit",
        color="C3",
        va="top",
    )
    ax.axvline(np.median(lengths), color="k", linestyle=":", label="median")
    ax.set_xlabel("review length in tokens (longest 0.5% drawn at the right edge)")
    ax.set_ylabel("reviews")
    ax.set_title("How long are the reviews?")
    ax.legend(loc="center right")
    return ax


def plot_comparison(histories: dict[str, dict[str, Sequence[float]]], *, title: str = ""):
    """Validation accuracy and loss per epoch of several models, side by side."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if not histories:
        raise ValueError("plot_comparison() needs at least one history.")
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for i, (name, history) in enumerate(histories.items()):
        for ax, metric in zip(axes, ("val_accuracy", "val_loss"), strict=True):
            if metric not in history:
                raise KeyError(f"No {metric!r} in the history of {name}: fit with validation_data.")
            epochs = range(1, len(history[metric]) + 1)
            ax.plot(epochs, history[metric], marker="o", color=f"C{i}", label=name)
    axes[0].axhline(0.5, color="gray", linestyle=":", label="chance")
    for ax, metric in zip(axes, ("validation accuracy", "validation loss"), strict=True):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title or "Models compared on the same data")
    fig.tight_layout()
    return axes


def plot_confusion_matrix(labels: np.ndarray, probabilities: np.ndarray, *, ax=None):
    """2 x 2 confusion matrix (threshold 0.5), with counts and shares of each true class."""
    import matplotlib.pyplot as plt

    matrix = confusion_matrix(labels, probabilities)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.8))
    ax.imshow(matrix, cmap="Blues", vmin=0)
    rows = matrix.sum(axis=1, keepdims=True)
    for i in range(2):
        for j in range(2):
            share = matrix[i, j] / max(rows[i, 0], 1)
            color = "white" if matrix[i, j] > matrix.max() / 2 else "black"
            ax.text(j, i, f"{matrix[i, j]}\n{share:.1%}", ha="center", va="center", color=color)
    ax.set_xticks([0, 1], [f"predicted\n{n}" for n in LABELS])
    ax.set_yticks([0, 1], [f"true\n{n}" for n in LABELS])
    ax.set_title("Confusion matrix, test set")
    return ax


def confusion_matrix(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Counts [[true neg, false pos], [false neg, true pos]] at threshold 0.5."""
    from sklearn import metrics

    labels = np.asarray(labels).reshape(-1).astype(int)
    predicted = (np.asarray(probabilities).reshape(-1) > 0.5).astype(int)
    if len(labels) != len(predicted):
        raise ValueError(f"{len(labels)} labels but {len(predicted)} predictions: they must match.")
    return metrics.confusion_matrix(labels, predicted, labels=[0, 1])


# --------------------------------------------------------------------------- GPU


# --------------------------------------------------------------------------- quiz

QUESTIONS = [
    Question(
        id="many-to-one",
        prompt=(
            "A review is a sequence of words and its label is one number. "
            "Which RNN architecture is the sentiment model?"
        ),
        choices={
            "a": "one-to-many: one input, a sequence of outputs",
            "b": "many-to-many, synced: one output for every word",
            "c": "many-to-one: a sequence in, one output after the last step",
            "d": "one-to-one: a plain feed-forward network",
        },
    ),
    Question(
        id="baseline",
        prompt=(
            "A logistic regression on TF-IDF words and word pairs, which ignores word order "
            "beyond pairs, is a strong baseline on IMDB. Why?"
        ),
        choices={
            "a": "much of a review's sentiment sits in words and short phrases, which it sees",
            "b": "it reads each review in order, one word per step, like an LSTM",
            "c": "it starts from word vectors trained on a large corpus",
            "d": "it is scored on the reviews it was trained on",
        },
    ),
    Question(
        id="mask",
        prompt=(
            "Reviews are padded with id 0 at the end to a common length. What does "
            "Embedding(..., mask_zero=True) change for the LSTM after it?"
        ),
        choices={
            "a": "nothing during training, it only speeds up prediction",
            "b": "the padded steps are removed from the vocabulary",
            "c": "id 0 gets a learned embedding of its own",
            "d": "the LSTM carries its state through the padded steps unchanged: it returns its "
            "state after the last real word",
        },
    ),
    Question(
        id="movies",
        prompt=(
            "Why does this notebook's validation set hold out whole movies instead of a random "
            "fifth of the training reviews?"
        ),
        choices={
            "a": "a random fifth would hold too few positive reviews",
            "b": "the test reviews are about other movies, and validation should be like the test",
            "c": "Keras needs all reviews of one movie in the same batch",
            "d": "it makes each training epoch faster",
        },
    ),
]
