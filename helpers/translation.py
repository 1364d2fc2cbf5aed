"""Unit 06: English to French with an LSTM encoder-decoder, attention and BLEU.

What the notebook reuses and what the exercise checks compare against: loading and
splitting the Tatoeba pairs, the TextVectorization set-up, the `Translator` model
(plain or with attention), greedy decoding, turning ids back into text, corpus BLEU
with sacreBLEU, attention-map plots, a toy chat corpus, and the knowledge check.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from helpers.quiz import Question

PAD, UNK, START, END = "", "[UNK]", "[start]", "[end]"

# --------------------------------------------------------------------------- text


_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_QUOTES = {"\u2019": "'", "\u2018": "'", "\u00ab": '"', "\u00bb": '"', "\u201c": '"', "\u201d": '"'}


def clean_text(text: str) -> str:
    """Unify the typography of one sentence: one kind of space, straight quotes.

    French text uses narrow no-break spaces before `! ?` and curly apostrophes; both are
    turned into their plain forms so that tokens and BLEU see one spelling.
    """
    if not isinstance(text, str):
        raise ValueError(f"clean_text expects a string, got {type(text).__name__}.")
    for fancy, plain in _QUOTES.items():
        text = text.replace(fancy, plain)
    return _SPACES.sub(" ", text).strip()


# Punctuation that becomes a token of its own. The apostrophe stays on the word before
# it ("l'heure" -> "l' heure"), so French elisions become short, frequent tokens.
_PUNCT = r"""[.,!?;:"()«»¿¡%$€&/+]"""


def standardize_py(text: str) -> str:
    """Python twin of `standardize`: lower case, accents kept, punctuation split off."""
    text = clean_text(text).lower()
    text = re.sub(f"({_PUNCT})", r" \1 ", text)
    text = re.sub(r"'", "' ", text)
    return " ".join(text.split())


@keras.saving.register_keras_serializable(package="rnn_course")
def standardize(text: tf.Tensor) -> tf.Tensor:
    """TextVectorization standardisation: lower case (accents kept), punctuation as tokens."""
    text = tf.strings.lower(text, encoding="utf-8")
    text = tf.strings.regex_replace(text, "[\u00a0\u202f\u2009]", " ")
    text = tf.strings.regex_replace(text, "[\u2019\u2018]", "'")
    text = tf.strings.regex_replace(text, "[\u00ab\u00bb\u201c\u201d]", '"')
    text = tf.strings.regex_replace(text, f"({_PUNCT})", r" \1 ")
    text = tf.strings.regex_replace(text, "'", "' ")
    text = tf.strings.regex_replace(text, " +", " ")
    return tf.strings.strip(text)


@keras.saving.register_keras_serializable(package="rnn_course")
def standardize_with_markers(text: tf.Tensor) -> tf.Tensor:
    """`standardize`, then `[start]` before and `[end]` after: for the target language."""
    return tf.strings.join([START, standardize(text), END], separator=" ")


def detokenize(tokens: Iterable[str]) -> str:
    """Tokens back to a readable French sentence: `l' heure` -> `l'heure`, `fini .` -> `fini.`.

    French typography keeps a space before `! ? : ;` and none before `. ,`.
    """
    text = " ".join(t for t in tokens if t not in (PAD, START, END))
    text = re.sub(r"' ", "'", text)
    text = re.sub(r" ([.,])", r"\1", text)
    return text.strip()


# --------------------------------------------------------------------------- data


def load_pairs(path: str | Path) -> list[tuple[str, str]]:
    """Read Tatoeba's `fra.txt`: one `english<TAB>french[<TAB>attribution]` pair a line."""
    path = Path(path)
    if path.is_dir():
        path = path / "fra.txt"
    if not path.is_file():
        raise ValueError(f"{path} does not exist: pass the folder from helpers.extract('fra-eng').")
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        columns = line.split("\t")
        if len(columns) < 2:
            raise ValueError(
                f"{path.name} line {number} has no tab: "
                f"expected 'english<TAB>french', got {line!r}."
            )
        pairs.append((clean_text(columns[0]), clean_text(columns[1])))
    if not pairs:
        raise ValueError(f"{path} holds no sentence pairs.")
    return pairs


@dataclass(frozen=True)
class Split:
    """Sentence pairs split so that no English sentence is in two parts."""

    train: list[tuple[str, str]]
    val: list[tuple[str, str]]
    test: list[tuple[str, str]]

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}


