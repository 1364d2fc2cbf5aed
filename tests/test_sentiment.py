"""Unit 04 helpers: loading, batching by length, plots, exercise checks, quiz (tiny data only)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from helpers import sentiment, training  # noqa: E402
from helpers.checks import CheckFailed  # noqa: E402
from helpers.checks import sentiment as check  # noqa: E402
from instructor.check_values import solution_namespace  # noqa: E402
from instructor.grading.exercises import SYNTHETIC_VOCAB, synthetic_reviews  # noqa: E402

# --------------------------------------------------------------------------- loading


@pytest.fixture
def fake_imdb(tmp_path):
    """A tiny folder in the aclImdb layout: 3 + 3 train reviews, 2 + 2 test reviews."""
    root = tmp_path / "aclImdb"
    for split, n in (("train", 3), ("test", 2)):
        for name in ("pos", "neg"):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(n):
                (folder / f"{i}_{7 if name == 'pos' else 2}.txt").write_text(
                    f"{split} {name} review {i}.<br />Second line.", encoding="utf-8"
                )
            movies = [f"tt{split[:2]}{name}{i // 2}" for i in range(n)]  # two reviews a movie
            (root / split / f"urls_{name}.txt").write_text(
                "".join(f"http://www.imdb.com/title/{m}/usercomments\n" for m in movies)
            )
    return root


def test_load_reviews_with_movies_reads_each_reviews_title(fake_imdb):
    texts, labels, movies = sentiment.load_reviews("train", folder=fake_imdb, with_movies=True)
    assert len(movies) == len(texts) == 6
    for text, movie in zip(texts, movies, strict=True):
        name, number = text.split()[1], int(text.split()[3].rstrip("."))
        assert movie == f"tttr{name}{number // 2}"
    (fake_imdb / "train" / "urls_pos.txt").unlink()
    with pytest.raises(ValueError, match="urls_pos.txt is missing"):
        sentiment.load_reviews("train", folder=fake_imdb, with_movies=True)


def test_split_by_movie_keeps_each_movie_on_one_side():
    movies = np.repeat([f"m{i}" for i in range(50)], np.arange(1, 51) % 7 + 1)
    train, val = sentiment.split_by_movie(movies, 0.2, seed=3)
    assert len(train) + len(val) == len(movies) and not set(train) & set(val)
    assert not set(movies[train]) & set(movies[val])
    assert 0.05 < len(val) / len(movies) < 0.4
    with pytest.raises(ValueError, match="validation_share"):
        sentiment.split_by_movie(movies, 1.5)


def test_max_mean_pooling_ignores_padding_and_survives_saving(tmp_path):
    ids = np.array([[3, 4, 0, 0], [5, 6, 7, 8]])
    values = np.array([[[1.0], [-3.0], [9.0], [9.0]], [[2.0], [4.0], [-1.0], [3.0]]])
    mask = ids != 0
    out = np.asarray(sentiment.MaxMeanPooling()(values, mask=mask))
    assert np.allclose(out, [[1.0, -1.0], [4.0, 2.0]])
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            layers.Embedding(10, 3, mask_zero=True),
            layers.LSTM(2, return_sequences=True),
            sentiment.MaxMeanPooling(),
        ]
    )
    assert model(ids).shape == (2, 4)
    same_review_padded = np.array([[3, 4, 0, 0, 0, 0]])
    assert np.allclose(model(ids[:1]), model(same_review_padded), atol=1e-6)
    model.save(tmp_path / "pooled.keras")
    reloaded = keras.models.load_model(tmp_path / "pooled.keras")
    assert np.allclose(model(ids), reloaded(ids))


def test_load_reviews_reads_labels_and_cleans_line_breaks(fake_imdb):
    texts, labels = sentiment.load_reviews("train", folder=fake_imdb)
    assert len(texts) == 6 and labels.shape == (6,)
    assert sorted(labels.tolist()) == [0, 0, 0, 1, 1, 1]
    for text, label in zip(texts, labels, strict=True):
        assert ("pos" in text) == (label == 1)
        assert "<br />" not in text and "Second line." in text


def test_load_reviews_limit_is_balanced_and_seeded(fake_imdb):
    texts, labels = sentiment.load_reviews("train", limit=4, folder=fake_imdb, seed=1)
    assert len(texts) == 4 and labels.sum() == 2
    again, _ = sentiment.load_reviews("train", limit=4, folder=fake_imdb, seed=1)
    assert texts == again
    test_texts, _ = sentiment.load_reviews("test", folder=fake_imdb)
    assert len(test_texts) == 4 and all(t.startswith("test") for t in test_texts)


def test_load_reviews_rejects_bad_input(fake_imdb, tmp_path):
    with pytest.raises(ValueError, match="split must be"):
        sentiment.load_reviews("unsup", folder=fake_imdb)
    with pytest.raises(ValueError, match="limit must be"):
        sentiment.load_reviews("train", limit=1, folder=fake_imdb)
    with pytest.raises(ValueError, match="No reviews in"):
        sentiment.load_reviews("train", folder=tmp_path / "empty")


# --------------------------------------------------------------------------- ids and batches


@pytest.fixture(scope="module")
def vectorizer():
    v = layers.TextVectorization(max_tokens=20, ragged=True)
    v.adapt(["good good great film", "bad awful film", "good film"])
    return v


def test_encode_keeps_the_last_tokens(vectorizer):
    vocabulary = vectorizer.get_vocabulary()
    ids = sentiment.encode(vectorizer, ["good film", "bad awful good film great"], max_length=3)
    assert [len(x) for x in ids] == [2, 3]
    assert [vocabulary[i] for i in ids[1]] == ["good", "film", "great"]
    assert ids[0].dtype == np.int32


def test_encode_rejects_a_string_and_a_padded_vectorizer(vectorizer):
    with pytest.raises(ValueError, match="list of texts"):
        sentiment.encode(vectorizer, "good film", 3)
    dense = layers.TextVectorization(vocabulary=["good", "film"])
    with pytest.raises(ValueError, match="ragged=True"):
        sentiment.encode(dense, ["good film"], 3)


def test_pad_pads_at_the_end_and_cuts():
    batch = sentiment.pad([np.array([1, 2, 3]), np.array([4])])
    np.testing.assert_array_equal(batch, [[1, 2, 3], [4, 0, 0]])
    np.testing.assert_array_equal(sentiment.pad([np.array([1, 2, 3])], 2), [[1, 2]])
    with pytest.raises(ValueError):
        sentiment.pad([])


def _sequences(n=37, seed=0):
    rng = np.random.default_rng(seed)
    seqs = [rng.integers(1, 50, size=rng.integers(1, 30)).astype("int32") for _ in range(n)]
    seqs = [np.concatenate([[i + 100], s]).astype("int32") for i, s in enumerate(seqs)]  # id tag
    labels = np.array([i % 2 for i in range(n)], dtype="int32")
    return seqs, labels


def test_make_dataset_by_length_keeps_every_pair_once_and_pads_little():
    seqs, labels = _sequences()
    data = sentiment.make_dataset(seqs, labels, batch_size=8, shuffle=True, seed=3)
    seen = []
    for x, y in data:
        x, y = x.numpy(), y.numpy()
        lengths = (x != 0).sum(axis=1)
        assert x.shape[1] == lengths.max()  # padded to the longest in the batch only
        assert lengths.max() - lengths.min() <= 30
        for row, label in zip(x, y, strict=True):
            index = int(row[0]) - 100
            assert label == labels[index]
            np.testing.assert_array_equal(row[: len(seqs[index])], seqs[index])
            seen.append(index)
    assert sorted(seen) == list(range(len(seqs)))
    assert data.cardinality().numpy() == 5


def test_make_dataset_fixed_length_and_errors():
    seqs, labels = _sequences()
    data = sentiment.make_dataset(seqs, labels, batch_size=10, fixed_length=40)
    shapes = [tuple(x.shape) for x, _ in data]
    assert shapes == [(10, 40)] * 3 + [(7, 40)]
    with pytest.raises(ValueError, match="must match"):
        sentiment.make_dataset(seqs, labels[:-1])
    with pytest.raises(ValueError, match="batch_size"):
        sentiment.make_dataset(seqs, labels, batch_size=0)


def test_padding_share_by_hand():
    seqs = [np.ones(n) for n in (1, 2, 3, 4)]
    share = sentiment.padding_share(seqs, batch_size=2, fixed_length=4)
    assert share["steps_per_batch_padding"] == 2 * 2 + 4 * 2
    assert share["steps_fixed_length"] == 16
    assert share["padding_share_per_batch"] == pytest.approx(1 - 10 / 12)
    assert share["padding_share_fixed"] == pytest.approx(1 - 10 / 16)


def test_predict_ids_returns_the_original_order():
    seqs, _ = _sequences(20)

    class FakeModel:
        def predict_on_batch(self, batch):  # P = first id / 1000, so the order is visible
            return batch[:, :1] / 1000.0

    probabilities = sentiment.predict_ids(FakeModel(), seqs, batch_size=6)
    np.testing.assert_allclose(probabilities, [(100 + i) / 1000 for i in range(20)])


def test_most_confident_mistakes_and_confusion_matrix():
    labels = np.array([1, 0, 1, 0, 1])
    probs = np.array([0.9, 0.8, 0.05, 0.3, 0.45])
    mistakes = sentiment.most_confident_mistakes(list("abcde"), labels, probs, k=2)
    assert [(m[2], m[1]) for m in mistakes] == [("c", 1), ("b", 0)]
    assert mistakes[0][0] == pytest.approx(0.05)
    np.testing.assert_array_equal(sentiment.confusion_matrix(labels, probs), [[1, 1], [2, 1]])
    with pytest.raises(ValueError, match="one entry per review"):
        sentiment.most_confident_mistakes(["a"], labels, probs)


def test_word_counts_uses_the_vectorizer_standardisation():
    counts = sentiment.word_counts(["Good, GOOD film!", "good (film) ok"])
    np.testing.assert_array_equal(counts, [3, 2, 1])
    with pytest.raises(ValueError, match="list of texts"):
        sentiment.word_counts("good film")


def test_plots_draw_and_validate():
    ax = sentiment.plot_review_lengths([10, 20, 30, 400], 100)
    assert any("75.0%" in t.get_text() for t in ax.texts)
    ax = sentiment.plot_vocabulary_coverage(np.array([5, 3, 2]), 4)
    assert any("80.0%" in t.get_text() for t in ax.texts)  # 2 words kept: (5 + 3) / 10
    with pytest.raises(ValueError, match="sorted"):
        sentiment.plot_vocabulary_coverage(np.array([1, 5]), 4)
    axes = sentiment.plot_comparison(
        {
            "A": {"val_accuracy": [0.5, 0.6], "val_loss": [0.7, 0.6]},
            "B": {"val_accuracy": [0.7], "val_loss": [0.5]},
        }
    )
    assert len(axes[0].lines) == 3  # two models and the chance line
    with pytest.raises(KeyError, match="validation_data"):
        sentiment.plot_comparison({"A": {"accuracy": [0.5]}})
    ax = sentiment.plot_confusion_matrix(np.array([0, 1]), np.array([0.2, 0.9]))
    assert len(ax.texts) == 4


# --------------------------------------------------------------------------- cuDNN


def test_cudnn_compatible():
    assert training.cudnn_compatible(layers.LSTM(4))[0]
    assert training.cudnn_compatible(layers.Bidirectional(layers.LSTM(4)))[0]
    assert training.cudnn_compatible(layers.GRU(4))[0]
    ok, why = training.cudnn_compatible(layers.LSTM(4, dropout=0.3))  # input dropout is fine
    assert ok and "no recurrent_dropout" in why and "reset_after" not in why
    assert "reset_after=True" in training.cudnn_compatible(layers.GRU(4))[1]
    ok, why = training.cudnn_compatible(layers.LSTM(4, recurrent_dropout=0.2))
    assert not ok and "recurrent_dropout" in why
    ok, why = training.cudnn_compatible(layers.GRU(4, reset_after=False))
    assert not ok and "reset_after" in why
    assert not training.cudnn_compatible(layers.SimpleRNN(4))[0]


def test_fused_kernel_report_finds_nested_and_wrapped_layers():
    inner = keras.Sequential([keras.Input((None, 3)), layers.GRU(2, return_sequences=True)])
    model = keras.Sequential(
        [
            keras.Input((None, 3)),
            inner,
            layers.Bidirectional(layers.LSTM(2, return_sequences=True)),
            layers.SimpleRNN(2),
        ]
    )
    assert [type(x).__name__ for x in training.recurrent_layers(model)] == [
        "GRU", "Bidirectional", "SimpleRNN",
    ]  # fmt: skip
    lines = training.fused_kernel_report(model).splitlines()
    assert len(lines) == 4 and "yes" in lines[0] and "Bidirectional(LSTM)" in lines[1]
    assert "no SimpleRNN has no fused kernel" in lines[2]
    assert "GPU" in lines[3]
    with pytest.raises(ValueError, match="no recurrent layer"):
        training.fused_kernel_report(keras.Sequential([keras.Input((3,)), layers.Dense(1)]))


# --------------------------------------------------------------------------- exercise 1


def stub():
    raise NotImplementedError


def build(embedding_units=16, gru_units=32, mask=True, first=layers.GRU, sequences=True):
    def build_model():
        return keras.Sequential(
            [
                keras.Input(shape=(None,), dtype="int32"),
                layers.Embedding(10_000, embedding_units, mask_zero=mask),
                first(gru_units, return_sequences=sequences),
                layers.LSTM(16),
                layers.Dense(1, activation="sigmoid"),
            ]
        )

    return build_model


def test_described_model_check_passes_on_the_solution(capsys):
    check.described_model(build())
    assert capsys.readouterr().out.startswith("Passed:")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (stub, "not written yet"),
        (lambda: None, "returned None"),
        (build(first=layers.LSTM), "GRU"),
        (build(gru_units=16), "layer 2 \\(GRU\\) outputs shape"),
        (build(embedding_units=32), "layer 1 \\(Embedding\\) outputs shape"),
        (build(mask=False), "mask_zero=True"),
        (build(sequences=False), "raised ValueError"),
        (lambda: keras.Sequential([layers.Dense(1)]), "not built"),
    ],
)
def test_described_model_check_names_what_differs(answer, message):
    with pytest.raises(CheckFailed, match=message):
        check.described_model(answer)


def test_compare_models_names_a_parameter_difference():
    a = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    b = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2, use_bias=False)])
    assert check.compare_models(a, check.layer_summary(a)) == []
    assert "8 parameters, expected 6" in check.compare_models(a, check.layer_summary(b))[0]


# --------------------------------------------------------------------------- exercise 2


@pytest.fixture(scope="module")
def end_to_end():
    keras.utils.set_random_seed(0)
    vocabulary = ["", "[UNK]", "good", "bad", "film", "movie"]
    return keras.Sequential(
        [
            keras.Input(shape=(), dtype="string"),
            layers.TextVectorization(vocabulary=vocabulary),
            layers.Embedding(len(vocabulary), 4, mask_zero=True),
            layers.LSTM(3),
            layers.Dense(
                1, activation="sigmoid", bias_initializer=keras.initializers.Constant(2.0)
            ),
        ]
    )


def solution(model, sentences):
    return model.predict(tf.constant(list(sentences)), verbose=0).reshape(-1)


def test_predict_sentiment_check_passes_on_the_solution(end_to_end, capsys):
    check.predict_sentiment(solution, end_to_end)
    assert capsys.readouterr().out.startswith("Passed:")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda m, s: stub(), "not written yet"),
        (lambda m, s: None, "returned None"),
        (lambda m, s: m.predict(tf.constant(s), verbose=0), "take column 0"),
        (lambda m, s: np.round(solution(m, s)), "not the rounded label"),
        (lambda m, s: 1 - solution(m, s), "P\\(negative\\)"),
        (lambda m, s: solution(m, s)[:1], "one probability per sentence"),
        (lambda m, s: solution(m, [x.lower()[:5] for x in s]), "pass the raw strings"),
    ],
)
def test_predict_sentiment_check_fails_on_wrong_answers(end_to_end, answer, message):
    with pytest.raises(CheckFailed, match=message):
        check.predict_sentiment(answer, end_to_end)


# --------------------------------------------------------------------------- quiz


# --------------------------------------------------------------------------- your own model


@pytest.fixture(scope="module")
def made_up_reviews():
    rng = np.random.default_rng(0)
    return synthetic_reviews(rng, 1_500), synthetic_reviews(rng, 300)


def my_model(compile_with=None, last=None, recurrent=True):
    """The instructor's build_my_model, or a variant of it."""
    build = solution_namespace(
        "04_sentiment_lstm", "my-model", "import keras\nfrom keras import layers\n"
    )["build_my_model"]
    if compile_with is None and last is None and recurrent:
        return build

    def variant(vocab_size):
        middle = layers.LSTM(8) if recurrent else layers.GlobalAveragePooling1D()
        model = keras.Sequential(
            [
                keras.Input(shape=(None,), dtype="int32"),
                layers.Embedding(vocab_size, 8, mask_zero=True),
                middle,
                last or layers.Dense(1, activation="sigmoid"),
            ]
        )
        if compile_with != "nothing":
            model.compile(
                optimizer=compile_with or "adam", loss="binary_crossentropy", metrics=["accuracy"]
            )
        return model

    return variant


def test_my_model_check_passes_on_the_solution(made_up_reviews, capsys):
    check.my_sentiment_model(my_model(), SYNTHETIC_VOCAB, *made_up_reviews)
    out = capsys.readouterr().out
    assert out.startswith("Passed: trained on 1,500 reviews x 200 tokens for 3 epochs"), out


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda vocab_size: stub(), "not written yet"),
        (lambda vocab_size: None, "returned None"),
        (my_model(compile_with="nothing"), "not compiled"),
        (my_model(recurrent=False), "no recurrent layer"),
        (my_model(last=layers.Dense(2, activation="softmax")), "expected \\(2, 1\\)"),
        (my_model(compile_with=keras.optimizers.SGD(1e-6)), "below 0.70.*What to try"),
    ],
)
def test_my_model_check_says_what_to_try(made_up_reviews, answer, message):
    with pytest.raises(CheckFailed, match=message):
        check.my_sentiment_model(answer, SYNTHETIC_VOCAB, *made_up_reviews)
