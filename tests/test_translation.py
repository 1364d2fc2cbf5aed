"""Unit tests for helpers.translation, on tiny synthetic sentence pairs only."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import translation as tr
from helpers.checks import CheckFailed
from helpers.checks import translation as check
from instructor.check_values import solution_namespace

SOLUTION = {
    **solution_namespace("06_seq2seq_translation", "greedy-decode", "import numpy as np"),
    **solution_namespace("06_seq2seq_translation", "masked-loss", "import keras"),
    **solution_namespace(
        "06_seq2seq_translation", "chat-bot", "import keras\nfrom helpers import translation as tr"
    ),
}
solution_decode = SOLUTION["greedy_decode"]  # the instructor notebook's solutions
solution_loss = SOLUTION["masked_loss"]
solution_chat_bot = SOLUTION["train_chat_bot"]

PAIRS = [
    ("Go.", "Va !"),
    ("Go.", "Marche."),
    ("Hi.", "Salut !"),
    ("hi.", "Salut."),
    ("I'm tired.", "Je suis fatigué."),
    ("I'm tired.", "Je suis fatiguée."),
    ("It's late.", "Il est tard."),
    ("Be calm.", "Sois calme !"),
    ("I see.", "Je comprends."),
    ("Thanks.", "Merci !"),
    ("We won.", "Nous avons gagné."),
    ("Help!", "À l'aide !"),
]


@pytest.fixture(scope="module")
def vectorizers():
    return tr.make_vectorizers(
        PAIRS, source_tokens=50, target_tokens=60, source_length=5, target_length=6
    )


# ----------------------------------------------------------------------------- text


def test_clean_text_unifies_spaces_and_quotes():
    assert tr.clean_text("Va\u202f!  C\u2019est\u00a0ça.") == "Va ! C'est ça."
    with pytest.raises(ValueError, match="string"):
        tr.clean_text(3)


def test_standardize_keeps_accents_and_splits_punctuation():
    assert tr.standardize_py("À l'aide\u202f!") == "à l' aide !"
    assert tr.standardize_py("Qu'est-ce que c'est ?") == "qu' est-ce que c' est ?"


@pytest.mark.parametrize(
    "text",
    ["À l'aide\u202f!", "Ma montre est à l'heure, ÉVIDEMMENT.", "Tom? \u00abOui\u00bb", "Déjà vu"],
)
def test_tf_and_python_standardisation_agree(text):
    got = tr.standardize(np.array([text])).numpy()[0].decode()
    assert got == tr.standardize_py(text)


def test_detokenize_rebuilds_french_typography():
    tokens = ["[start]", "ma", "montre", "est", "à", "l'", "heure", ".", "[end]"]
    assert tr.detokenize(tokens) == "ma montre est à l'heure."
    assert tr.detokenize(["va", "!"]) == "va !"


# ----------------------------------------------------------------------------- data


def test_load_pairs_reads_two_or_three_columns(tmp_path):
    (tmp_path / "fra.txt").write_text(
        "Go.\tVa\u202f!\nHi.\tSalut !\tCC-BY 2.0 (France) Attribution: tatoeba.org\n\n",
        encoding="utf-8",
    )
    assert tr.load_pairs(tmp_path) == [("Go.", "Va !"), ("Hi.", "Salut !")]


def test_load_pairs_explains_bad_input(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        tr.load_pairs(tmp_path / "nothing.txt")
    (tmp_path / "fra.txt").write_text("no tab here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1 has no tab"):
        tr.load_pairs(tmp_path)


def test_split_keeps_each_english_sentence_in_one_part():
    split = tr.split_pairs(PAIRS, val=0.2, test=0.2, seed=1)
    assert sum(split.sizes().values()) == len(PAIRS)
    parts = [
        {tr.standardize_py(en) for en, _ in part} for part in (split.train, split.val, split.test)
    ]
    assert not parts[0] & parts[1] and not parts[0] & parts[2] and not parts[1] & parts[2]
    assert split.test and split.val
    # "Hi." and "hi." are one sentence: together, wherever they are.
    where = [i for i, part in enumerate(parts) if "hi ." in part]
    assert len(where) == 1
    assert tr.split_pairs(list(reversed(PAIRS)), val=0.2, test=0.2, seed=1).test == [
        p for p in reversed(PAIRS) if p in split.test
    ]
    with pytest.raises(ValueError, match="fractions"):
        tr.split_pairs(PAIRS, val=0.6, test=0.5)


def test_group_references_collects_all_translations():
    sources, refs = tr.group_references(PAIRS)
    assert len(sources) == 9  # 12 pairs; "Hi." and "hi." count as one sentence
    assert refs[sources.index("Go.")] == ["Va !", "Marche."]
    assert refs[sources.index("Hi.")] == ["Salut !", "Salut."]


def test_vectorizers_add_markers_and_pad(vectorizers):
    source, target = vectorizers
    vocab = target.get_vocabulary()
    ids = target(np.array(["Je suis fatigué."])).numpy()[0]
    assert ids.shape == (7,)
    assert vocab[ids[0]] == tr.START
    assert [vocab[i] for i in ids[1:5]] == ["je", "suis", "fatigué", "."]
    assert vocab[ids[5]] == tr.END and ids[6] == 0
    assert source(np.array(["Zorglub tired."])).numpy()[0][0] == 1  # unknown -> [UNK]
    rebuilt = tr.vectorizers_from_vocabularies(source.get_vocabulary(), vocab, 5, 6)[1]
    assert (rebuilt(np.array(["Je suis fatigué."])).numpy()[0] == ids).all()


def test_make_dataset_shifts_targets_and_buckets(vectorizers):
    source, target = vectorizers
    ds = tr.make_dataset(PAIRS, source, target, batch_size=4, buckets=(3,))
    seen = 0
    for (src, dec_in), tgt in ds:
        dec_in, tgt = dec_in.numpy(), tgt.numpy()
        assert dec_in.shape == tgt.shape and dec_in.shape[1] in (3, 6)
        assert (dec_in[:, 1:][tgt[:, :-1] != 0] == tgt[:, :-1][tgt[:, :-1] != 0]).all()
        seen += len(src)
    assert seen == len(PAIRS)
    with pytest.raises(ValueError, match="increasing"):
        tr.make_dataset(PAIRS, source, target, buckets=(4, 2))


# ----------------------------------------------------------------------------- model


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "attention"])
def model(request, vectorizers):
    source, target = vectorizers
    import keras

    keras.utils.set_random_seed(0)
    m = tr.Translator(
        source.get_vocabulary(),
        target.get_vocabulary(),
        embedding_dim=8,
        units=16,
        attention=request.param,
    )
    m.compile(optimizer=keras.optimizers.Adam(0.02), loss=tr.masked_loss)
    m.fit(
        tr.make_dataset(PAIRS, source, target, batch_size=12), epochs=40, verbose=0, shuffle=False
    )
    return m


def test_translator_learns_the_tiny_corpus(model):
    # A model that can fit 12 pairs can at least translate a training sentence.
    assert tr.translate(
        model, "I'm tired.", decode=solution_decode, source_length=5, max_length=6
    ).startswith("je suis")


def test_stepwise_decoding_equals_teacher_forcing(model, vectorizers):
    """The decoder fed one token at a time gives the same logits as on the whole sentence."""
    import keras

    source, target = vectorizers
    src = source(np.array(["We won.", "Help!"])).numpy()
    tgt = target(np.array(["Nous avons gagné.", "À l'aide !"])).numpy()[:, :-1]
    full = keras.ops.convert_to_numpy(model((src, tgt)))
    outputs, state = model.encode(src)
    for t in range(tgt.shape[1]):
        step, state = model.decode(tgt[:, t : t + 1], state, outputs, src)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(step)[:, 0], full[:, t], atol=1e-4)


def test_attention_of_reads_back_the_weights_of_each_decoding_step(model, vectorizers):
    import keras

    source, _ = vectorizers
    src = source(np.array(["Go.", "Thanks.", "It's late."])).numpy()
    ids = solution_decode(model, src, 6)
    weights = tr.attention_of(model, src, ids)
    if not model.use_attention:
        assert weights is None
        return
    assert weights.shape == (3, ids.shape[1], src.shape[1])
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-5)
    assert np.all(weights[src[:, None, :].repeat(ids.shape[1], 1) == 0] < 1e-6)
    outputs, state = model.encode(src)  # step by step, as while decoding
    tokens = np.full((3, 1), model.start_id)
    for t in range(ids.shape[1]):
        _, state, step = model.decode(tokens, state, outputs, src, return_attention=True)
        np.testing.assert_allclose(keras.ops.convert_to_numpy(step)[:, 0], weights[:, t], atol=1e-5)
        tokens = ids[:, t : t + 1]


def test_save_and_reload_gives_the_same_translations(model, tmp_path):
    import keras

    path = tmp_path / "model.keras"
    model.save(path)
    again = keras.models.load_model(path)
    assert isinstance(again, tr.Translator) and again.use_attention == model.use_attention
    texts = ["We won.", "Be calm.", "Help!"]
    kwargs = dict(decode=solution_decode, source_length=5, max_length=6)
    assert tr.translate(again, texts, **kwargs) == tr.translate(model, texts, **kwargs)


def test_translate_survives_unknown_words(model):
    kwargs = dict(decode=solution_decode, source_length=5, max_length=6)
    out = tr.translate(model, ["Zorglub is tired.", ""], **kwargs)
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(o, str) for o in out)
    assert tr.unknown_words(model, "Zorglub is tired.") == ["zorglub", "is"]
    assert tr.translate(model, [], **kwargs) == []


def test_translator_rejects_bad_configuration():
    with pytest.raises(ValueError, match="even"):
        tr.Translator(["", "[UNK]"], ["", "[UNK]", tr.START, tr.END], units=7)
    with pytest.raises(ValueError, match="no '\\[start\\]'"):
        tr.Translator(["", "[UNK]"], ["", "[UNK]", tr.END], units=8)


# ----------------------------------------------------------------------------- loss, BLEU


def test_masked_loss_ignores_padding():
    import keras

    rng = np.random.default_rng(0)
    y_true = np.array([[3, 1, 0, 0], [2, 0, 0, 0]])
    y_pred = rng.normal(size=(2, 4, 5)).astype("float32")
    per_token = keras.ops.convert_to_numpy(
        keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
    )
    expected = (per_token[0, 0] + per_token[0, 1] + per_token[1, 0]) / 3
    assert float(tr.masked_loss(y_true, y_pred)) == pytest.approx(expected, rel=1e-5)
    changed = y_pred.copy()
    changed[:, 2:] += 10 * rng.normal(size=(2, 2, 5)).astype("float32")
    changed[1, 1] += 5
    assert float(tr.masked_loss(y_true, changed)) == pytest.approx(expected, rel=1e-5)
    assert np.isfinite(float(tr.masked_loss(np.zeros((1, 3), "int64"), y_pred[:1, :3])))
    logits = np.zeros((1, 2, 5), "float32")
    logits[0, 0, 3] = 9
    assert float(tr.masked_accuracy(np.array([[3, 0]]), logits)) == 1.0


def test_bleu_uses_every_reference_and_exact_match():
    refs = [["Je suis fatigué.", "Je suis fatiguée."], ["Il est tard."]]
    perfect = tr.corpus_bleu(["je suis fatiguée.", "Il est tard."], refs)
    assert perfect.score == pytest.approx(100.0)
    worse = tr.corpus_bleu(["je suis content.", "il est tôt."], refs)
    assert 0 <= worse.score < 50
    assert tr.exact_match(["je suis fatiguée .", "il est tôt."], refs) == 0.5
    with pytest.raises(ValueError, match="reference lists"):
        tr.corpus_bleu(["a"], refs)
    assert "case:lc" in perfect.signature and "nrefs:var" in perfect.signature


def test_plot_attention_checks_shapes():
    import matplotlib

    matplotlib.use("Agg")
    ax = tr.plot_attention(np.full((3, 4), 0.25), ["go", ".", "x"], ["va", "!"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["va", "!"]
    with pytest.raises(ValueError, match="2-D"):
        tr.plot_attention(np.ones(3), ["a"], ["b"])
    with pytest.raises(ValueError, match="smaller"):
        tr.plot_attention(np.ones((1, 1)), ["a", "b"], ["c"])


def test_chat_corpus_is_split_without_overlap():
    split = tr.make_chat_pairs(seed=0)
    assert split.sizes() == {"train": 500, "val": 100, "test": 100}
    assert not {q for q, _ in split.test} & {q for q, _ in split.train}


# ----------------------------------------------------------------------------- exercises


def teacher_forcing_by_mistake(model, source_ids, max_length):
    """Feeds [start] every step instead of the token it chose."""
    encoder_outputs, state = model.encode(source_ids)
    start = np.full((len(source_ids), 1), model.start_id)
    chosen = []
    for _ in range(max_length):
        logits, state = model.decode(start, state, encoder_outputs, source_ids)
        chosen.append(np.argmax(logits[:, -1, :], axis=-1)[:, None])
    return np.concatenate(chosen, axis=1)


def forgets_the_state(model, source_ids, max_length):
    """Restarts every step from the encoder's state."""
    encoder_outputs, first_state = model.encode(source_ids)
    tokens = np.full((len(source_ids), 1), model.start_id)
    chosen = []
    for _ in range(max_length):
        logits, _ = model.decode(tokens, first_state, encoder_outputs, source_ids)
        tokens = np.argmax(logits[:, -1, :], axis=-1)[:, None]
        chosen.append(tokens)
    return np.concatenate(chosen, axis=1)


