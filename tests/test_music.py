"""Unit 07 helpers: chorale grids, cache, tokens, sampling, notes, MIDI, audio and checks."""

import matplotlib
import numpy as np
import pytest

from helpers import music
from helpers.checks import CheckFailed
from helpers.checks import music as check
from instructor.check_values import solution_namespace

SOLUTION = {
    **solution_namespace("07_music_composition", "to-notes", "import numpy as np"),
    **solution_namespace("07_music_composition", "temperature", "import numpy as np"),
}
grid_to_notes = SOLUTION["grid_to_notes"]  # the instructor notebook's solution

matplotlib.use("Agg")

GRID = np.array(
    [
        [67, 62, 59, 43],
        [67, 62, 59, 43],
        [69, 62, 57, 43],
        [69, 0, 57, 45],
        [71, 0, 55, 45],
    ],
    dtype=np.int16,
)


def four_part_score(bass_parts=4):
    from music21 import note, stream

    score = stream.Score()
    lines = [
        [("G4", 2.0), ("A4", 1.0), ("B4", 1.0)],
        [("D4", 1.0), (None, 1.0), ("E4", 2.0)],
        [("B3", 4.0)],
        [("G2", 0.5), ("A2", 0.5), ("B2", 3.0)],
    ][:bass_parts]
    for line in lines:
        part = stream.Part()
        for pitch, length in line:
            part.append(
                note.Rest(quarterLength=length)
                if pitch is None
                else note.Note(pitch, quarterLength=length)
            )
        score.insert(0, part)
    return score


def test_score_to_grid_fills_sixteenths_per_voice():
    grid = music.score_to_grid(four_part_score())
    assert grid.shape == (16, 4)  # 4 quarter notes = 16 sixteenths
    assert list(grid[:, 0]) == [67] * 8 + [69] * 4 + [71] * 4
    assert list(grid[:, 1]) == [62] * 4 + [0] * 4 + [64] * 8
    assert set(grid[:, 2]) == {59}
    assert list(grid[:4, 3]) == [43, 43, 45, 45]


def test_score_to_grid_needs_four_parts():
    with pytest.raises(ValueError, match="exactly 4"):
        music.score_to_grid(four_part_score(bass_parts=3))