def split_pairs(
    pairs: Sequence[tuple[str, str]], *, val: float = 0.05, test: float = 0.05, seed: int = 0
) -> Split:
    """Split by English sentence (all its French translations go to the same part).

    The split depends only on the set of English sentences and the seed, so it is the
    same on every machine and in every mode. Two spellings that standardise alike
    ("Hi." and "hi.") count as one sentence.
    """
    if not 0 <= val < 1 or not 0 <= test < 1 or val + test >= 1:
        raise ValueError(f"val={val} and test={test} must be fractions in [0, 1) summing below 1.")
    keys = sorted({standardize_py(en) for en, _ in pairs})
    random.Random(seed).shuffle(keys)
    n_test, n_val = round(len(keys) * test), round(len(keys) * val)
    part = {k: "test" for k in keys[:n_test]}
    part.update({k: "val" for k in keys[n_test : n_test + n_val]})
    out: dict[str, list[tuple[str, str]]] = {"train": [], "val": [], "test": []}
    for en, fr in pairs:
        out[part.get(standardize_py(en), "train")].append((en, fr))
    return Split(**out)


def group_references(pairs: Sequence[tuple[str, str]]) -> tuple[list[str], list[list[str]]]:
    """One entry per English sentence, with every French translation of it as references."""
    refs: dict[str, list[str]] = {}
    first: dict[str, str] = {}
    for en, fr in pairs:
        key = standardize_py(en)
        first.setdefault(key, en)
        refs.setdefault(key, []).append(fr)
    keys = list(first)
    return [first[k] for k in keys], [refs[k] for k in keys]


def make_vectorizers(
    pairs: Sequence[tuple[str, str]],
    *,
    source_tokens: int,
    target_tokens: int,
    source_length: int,
    target_length: int,
) -> tuple[keras.layers.TextVectorization, keras.layers.TextVectorization]:
    """Adapt one TextVectorization per language on (training) pairs.

    The French one adds `[start]`/`[end]` and returns `target_length + 1` ids, so that
    the decoder input (all but the last) and the target (all but the first) both have
    `target_length` steps.
    """
    if not pairs:
        raise ValueError("make_vectorizers needs at least one pair to learn a vocabulary from.")
    source = keras.layers.TextVectorization(
        max_tokens=source_tokens,
        standardize=standardize,
        output_sequence_length=source_length,
    )
    target = keras.layers.TextVectorization(
        max_tokens=target_tokens,
        standardize=standardize_with_markers,
        output_sequence_length=target_length + 1,
    )
    source.adapt(tf.constant([en for en, _ in pairs]), batch_size=4096)
    target.adapt(tf.constant([fr for _, fr in pairs]), batch_size=4096)
    return source, target


def vectorizers_from_vocabularies(
    source_vocabulary: Sequence[str],
    target_vocabulary: Sequence[str],
    source_length: int,
    target_length: int,
) -> tuple[keras.layers.TextVectorization, keras.layers.TextVectorization]:
    """Rebuild the two vectorizers from saved vocabularies (as `Translator` stores them)."""
    source = keras.layers.TextVectorization(
        standardize=standardize,
        output_sequence_length=source_length,
        vocabulary=list(source_vocabulary),
    )
    target = keras.layers.TextVectorization(
        standardize=standardize_with_markers,
        output_sequence_length=target_length + 1,
        vocabulary=list(target_vocabulary),
    )
    return source, target