def stub(*args):
    raise NotImplementedError


def test_check_greedy_decode_passes_the_solution(capsys):
    check.greedy_decode(solution_decode)
    assert capsys.readouterr().out.startswith("Passed")


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (stub, "not written yet"),
        (teacher_forcing_by_mistake, "feed back the token"),
        (forgets_the_state, "feed back the token"),
        (lambda m, s, n: solution_decode(m, s, n)[0], "one row of token ids"),
        (lambda m, s, n: solution_decode(m, s, n)[:, :2], "had not written \\[end\\]"),
        (lambda m, s, n: solution_decode(m, s, n) + 1, "not the argmax"),
        (lambda m, s, n: solution_decode(m, s, n + 3), "more than max_length"),
        (lambda m, s, n: None, "returned None"),
    ],
)
def test_check_greedy_decode_fails_wrong_answers(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.greedy_decode(wrong)


def test_check_masked_loss_passes_the_solution(capsys):
    check.masked_loss(solution_loss)
    assert capsys.readouterr().out.startswith("Passed")


def _unmasked(y_true, y_pred):
    import keras

    return keras.ops.mean(
        keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
    )


def _per_token(y_true, y_pred):
    import keras

    return keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)


def _nan_on_empty(y_true, y_pred):
    import keras

    per_token = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
    mask = keras.ops.cast(y_true != 0, "float32")
    return keras.ops.sum(per_token * mask) / keras.ops.sum(mask)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (stub, "not written yet"),
        (_unmasked, "padding included"),
        (_per_token, "return one number"),
        (_nan_on_empty, "padding only gives NaN"),
        (lambda t, p: 1.0, "expected"),
    ],
)
def test_check_masked_loss_fails_wrong_answers(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.masked_loss(wrong)


def test_copy_unknown_words_copies_only_words_the_encoder_did_not_know():
    words = ["zorglub", "does", "not", "add", "up"]
    known = {"does", "not", "add", "up"}
    attention = np.zeros((4, 5))
    attention[0, 0] = attention[2, 3] = 1.0  # step 0 looks at "zorglub", step 2 at "add"
    attention[1, 1] = attention[3, 4] = 1.0
    tokens = ["[UNK]", "ne", "[UNK]", "pas"]
    # "zorglub" is unknown: copied; "add" is a common word the model failed on: not copied.
    assert tr.copy_unknown_words(tokens, words, known, attention) == [
        "zorglub",
        "ne",
        "[UNK]",
        "pas",
    ]
    # Without attention the unknown English words fill the [UNK]s in order, then none is left.
    assert tr.copy_unknown_words(tokens, words, known) == ["zorglub", "ne", "[UNK]", "pas"]
    assert tr.copy_unknown_words(["[UNK]"], [], known) == ["[UNK]"]


def test_translate_without_copying_keeps_the_models_own_tokens(model):
    kwargs = dict(decode=solution_decode, source_length=5, max_length=6)
    plain = tr.translate(model, ["Zorglub is tired."], copy_unknown=False, **kwargs)[0]
    assert "zorglub" not in plain


def test_alignment_reorders_detects_a_step_back():
    diagonal = np.eye(3)
    swapped = diagonal[[1, 0, 2]]
    assert not tr.alignment_reorders(diagonal)
    assert tr.alignment_reorders(swapped)
    with pytest.raises(ValueError, match="2-D"):
        tr.alignment_reorders(np.ones(3))


def test_bleu_counts_unk_as_one_wrong_word():
    refs = [["Cela n'est pas permis."]]
    with_unk = tr.corpus_bleu(["ce n'est pas [UNK]."], refs)
    one_word = tr.corpus_bleu(["ce n'est pas unk."], refs)
    assert with_unk.score == one_word.score
    assert with_unk.sys_len == 5  # ce n'est pas unk . : not [ UNK ] as three tokens


# ----------------------------------------------------------------------------- chat bot


@pytest.fixture(scope="module")
def chat_data():
    """The chat data as the notebook prepares it: the check's arguments after the function."""
    chat = tr.make_chat_pairs(seed=0)
    source, target = tr.make_vectorizers(
        chat.train, source_tokens=500, target_tokens=500, source_length=12, target_length=10
    )
    return {
        "train_data": tr.make_dataset(chat.train, source, target, batch_size=32, shuffle=True),
        "val_data": tr.make_dataset(chat.val, source, target, batch_size=100),
        "source_vocabulary": source.get_vocabulary(),
        "target_vocabulary": target.get_vocabulary(),
    }


def check_chat_bot(train_chat_bot, data):
    return check.chat_bot(
        train_chat_bot,
        data["train_data"],
        data["val_data"],
        data["source_vocabulary"],
        data["target_vocabulary"],
    )


def test_check_chat_bot_passes_the_solution(chat_data, capsys):
    model = check_chat_bot(solution_chat_bot, chat_data)
    out = capsys.readouterr().out
    assert out.startswith("Passed") and "with attention" in out, out
    assert isinstance(model, tr.Translator) and model.history.history["loss"]


def _chat_model(source_vocabulary, target_vocabulary, attention=False):
    import keras

    model = tr.Translator(
        source_vocabulary, target_vocabulary, embedding_dim=32, units=64, attention=attention
    )
    model.compile(optimizer=keras.optimizers.Adam(5e-3), loss=tr.masked_loss)
    return model


def _never_trained(train_data, val_data, source_vocabulary, target_vocabulary):
    return _chat_model(source_vocabulary, target_vocabulary, attention=True)


def _never_compiled(train_data, val_data, source_vocabulary, target_vocabulary):
    return tr.Translator(source_vocabulary, target_vocabulary, attention=True)


def _plain_and_brief(train_data, val_data, source_vocabulary, target_vocabulary):
    model = _chat_model(source_vocabulary, target_vocabulary, attention=False)
    model.fit(train_data, epochs=2, verbose=0, shuffle=False)
    return model


def _returns_history(train_data, val_data, source_vocabulary, target_vocabulary):
    """`return model.fit(...)`: what fit() returns (here without the cost of training)."""
    import keras

    return keras.callbacks.History()


def _shared_vocabulary(train_data, val_data, source_vocabulary, target_vocabulary):
    """One vocabulary for both sides (both are English), not the one the questions' ids use."""
    shared = list(target_vocabulary) + sorted(set(source_vocabulary) - set(target_vocabulary))
    return _chat_model(shared, shared)


@pytest.mark.parametrize(
    ("wrong", "message"),
    [
        (stub, "train_chat_bot is not written yet"),
        (lambda *args: None, "returned None"),
        (_never_trained, "never trained \\(0 training steps\\)"),
        (_never_compiled, "never compiled"),
        (_plain_and_brief, "about 2 epochs.*attention=True.*more epochs.*learning rate"),
        (_returns_history, "History that fit\\(\\) gives"),
        (_shared_vocabulary, "vocabularies are not the two"),
    ],
)
def test_check_chat_bot_fails_wrong_answers(chat_data, wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check_chat_bot(wrong, chat_data)