def test_load_chorales_caches_atomically(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_COURSE_DATA", str(tmp_path))
    first = music.load_chorales(limit=3)
    assert not first.from_cache and first.cache_file.is_file()
    assert first.cache_file.parent.parent == tmp_path
    assert 1 <= len(first) <= 3 and len(first) + len(first.skipped) == 3
    assert not list(first.cache_file.parent.glob("*.part"))
    second = music.load_chorales(limit=3)
    assert second.from_cache and second.names == first.names
    assert second.parse_seconds == pytest.approx(first.parse_seconds)
    for a, b in zip(first.grids, second.grids, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.shape[1] == 4 and a.max() <= music.HIGHEST
    first.cache_file.write_bytes(b"not an npz file")  # a damaged cache is parsed again
    third = music.load_chorales(limit=3)
    assert not third.from_cache and third.names == first.names


def test_load_chorales_rejects_bad_limit():
    with pytest.raises(ValueError, match="positive"):
        music.load_chorales(limit=0)


def tune_grid(pitches, voices_below=(55, 50, 43), step_len=4):
    """A four-voice grid whose soprano sings `pitches`, each held `step_len` steps."""
    soprano = np.repeat(np.asarray(pitches, np.int16), step_len)
    below = np.tile(np.asarray(voices_below, np.int16), (len(soprano), 1))
    return np.column_stack([soprano, below])


TUNE = [67, 67, 69, 71, 72, 71, 69, 67, 66, 67]


def test_melody_merges_held_notes_and_skips_rests():
    grid = tune_grid([67, 67, 69, 0, 71], step_len=2)
    np.testing.assert_array_equal(music.melody(grid), [67, 69, 71])


def test_melody_similarity_ignores_key_and_tolerates_a_passing_note():
    tune = np.array([67, 69, 71, 72, 71, 69, 67, 66, 67])
    assert music.melody_similarity(tune, tune + 5) == pytest.approx(1.0)  # another key
    passing = np.insert(tune, 3, 71)  # a note added inside the tune
    assert music.melody_similarity(tune, np.r_[tune[:3], 70, tune[3:]]) > 0.85
    assert music.melody_similarity(tune, passing) > 0.85
    other = np.array([60, 64, 67, 72, 67, 64, 60, 55, 60])
    assert music.melody_similarity(tune, other) < 0.6
    assert music.melody_similarity(tune, other, at_least=0.99) == 0.0  # skipped: cannot reach it
    assert music.melody_similarity([60], tune) == 0.0


def test_melody_groups_join_settings_of_one_tune_and_chains():
    tune = np.array(TUNE)
    variant = np.r_[tune[:5], 72, tune[5:]]  # a variant of the tune, in another key below
    other = np.array([60, 64, 67, 72, 67, 64, 60, 55, 60, 62])
    grids = [tune_grid(tune), tune_grid(other), tune_grid(tune - 2), tune_grid(variant + 3)]
    groups = music.melody_groups(grids, threshold=0.75)
    assert groups[0] == groups[2] == groups[3] != groups[1]
    assert len(set(music.melody_groups(grids, threshold=1.01))) == 4  # nothing is alike


def test_split_by_group_keeps_groups_together_and_is_repeatable():
    names = [f"bwv{i}" for i in range(40)]
    groups = [i // 4 if i < 20 else i for i in range(40)]  # five tunes set 4 times, 20 once
    split = music.split_by_group(names, groups, (0.15, 0.15), seed=3)
    assert sorted(split["train"] + split["valid"] + split["test"]) == sorted(names)
    group_of = dict(zip(names, groups, strict=True))
    sides = [{group_of[n] for n in split[part]} for part in ("train", "valid", "test")]
    assert not (sides[0] & sides[1] or sides[0] & sides[2] or sides[1] & sides[2])
    assert 6 <= len(split["test"]) <= 9 and 6 <= len(split["valid"]) <= 9
    reordered = music.split_by_group(names[::-1], groups[::-1], (0.15, 0.15), seed=3)
    assert reordered == split
    assert music.split_by_group(names, list(range(40)), (0.15, 0.15), seed=3) != split
    with pytest.raises(ValueError, match="fractions"):
        music.split_by_group(names, groups, (0.6, 0.5))
    with pytest.raises(ValueError, match="group numbers"):
        music.split_by_group(names, groups[:-1])
    with pytest.raises(ValueError, match="too few"):
        music.split_by_group(names[:8], [0] * 8)


def test_encode_decode_round_trip_and_range():
    tokens = music.encode(GRID)
    assert tokens.min() == 0 and tokens.max() == 71 - music.LOWEST + 1
    np.testing.assert_array_equal(music.decode(tokens), GRID)
    with pytest.raises(ValueError, match="outside the range"):
        music.encode([[90, 60, 50, 40]])
    with pytest.raises(ValueError, match="tokens"):
        music.decode([[music.VOCAB]])


def test_make_windows_shifts_by_one_step_and_pads():
    long = np.tile(GRID, (4, 1))  # 20 steps
    X, Y, W = music.make_windows([long, GRID], length=8, stride=4)
    tokens = music.encode(long)
    np.testing.assert_array_equal(X[0], tokens[0:8])
    np.testing.assert_array_equal(Y[0], tokens[1:9])
    assert X.shape == Y.shape == W.shape and X.shape[1:] == (8, 4)
    last_long = X.shape[0] - 2  # the long chorale's ending is kept, the short one padded
    np.testing.assert_array_equal(Y[last_long][-1], tokens[-1])
    assert W[-1, :4].all() and not W[-1, 4:].any()
    with pytest.raises(ValueError, match="shape"):
        music.make_windows([GRID[:, :3]], 4, 2)


def test_baseline_and_masked_accuracy():
    # steps 1..4 against 0..3: 4 + 2 + 2 + 2 of the 16 cells keep their value (a rest too)
    assert music.repeat_last_accuracy([GRID]) == pytest.approx(10 / 16)
    np.testing.assert_allclose(
        music.repeat_last_accuracy([GRID], per_voice=True), [2 / 4, 3 / 4, 2 / 4, 3 / 4]
    )
    pred = np.array([[1, 2], [3, 4]])
    assert music.masked_accuracy(pred, np.array([[1, 0], [3, 0]]), np.array([[1, 1], [1, 0]])) == (
        pytest.approx(2 / 3)
    )


def test_next_step_report_per_voice_changes_and_cross_entropy():
    X, Y, W = music.pad_chorales([GRID, GRID[:3]])
    probs = np.full(Y.shape + (music.VOCAB,), 0.5 / (music.VOCAB - 1))
    np.put_along_axis(probs, X[..., None], 0.5, axis=-1)  # half the mass on "hold the note"
    report = music.next_step_report(probs, X, Y, W)
    base = music.repeat_last_accuracy([GRID, GRID[:3]], per_voice=True)
    np.testing.assert_allclose(report["per_voice"], base)  # argmax = repeat the last step
    np.testing.assert_allclose(report["on_changes"], 0.0)  # always wrong where a voice moves
    assert report["accuracy"] == pytest.approx(music.repeat_last_accuracy([GRID, GRID[:3]]))
    assert report["change_share"][3] == pytest.approx(1 / 6) and report["change_share"][
        0
    ] == pytest.approx(0.5)
    held = (Y == X)[W > 0]
    want = -(held * np.log(0.5) + ~held * np.log(0.5 / (music.VOCAB - 1))).mean()
    assert report["cross_entropy"] == pytest.approx(want)
    perfect = np.eye(music.VOCAB)[Y]
    assert music.next_step_report(perfect, X, Y, W)["on_changes_all"] == 1.0


def test_repeat_last_probability_is_a_distribution():
    train = [GRID, np.tile(GRID, (3, 1))]
    tokens = np.arange(music.VOCAB)
    for current in (0, 5, 20):
        x = np.full((music.VOCAB, 4), current)
        p = music.repeat_last_probability(train, x, np.tile(tokens[:, None], (1, 4)))
        np.testing.assert_allclose(p.sum(axis=0), 1.0)  # over every next token, per voice
        held = music.repeat_last_accuracy(train, per_voice=True)
        np.testing.assert_allclose(p[current], held)  # holding: the training share of holds
    X, Y, W = music.pad_chorales([GRID])
    ce = music.repeat_last_cross_entropy(train, X, Y, W)
    want = -np.log(music.repeat_last_probability(train, X, Y)[W > 0]).mean()
    assert ce == pytest.approx(want) and ce > 0


def test_report_table_and_plot():
    X, Y, W = music.pad_chorales([GRID])
    report = music.next_step_report(np.eye(music.VOCAB)[Y], X, Y, W)
    base = music.repeat_last_accuracy([GRID], per_voice=True)
    table = music.report_table(base, {"history only": report})
    lines = table.splitlines()
    assert len(lines) == 7 and lines[2].startswith("soprano") and lines[-1].startswith("all")
    assert "1.000" in lines[2] and "history only" in lines[0]
    ax = music.plot_voice_accuracy(base, {"history only": report, "given": report})
    assert len(ax.patches) == 4 * 5


def test_transpose_stays_in_range():
    np.testing.assert_array_equal(music.transpose(GRID, 2)[3], [71, 0, 59, 47])
    assert music.transpose(GRID, -10) is None  # the bass would fall below C2


def test_sample_draws_from_the_tempered_distribution():
    p = np.array([0.7, 0.2, 0.1, 0.0])
    rng = np.random.default_rng(0)
    for temperature in (1.0, 0.5, 2.0):
        draws = music.sample(np.tile(p, (20000, 1)), temperature, rng)
        assert draws.shape == (20000,) and not (draws == 3).any()
        tempered = p ** (1 / temperature) / (p ** (1 / temperature)).sum()
        np.testing.assert_allclose(np.bincount(draws, minlength=4) / 20000, tempered, atol=0.015)
    cold = music.sample(np.tile(p, (500, 2, 1)), 0.05, rng)
    assert cold.shape == (500, 2) and (cold == 0).all()
    with pytest.raises(ValueError, match="positive"):
        music.sample(p, 0, rng)


def test_midi_file_reads_back(tmp_path):
    import pretty_midi

    path = music.notes_to_midi(grid_to_notes(GRID, 0.25), tmp_path / "out" / "tiny.mid")
    midi = pretty_midi.PrettyMIDI(str(path))
    assert [t.name for t in midi.instruments] == list(music.VOICES)
    assert sum(len(t.notes) for t in midi.instruments) == 9
    np.testing.assert_array_equal(music.read_midi_grid(path, 0.25), GRID)


def test_synthesize_is_short_bounded_audio():
    notes = grid_to_notes(GRID, 0.25)
    audio = music.synthesize(notes, rate=8000)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert len(audio) == pytest.approx((5 * 0.25 + 0.2) * 8000, abs=2)
    assert 0.5 < np.abs(audio).max() <= 0.8 + 1e-6
    assert len(music.synthesize(notes, rate=8000, seconds=0.5)) == 4001
    with pytest.raises(ValueError, match="rate"):
        music.synthesize(notes, rate=100)


def test_plots_and_texture():
    ax = music.plot_piano_roll(np.tile(GRID, (8, 1)), seed_steps=8, title="t")
    assert len(ax.patches) > 0
    assert music.plot_grid(GRID).get_yticklabels()[0].get_text() == "soprano"
    stats = music.texture(GRID)
    assert stats["held_steps"] == pytest.approx(10 / 16)
    assert stats["voice_crossings"] == 0.0


apply_right = SOLUTION["apply_temperature"]


def test_check_temperature(capsys):
    check.temperature(apply_right)
    assert capsys.readouterr().out.startswith("Passed:")

    def stub(p, temperature):
        raise NotImplementedError

    with pytest.raises(CheckFailed, match="not written yet"):
        check.temperature(stub)
    with pytest.raises(CheckFailed, match="multiplied"):
        check.temperature(lambda p, t: apply_right(p, 1 / t))
    with pytest.raises(CheckFailed, match="sum to"):
        check.temperature(lambda p, t: np.asarray(p) ** (1 / t))
    with pytest.raises(CheckFailed, match="NaN"):
        check.temperature(lambda p, t: np.full_like(p, np.nan))


def test_check_grid_to_notes(capsys):
    check.grid_to_notes(grid_to_notes)
    assert capsys.readouterr().out.startswith("Passed:")

    def stub(grid, step_seconds):
        raise NotImplementedError

    def per_step(grid, step_seconds):
        return [
            (v, int(grid[t, v]), t * step_seconds, (t + 1) * step_seconds)
            for t in range(len(grid))
            for v in range(4)
            if grid[t, v]
        ]

    def with_rests(grid, step_seconds):
        return grid_to_notes(grid, step_seconds) + [(1, 0, 1.5, 2.5)]

    def in_steps(grid, step_seconds):
        return grid_to_notes(grid, 1.0)

    with pytest.raises(CheckFailed, match="not written yet"):
        check.grid_to_notes(stub)
    with pytest.raises(CheckFailed, match="one held note"):
        check.grid_to_notes(per_step)
    with pytest.raises(CheckFailed, match="rest"):
        check.grid_to_notes(with_rests)
    with pytest.raises(CheckFailed, match="step_seconds"):
        check.grid_to_notes(in_steps)


def test_sampled_music_round_trips_through_midi(tmp_path):
    """A generated piece (tokens drawn from random distributions, as when composing) makes
    a valid MIDI file that reads back to the same grid."""
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(64, 4, music.VOCAB)) * 3
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    tokens = np.repeat(music.sample(probs, 0.7, rng), 2, axis=0)  # held for two steps each
    grid = music.decode(tokens)
    grid[-1] = np.maximum(grid[-1], music.LOWEST)  # end on sounding notes (MIDI stores no silence)
    path = music.notes_to_midi(grid_to_notes(grid, 0.15), tmp_path / "composed.mid")
    np.testing.assert_array_equal(music.read_midi_grid(path, 0.15), grid)


# ----------------------------------------------------------------------------- composing step


@pytest.fixture(scope="module")
def small_model():
    return music.build_chorale_lstm(units=8, embed=3, seed=1)


def step_solution(small_model):
    """The instructor notebook's compose_step, on the small model's layers."""
    ns = solution_namespace(
        "07_music_composition", "compose-step", "import numpy as np\nfrom helpers import music"
    )
    ns.update(lstm_step=small_model["lstm_step"], heads=small_model["heads"])
    return ns["compose_step"]


def test_build_chorale_lstm_step_equals_the_full_run(small_model):
    tokens = music.encode(music.random_chorale(np.random.default_rng(0), 10))[None]
    h_seq, h, c = (np.asarray(x) for x in small_model["context"](tokens[:, :-1]))
    h_next, _ = small_model["lstm_step"]([tokens[:, -4:], h, c])
    full = np.asarray(small_model["context"](tokens)[0])
    np.testing.assert_allclose(np.asarray(h_next), full[:, -1], atol=1e-5)
    probs = np.asarray(small_model["model"]((tokens[:, :-1], tokens[:, 1:])))
    assert probs.shape == (1, 9, 4, music.VOCAB)
    assert probs.max() > 0.3  # large output weights: far from uniform


def test_random_chorale_keeps_every_voice_in_range():
    grid = music.random_chorale(np.random.default_rng(3), 50)
    assert grid.shape == (50, 4)
    for v, (low, high) in enumerate(music.VOICE_RANGES):
        assert low <= grid[:, v].min() and grid[:, v].max() <= high


def test_voice_ranges_hold_the_corpus():
    chorales = music.load_chorales(limit=20)
    notes = np.concatenate(chorales.grids)
    for v, (low, high) in enumerate(music.VOICE_RANGES):
        sung = notes[:, v][notes[:, v] > 0]
        assert low <= sung.min() and sung.max() <= high


def test_longest_shared_run_finds_the_copied_passage():
    rng = np.random.default_rng(4)
    others = [music.random_chorale(rng, 40) for _ in range(3)]
    grid = music.random_chorale(rng, 30)
    grid[10:22] = others[2][5:17]
    assert music.longest_shared_run(grid, others) == (12, 2, 10, 5)
    assert music.longest_shared_run(grid, []) == (0, -1, 0, 0)
    assert music.longest_shared_run(others[1], others)[:3] == (40, 1, 0)


def test_check_compose_step_passes_on_the_solution(small_model, capsys):
    check.compose_step(step_solution(small_model), small_model["context"], small_model["model"])
    assert capsys.readouterr().out.startswith("Passed:")


def wrong_steps(small_model):
    """Typical mistakes, each made from the solution."""
    right = step_solution(small_model)
    lstm_step, heads = small_model["lstm_step"], small_model["heads"]

    def stub(recent, h, c, temperature, rng):
        raise NotImplementedError

    def fresh_state(recent, h, c, temperature, rng):
        return right(recent, np.zeros_like(h), np.zeros_like(c), temperature, rng)

    def old_state(recent, h, c, temperature, rng):
        chord, probs, _, _ = right(recent, h, c, temperature, rng)
        return chord, probs, h, c

    def no_temperature(recent, h, c, temperature, rng):
        return right(recent, h, c, 1.0, rng)

    def greedy(recent, h, c, temperature, rng):
        return right(recent, h, c, 1e-6, rng)

    def not_reading(recent, h, c, temperature, rng):
        chord = np.zeros((len(recent), 1, 4), "int32")
        probs = np.zeros((len(recent), 4, music.VOCAB))
        for v in range(4):
            probs[:, v] = np.asarray(heads([h[:, None], chord]))[:, 0, v]
            chord[:, 0, v] = music.sample(probs[:, v], temperature, rng)
        h, c = map(np.asarray, lstm_step([recent, h, c]))
        return chord[:, 0], probs, h, c

    def blind_heads(recent, h, c, temperature, rng):
        h, c = map(np.asarray, lstm_step([recent, h, c]))
        probs = np.asarray(heads([h[:, None], np.zeros((len(h), 1, 4), "int32")]))[:, 0]
        return music.sample(probs, temperature, rng), probs, h, c

    def oldest_first(recent, h, c, temperature, rng):
        return right(recent[:, ::-1], h, c, temperature, rng)

    return {
        "not written yet": stub,
        "does not carry the state": fresh_state,
        "the ones you were given": old_state,
        "temperature is not applied": no_temperature,
        "instead of taking the argmax": greedy,
        "without reading the newest chord": not_reading,
        "notes already drawn": blind_heads,
        "newest last": oldest_first,
    }


def test_check_compose_step_names_typical_mistakes(small_model):
    for message, step in wrong_steps(small_model).items():
        with pytest.raises(CheckFailed, match=message):
            check.compose_step(step, small_model["context"], small_model["model"])


# ----------------------------------------------------------------------------- own chorale


def write_chorale(grid, path):
    return music.notes_to_midi(grid_to_notes(grid, 0.15), path)


def test_check_own_chorale_passes_and_plays(tmp_path, capsys):
    rng = np.random.default_rng(6)
    train = {f"bwv{i}": music.random_chorale(rng, 80) for i in range(4)}
    mine = music.random_chorale(rng, 70)
    mine[-1] = np.maximum(mine[-1], 1)  # (random_chorale never rests)
    path = write_chorale(mine, tmp_path / "mine.mid")
    assert check.chorale_problems(path, train, 0.15) == []
    check.own_chorale(path, train, 0.15)
    out = capsys.readouterr().out
    assert out.startswith("Passed:") and "70 steps" in out and "Audio" in out


def test_check_own_chorale_says_what_is_wrong(tmp_path):
    rng = np.random.default_rng(7)
    train = [music.random_chorale(rng, 80) for _ in range(3)]
    mine = music.random_chorale(rng, 70)
    with pytest.raises(CheckFailed, match="not written yet"):
        check.own_chorale(None, train, 0.15)
    (tmp_path / "junk.mid").write_text("not midi")
    with pytest.raises(CheckFailed, match="pretty_midi cannot read"):
        check.own_chorale(tmp_path / "junk.mid", train, 0.15)
    with pytest.raises(CheckFailed, match="needs at least 64"):
        check.own_chorale(write_chorale(mine[:40], tmp_path / "short.mid"), train, 0.15)
    high_bass = mine.copy()
    high_bass[20:24, 3] = 72
    with pytest.raises(CheckFailed, match="the bass sings C5 at step 20, outside its range"):
        check.own_chorale(write_chorale(high_bass, tmp_path / "bass.mid"), train, 0.15)
    copy = mine.copy()
    copy[10:50] = train[1][0:40]
    with pytest.raises(CheckFailed, match="steps 10-49 are the same as steps 0-39 of training"):
        check.own_chorale(write_chorale(copy, tmp_path / "copy.mid"), train, 0.15)
    silent_alto = mine.copy()
    silent_alto[:, 1] = 0
    with pytest.raises(CheckFailed, match="3 tracks, not 4.*all four must sing"):
        check.own_chorale(write_chorale(silent_alto, tmp_path / "alto.mid"), train, 0.15)


def test_tune_bootstrap_resamples_whole_tunes():
    real = np.ones((4, 10, 4), bool)
    real[3, 5:] = False  # padding counts nowhere
    base = np.zeros_like(real)
    model = np.zeros_like(real)
    model[:2, :5] = True  # tune 0 (chorales 0 and 1): gains on half its steps
    tunes = [0, 0, 1, 2]
    out = music.tune_bootstrap(model, base, real, tunes, draws=500, seed=1)
    want = 2 * 5 / (3 * 10 + 5)
    np.testing.assert_allclose(out["gain"], want)
    assert out["gain"].shape == out["low"].shape == (5,)
    assert np.all(out["low"] <= out["gain"]) and np.all(out["gain"] <= out["high"])
    assert np.all(out["low"] == 0)  # draws without tune 0 gain nothing
    share = out["share_not_ahead"][0]
    assert 0.2 < share < 0.4  # P(tune 0 never drawn in 3 picks) = (2/3)^3 = 0.30
    with pytest.raises(ValueError, match="one entry per chorale"):
        music.tune_bootstrap(model, base, real, [0, 1])
    same = music.tune_bootstrap(model, model, real, tunes, draws=50)
    np.testing.assert_allclose(same["high"], 0.0)
    np.testing.assert_allclose(same["share_not_ahead"], 1.0)


def test_cross_entropy_per_voice_and_baseline_per_voice():
    X, Y, W = music.pad_chorales([GRID, GRID[:3]])
    probs = np.full(Y.shape + (music.VOCAB,), 0.5 / (music.VOCAB - 1))
    np.put_along_axis(probs, X[..., None], 0.5, axis=-1)
    report = music.next_step_report(probs, X, Y, W)
    assert report["cross_entropy_per_voice"].shape == (4,)
    assert report["cross_entropy_per_voice"].mean() == pytest.approx(report["cross_entropy"])
    train = [GRID, np.tile(GRID, (3, 1))]
    per_voice = music.repeat_last_cross_entropy(train, X, Y, W, per_voice=True)
    assert per_voice.shape == (4,)
    assert per_voice.mean() == pytest.approx(music.repeat_last_cross_entropy(train, X, Y, W))


def test_predict_both_ways_and_truncated_states(small_model):
    heads, context = small_model["heads"], small_model["context"]
    grids = [music.random_chorale(np.random.default_rng(i), n) for i, n in ((0, 14), (1, 9))]
    X, Y, W = music.pad_chorales(grids)
    h_full = np.asarray(context.predict(X, verbose=0)[0])
    own, given = music.predict_both_ways(heads, h_full, Y)
    np.testing.assert_allclose(given, heads.predict([h_full, Y], verbose=0), atol=1e-6)
    np.testing.assert_allclose(own[..., 0, :], given[..., 0, :], atol=1e-6)  # soprano: same
    own_choice = own.argmax(-1)
    np.testing.assert_allclose(  # the bass head is given the model's own upper voices
        own[..., 3, :], heads.predict([h_full, own_choice], verbose=0)[..., 3, :], atol=1e-6
    )
    k = 3
    h_cut = music.truncated_states(context, X, W, k, h_full, batch=5)
    np.testing.assert_allclose(h_cut[:, :k], h_full[:, :k])  # short histories: nothing cut
    for chorale, t in ((0, 5), (0, 12), (1, 7)):
        alone = np.asarray(context(X[chorale : chorale + 1, t - k + 1 : t + 1])[1])[0]
        np.testing.assert_allclose(h_cut[chorale, t], alone, atol=1e-5)
    assert not np.allclose(h_cut[0, 12], h_full[0, 12])
    np.testing.assert_allclose(h_cut[1, 9:], h_full[1, 9:])  # padding untouched
    long = music.truncated_states(context, X, W, 50, h_full)
    np.testing.assert_allclose(long, h_full)
    with pytest.raises(ValueError, match="at least 1"):
        music.truncated_states(context, X, W, 0, h_full)
    with pytest.raises(ValueError, match="share"):
        music.predict_both_ways(heads, h_full[:, :3], Y)


def test_mean_texture_and_shared_pitch_range():
    stats = music.mean_texture([GRID, GRID[:3]])
    assert stats["held_steps"] == pytest.approx(
        (music.texture(GRID)["held_steps"] + music.texture(GRID[:3])["held_steps"]) / 2
    )
    with pytest.raises(ValueError, match="at least one"):
        music.mean_texture([])
    ax = music.plot_piano_roll(GRID, pitch_range=(40, 80))
    assert ax.get_ylim() == (38, 87)