def make_dataset(
    pairs: Sequence[tuple[str, str]],
    source_vectorizer: keras.layers.TextVectorization,
    target_vectorizer: keras.layers.TextVectorization,
    *,
    batch_size: int = 64,
    shuffle: bool = False,
    seed: int = 0,
    buckets: Sequence[int] = (),
) -> tf.data.Dataset:
    """`((source_ids, decoder_input_ids), target_ids)` batches for teacher forcing.

    `buckets`, such as `(6, 9)`, groups sentences by French length (up to 6 tokens, up
    to 9, longer) and pads each batch only as far as its group needs: most sentences are
    short, so far less time goes into padding. Without buckets every batch is padded to
    the vectorizers' full lengths.
    """
    if not pairs:
        raise ValueError("make_dataset got no pairs.")
    if list(buckets) != sorted(set(buckets)) or any(b < 1 for b in buckets):
        raise ValueError(f"buckets must be increasing positive lengths, got {buckets}.")
    source = keras.ops.convert_to_numpy(source_vectorizer(tf.constant([en for en, _ in pairs])))
    target = keras.ops.convert_to_numpy(target_vectorizer(tf.constant([fr for _, fr in pairs])))
    decoder_input, target = target[:, :-1], target[:, 1:]
    target_len = (target != 0).sum(axis=1)
    edges = [*buckets, target.shape[1]]
    parts = []
    low = 0
    for high in edges:
        rows = np.flatnonzero((target_len > low) & (target_len <= high))
        low = high
        if len(rows) == 0:
            continue
        src = source[rows]
        src = src[:, : max(1, int((src != 0).sum(axis=1).max()))]
        part = tf.data.Dataset.from_tensor_slices(
            ((src, decoder_input[rows, :high]), target[rows, :high])
        )
        if shuffle:
            part = part.shuffle(len(rows), seed=seed, reshuffle_each_iteration=True)
        parts.append((len(rows), part.batch(batch_size)))
    batches = sum(-(-n // batch_size) for n, _ in parts)
    if len(parts) == 1:
        ds = parts[0][1]
    else:
        total = sum(n for n, _ in parts)
        weights = [n / total for n, _ in parts]
        datasets = [d for _, d in parts]
        if shuffle:
            ds = tf.data.Dataset.sample_from_datasets(
                datasets, weights=weights, seed=seed, stop_on_empty_dataset=False
            )
        else:
            ds = datasets[0]
            for d in datasets[1:]:
                ds = ds.concatenate(d)
    # Mixing the groups hides the number of batches from Keras; state it, so that
    # fit() knows how long an epoch is.
    ds = ds.apply(tf.data.experimental.assert_cardinality(batches))
    return ds.prefetch(tf.data.AUTOTUNE)


# --------------------------------------------------------------------------- model


@keras.saving.register_keras_serializable(package="rnn_course")
class Translator(keras.Model):
    """LSTM encoder-decoder, with or without dot-product attention over the encoder.

    * `encode(source_ids)` -> `(encoder_outputs, state)`: a bidirectional LSTM reads the
      English ids; `state = [h, c]` (both directions joined) starts the decoder.
    * `decode(target_ids, state, encoder_outputs, source_ids)` -> `(logits, state)`:
      the decoder LSTM reads French ids from `state`; with attention, every decoder
      output looks at all encoder outputs (`keras.layers.Attention`, padding masked)
      and is joined with what it saw. Works on a whole sentence (teacher forcing) or on
      one token at a time (inference): the same layers, the same weights.
    * `call((source_ids, decoder_input_ids))` = encode + decode: logits for training.

    The vocabularies are part of the config, so a saved `.keras` file can translate on
    its own (see `translate`).
    """

    def __init__(
        self,
        source_vocabulary: Sequence[str],
        target_vocabulary: Sequence[str],
        *,
        embedding_dim: int = 128,
        units: int = 256,
        attention: bool = False,
        dropout: float = 0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if units % 2:
            raise ValueError(
                f"units must be even (two encoder directions of units/2), got {units}."
            )
        target_vocabulary = [str(token) for token in target_vocabulary]
        for token in (START, END):
            if token not in target_vocabulary:
                raise ValueError(f"The target vocabulary has no {token!r} token.")
        self.source_vocabulary = [str(token) for token in source_vocabulary]
        self.target_vocabulary = target_vocabulary
        self.embedding_dim, self.units = embedding_dim, units
        self.use_attention, self.dropout_rate = attention, dropout
        self.start_id = target_vocabulary.index(START)
        self.end_id = target_vocabulary.index(END)

        self.source_embedding = keras.layers.Embedding(len(self.source_vocabulary), embedding_dim)
        self.encoder = keras.layers.Bidirectional(
            keras.layers.LSTM(units // 2, return_sequences=True, return_state=True),
            name="encoder",
        )
        self.target_embedding = keras.layers.Embedding(len(target_vocabulary), embedding_dim)
        self.decoder = keras.layers.LSTM(
            units, return_sequences=True, return_state=True, name="decoder"
        )
        self.dropout = keras.layers.Dropout(dropout)
        if attention:
            self.attention = keras.layers.Attention(name="attention")
            self.combine = keras.layers.Dense(units, activation="tanh", name="combine")
        self.output_layer = keras.layers.Dense(len(target_vocabulary), name="logits")

    def encode(self, source_ids, training=False):
        """English ids (batch, T_src) -> encoder outputs (batch, T_src, units), [h, c]."""
        mask = keras.ops.not_equal(source_ids, 0)
        x = self.dropout(self.source_embedding(source_ids), training=training)
        outputs, h_fwd, c_fwd, h_bwd, c_bwd = self.encoder(x, mask=mask, training=training)
        state = [
            keras.ops.concatenate([h_fwd, h_bwd], axis=-1),
            keras.ops.concatenate([c_fwd, c_bwd], axis=-1),
        ]
        return outputs, state

    def decode(
        self, target_ids, state, encoder_outputs, source_ids, training=False, return_attention=False
    ):
        """French ids (batch, T) from `state` -> logits (batch, T, vocab), new [h, c].

        With `return_attention=True` also returns the attention weights (batch, T, T_src)
        (None for the plain model).
        """
        x = self.dropout(self.target_embedding(target_ids), training=training)
        outputs, h, c = self.decoder(x, initial_state=state, training=training)
        weights = None
        if self.use_attention:
            # (batch, 1, T_src): one mask row for every decoder step. Keras 3.10 does not
            # broadcast a (batch, T_src) value mask itself; newer versions accept both.
            source_mask = keras.ops.expand_dims(keras.ops.not_equal(source_ids, 0), axis=1)
            context, weights = self.attention(
                [outputs, encoder_outputs],
                mask=[None, source_mask],
                return_attention_scores=True,
            )
            outputs = self.combine(keras.ops.concatenate([outputs, context], axis=-1))
        logits = self.output_layer(self.dropout(outputs, training=training))
        if return_attention:
            return logits, [h, c], weights
        return logits, [h, c]

    def call(self, inputs, training=False):
        source_ids, decoder_input_ids = inputs
        encoder_outputs, state = self.encode(source_ids, training=training)
        logits, _ = self.decode(
            decoder_input_ids, state, encoder_outputs, source_ids, training=training
        )
        return logits

    def build(self, input_shape=None):
        if self.built:
            return
        dummy = np.ones((1, 2), dtype="int64")
        self.call((dummy, dummy))  # every layer builds itself on its first call
        self.built = True

    def get_config(self):
        config = super().get_config()
        config.update(
            source_vocabulary=self.source_vocabulary,
            target_vocabulary=self.target_vocabulary,
            embedding_dim=self.embedding_dim,
            units=self.units,
            attention=self.use_attention,
            dropout=self.dropout_rate,
        )
        return config


# --------------------------------------------------------------------------- loss


@keras.saving.register_keras_serializable(package="rnn_course")
def masked_loss(y_true, y_pred):
    """Cross-entropy per real token, by Keras' own loss with padding (id 0) weighted 0.

    `y_true` (batch, T) ids, `y_pred` (batch, T, vocab) logits. The sum over real tokens
    is divided by their number, so short sentences weigh what their words weigh.
    """
    weights = keras.ops.cast(keras.ops.not_equal(y_true, 0), "float32")
    total = _SUM_OF_CROSS_ENTROPIES(y_true, y_pred, sample_weight=weights)
    return total / keras.ops.maximum(keras.ops.sum(weights), 1.0)


_SUM_OF_CROSS_ENTROPIES = keras.losses.SparseCategoricalCrossentropy(
    from_logits=True, reduction="sum"
)


@keras.saving.register_keras_serializable(package="rnn_course")
def masked_accuracy(y_true, y_pred):
    """Share of real (non-padding) target tokens whose most likely prediction is right."""
    y_true = keras.ops.cast(y_true, "int64")
    predicted = keras.ops.argmax(y_pred, axis=-1)
    mask = keras.ops.cast(keras.ops.not_equal(y_true, 0), "float32")
    right = keras.ops.cast(keras.ops.equal(predicted, y_true), "float32") * mask
    return keras.ops.sum(right) / keras.ops.maximum(keras.ops.sum(mask), 1.0)


# --------------------------------------------------------------------------- decoding


def attention_of(model: Translator, source_ids, ids) -> np.ndarray | None:
    """The attention weights (batch, steps, T_src) the model gives while writing `ids`.

    One teacher-forced pass: the decoder reads [start] and the chosen ids, exactly what
    it read while decoding them step by step. None for a model without attention.
    """
    if not model.use_attention:
        return None
    source_ids, ids = np.asarray(source_ids), np.asarray(ids)
    outputs, state = model.encode(source_ids)
    start = np.full((len(ids), 1), model.start_id, dtype=ids.dtype)
    previous = np.concatenate([start, ids[:, :-1]], axis=1)
    _, _, weights = model.decode(previous, state, outputs, source_ids, return_attention=True)
    return keras.ops.convert_to_numpy(weights)


def ids_to_tokens(ids: Iterable[int], vocabulary: Sequence[str]) -> list[str]:
    """Ids up to (not including) the first `[end]`, as tokens; padding dropped."""
    tokens = []
    for i in ids:
        token = vocabulary[int(i)]
        if token == END:
            break
        if token not in (PAD, START):
            tokens.append(token)
    return tokens


def translate(
    model: Translator,
    texts: str | Sequence[str],
    *,
    decode: Callable,
    source_length: int,
    max_length: int,
    batch_size: int = 256,
    copy_unknown: bool = True,
) -> list[str] | str:
    """English text(s) -> French text(s), decoded by `decode(model, source_ids, max_length)`.

    Unknown English words become `[UNK]` for the encoder. With `copy_unknown`, an `[UNK]`
    that the model writes is replaced by an English word that neither vocabulary can
    translate, where there is one (see `copy_unknown_words`); other `[UNK]`s stay. A single
    string gives a single string.
    """
    single = isinstance(texts, str)
    batch = [texts] if single else list(texts)
    if not batch:
        return []
    source_vectorizer = keras.layers.TextVectorization(
        standardize=standardize,
        output_sequence_length=source_length,
        vocabulary=model.source_vocabulary,
    )
    known = set(model.source_vocabulary)
    results = []
    for start in range(0, len(batch), batch_size):
        chunk = batch[start : start + batch_size]
        source_ids = keras.ops.convert_to_numpy(source_vectorizer(tf.constant(chunk)))
        ids = np.asarray(decode(model, source_ids, max_length))
        attention = attention_of(model, source_ids, ids) if copy_unknown else None
        for row, text in enumerate(chunk):
            tokens = []
            for i in ids[row]:
                token = model.target_vocabulary[int(i)]
                if token == END:
                    break
                tokens.append(token)
            if copy_unknown:
                words = standardize_py(text).split()[:source_length]
                looked = None if attention is None else attention[row]
                tokens = copy_unknown_words(tokens, words, known, looked)
            results.append(detokenize([t for t in tokens if t not in (PAD, START)]))
    return results[0] if single else results


def copy_unknown_words(
    tokens: Sequence[str],
    words: Sequence[str],
    known: set[str] | Sequence[str],
    attention: np.ndarray | None = None,
) -> list[str]:
    """Replace `[UNK]` in French `tokens` by English `words` that the encoder did not know.

    With `attention` (steps, English positions): each `[UNK]` becomes the English word the
    decoder looked at most at that step, but only if that word is outside the English
    vocabulary `known` (a name, a rare word), which no French word of the model could
    translate either. Without attention, the unknown English words fill the `[UNK]`s in
    order. Any other `[UNK]` stays: a common word the model failed to translate is not
    copied into the French.
    """
    known = set(known)
    unknown = [w for w in words if w not in known]
    out = []
    for step, token in enumerate(tokens):
        if token == UNK and words:
            if attention is not None:
                word = words[int(np.argmax(np.asarray(attention)[step, : len(words)]))]
                token = word if word not in known else UNK
            elif unknown:
                token = unknown.pop(0)
        out.append(token)
    return out


def unknown_words(model: Translator, text: str) -> list[str]:
    """The words of `text` that are not in the model's English vocabulary."""
    known = set(model.source_vocabulary)
    return [w for w in standardize_py(text).split() if w not in known]


# --------------------------------------------------------------------------- evaluation


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[Sequence[str]]):
    """Case-insensitive corpus BLEU (sacreBLEU, 13a tokenisation) with several references.

    `references[i]` lists every accepted translation of sentence i (Tatoeba often has
    several). An `[UNK]` in a translation counts as one word that matches nothing. Returns
    sacreBLEU's BLEUScore (`.score`, `.precisions`, ...).
    """
    import sacrebleu

    if len(hypotheses) != len(references):
        raise ValueError(
            f"{len(hypotheses)} hypotheses but {len(references)} reference lists: one list each."
        )
    if not hypotheses:
        raise ValueError("corpus_bleu needs at least one sentence.")
    # sacreBLEU's tokeniser would split "[UNK]" into three tokens ("[", "UNK", "]"), which
    # lengthens a translation and changes its n-grams; count it as one wrong word instead.
    hypotheses = [h.replace(UNK, "unk") for h in hypotheses]
    width = max(len(r) for r in references)
    # sacreBLEU wants reference streams: stream k holds the k-th reference of every
    # sentence, None where a sentence has fewer.
    streams = [[r[k] if k < len(r) else None for r in references] for k in range(width)]
    bleu = sacrebleu.BLEU(lowercase=True)
    score = bleu.corpus_score(list(hypotheses), streams)
    score.signature = str(bleu.get_signature())  # how it was computed, for reports
    return score


def exact_match(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> float:
    """Share of sentences whose translation equals one of its references (case-insensitive,
    compared token by token after standardisation)."""
    if len(hypotheses) != len(references) or not hypotheses:
        raise ValueError("exact_match needs as many (non-zero) hypotheses as reference lists.")
    hits = sum(
        standardize_py(h) in {standardize_py(r) for r in refs}
        for h, refs in zip(hypotheses, references, strict=True)
    )
    return hits / len(hypotheses)


# --------------------------------------------------------------------------- plots


def alignment_reorders(weights: np.ndarray) -> bool:
    """True if, row by row, the most-attended English position ever moves backwards.

    `weights` (French steps, English positions), cut to the real tokens: a monotone
    alignment reads the English in order; a step back means the words were reordered.
    """
    weights = np.asarray(weights)
    if weights.ndim != 2 or weights.shape[0] == 0:
        raise ValueError(f"weights should be 2-D and non-empty, got shape {weights.shape}.")
    return bool(np.any(np.diff(np.argmax(weights, axis=1)) < 0))


def plot_attention(
    weights: np.ndarray,
    source_tokens: Sequence[str],
    target_tokens: Sequence[str],
    ax=None,
    *,
    colorbar: bool = True,
):
    """Heat map of attention weights: one row per French token, one column per English one."""
    import matplotlib.pyplot as plt

    weights = np.asarray(weights)
    if weights.ndim != 2:
        raise ValueError(
            f"weights should be 2-D (target steps, source steps), got {weights.shape}."
        )
    if weights.shape[0] < len(target_tokens) or weights.shape[1] < len(source_tokens):
        raise ValueError(
            f"weights {weights.shape} are smaller than the {len(target_tokens)} target × "
            f"{len(source_tokens)} source tokens to label."
        )
    weights = weights[: len(target_tokens), : len(source_tokens)]
    if ax is None:
        _, ax = plt.subplots(figsize=(0.5 * len(source_tokens) + 2, 0.4 * len(target_tokens) + 1.5))
    image = ax.imshow(weights, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="attention weight")
    ax.set_xticks(range(len(source_tokens)), source_tokens, rotation=60, ha="right")
    ax.set_yticks(range(len(target_tokens)), target_tokens)
    ax.set_xlabel("English (encoder)")
    ax.set_ylabel("French (decoder)")
    return ax


# --------------------------------------------------------------------------- chat corpus

_NAMES = [
    "alice",
    "bob",
    "carla",
    "david",
    "emma",
    "farid",
    "grace",
    "hugo",
    "ines",
    "jack",
    "karim",
    "lena",
    "marco",
    "nora",
    "omar",
    "paula",
    "quentin",
    "rosa",
    "sam",
    "tina",
]
_CITIES = [
    "paris",
    "london",
    "rome",
    "berlin",
    "madrid",
    "tokyo",
    "cairo",
    "lima",
    "oslo",
    "dublin",
    "vienna",
    "lisbon",
    "prague",
    "delhi",
    "seoul",
    "quebec",
]
_FOODS = [
    "pizza",
    "soup",
    "rice",
    "cheese",
    "apples",
    "bread",
    "pasta",
    "fish",
    "salad",
    "cake",
    "noodles",
    "tea",
    "coffee",
    "chocolate",
]
_CHAT_TEMPLATES = [
    ("my name is {n}.", "nice to meet you, {n}!"),
    ("hello, i am {n}.", "hi {n}, how are you?"),
    ("i live in {c}.", "is {c} a nice place to live?"),
    ("i am going to {c} tomorrow.", "have a good trip to {c}!"),
    ("do you like {f}?", "yes, i love {f}."),
    ("i ate {f} today.", "was the {f} good?"),
    ("{n} lives in {c}. where does {n} live?", "{n} lives in {c}."),
    ("{n} eats {f}. what does {n} eat?", "{n} eats {f}."),
]


def make_chat_pairs(seed: int = 0) -> Split:
    """A toy question -> answer corpus from templates, split by the names/cities/foods used.

    Test questions use words the model has seen, in combinations it has not: an answer
    is right only if the model carries the right word over from the question.
    """
    rng = random.Random(seed)
    pairs = set()
    for question, answer in _CHAT_TEMPLATES:
        for n in _NAMES:
            for c in _CITIES:
                for f in _FOODS:
                    pairs.add((question.format(n=n, c=c, f=f), answer.format(n=n, c=c, f=f)))
    pairs = sorted(pairs)
    rng.shuffle(pairs)
    n = len(pairs)
    return Split(train=pairs[: n - 200], val=pairs[n - 200 : n - 100], test=pairs[n - 100 :])


# --------------------------------------------------------------------------- exercise checks


def _tiny_translator(attention: bool, seed: int = 7) -> tuple[Translator, np.ndarray]:
    """A small random-weight translator and a batch of English ids, for the checks."""
    source_vocabulary = [PAD, UNK] + [f"e{i}" for i in range(10)]
    target_vocabulary = [PAD, UNK, START, END] + [f"f{i}" for i in range(10)]
    keras.utils.set_random_seed(seed)
    model = Translator(
        source_vocabulary, target_vocabulary, embedding_dim=8, units=8, attention=attention
    )
    model.build()
    # Random weights rarely say [end]; make the output layer favour varied tokens instead.
    kernel, bias = model.output_layer.get_weights()
    rng = np.random.default_rng(seed)
    model.output_layer.set_weights([rng.normal(0, 3, kernel.shape), bias])
    source_ids = np.array([[2, 5, 7, 3, 0, 0], [4, 4, 9, 11, 6, 2], [8, 3, 0, 0, 0, 0]])
    return model, source_ids


# --------------------------------------------------------------------------- knowledge check

QUESTIONS = [
    Question(
        id="q1",
        prompt="In the encoder-decoder, what does the decoder receive from the encoder "
        "in the plain model (without attention)?",
        choices={
            "a": "every encoder output, one per English word",
            "b": "the English words themselves",
            "c": "nothing: the decoder is trained separately",
            "d": "only the encoder's final state [h, c], a fixed-size summary of the sentence",
        },
    ),
    Question(
        id="q2",
        prompt="What is teacher forcing?",
        choices={
            "a": "at training time the decoder reads the true previous French word, "
            "not the word it predicted",
            "b": "a regulariser that forces the decoder weights to match the encoder's",
            "c": "feeding the decoder its own predictions during training",
            "d": "training the model on the test sentences",
        },
    ),
    Question(
        id="q3",
        prompt="The attention model writes [UNK] at one step. When does `translate` put an "
        "English word in its place?",
        choices={
            "a": "always: the English word it looked at most at that step",
            "b": "never: [UNK] always stays in the translation",
            "c": "only if the word it looked at most is unknown to the model too, like a name",
            "d": "only when BLEU is computed",
        },
    ),
    Question(
        id="q4",
        prompt="Why does every French translation of an English sentence go to the same "
        "split (train, validation or test) as the sentence?",
        choices={
            "a": "so that each split has the same share of questions",
            "b": "otherwise the test would partly measure memory of a translation seen in training",
            "c": "TextVectorization cannot read one sentence twice",
            "d": "BLEU needs exactly one reference per sentence",
        },
    ),
]

__all__ = [
    "END",
    "PAD",
    "QUESTIONS",
    "START",
    "UNK",
    "Split",
    "Translator",
    "clean_text",
    "corpus_bleu",
    "detokenize",
    "exact_match",
    "alignment_reorders",
    "attention_of",
    "group_references",
    "ids_to_tokens",
    "load_pairs",
    "make_chat_pairs",
    "make_dataset",
    "make_vectorizers",
    "masked_accuracy",
    "masked_loss",
    "plot_attention",
    "split_pairs",
    "standardize",
    "standardize_py",
    "standardize_with_markers",
    "translate",
    "unknown_words",
    "copy_unknown_words",
    "vectorizers_from_vocabularies",
]
