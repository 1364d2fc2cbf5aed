"""Checks of unit 07's exercises: grid to notes, the temperature of a distribution, one
composing step that carries the LSTM state, and a chorale of the student's own.

The expected notes and distributions on the checks' fixed inputs are shipped as values in
`expected_values.json`, computed by the instructor tools from the instructor notebook. The
composing step is compared with the model's own full re-run over the piece; the chorale is
checked against rules (a readable MIDI file, four voices in range, long enough, no copy).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helpers import music
from helpers.checks import call_student, expected_values, fail, passed


def temperature(apply: Callable[[np.ndarray, float], Any]) -> None:
    """Exercise `temperature`: apply(probabilities, temperature) -> reshaped distributions."""
    values = expected_values("temperature")
    p = np.asarray(values["probabilities"], dtype=np.float64)
    for case in values["cases"]:
        t = case["temperature"]
        want, inverse = np.asarray(case["expected"]), np.asarray(case["inverse"])
        got = call_student(apply, p.copy(), t, what="apply_temperature")
        if got is None:
            fail("apply_temperature returned None: did you forget to `return` the result?")
        got = np.asarray(got, dtype=np.float64)
        if got.shape != p.shape:
            fail(
                f"for probabilities of shape {p.shape} you returned shape {got.shape}: "
                "reshape every row (the last axis) and keep the shape."
            )
        if not np.all(np.isfinite(got)):
            fail(
                f"at temperature {t} the result holds NaN or infinity: a probability "
                "can be 0, so take the log of max(p, a tiny number) or add a tiny number."
            )
        if not np.allclose(got.sum(axis=-1), 1.0, atol=1e-6):
            fail(
                f"at temperature {t} the rows sum to {np.round(got.sum(-1), 4)}, not 1: "
                "normalise with a softmax over the last axis."
            )
        if not np.allclose(got, want, atol=1e-4):
            hint = ""
            if t != 1.0 and np.allclose(got, inverse, atol=1e-4):
                hint = " You multiplied by the temperature: divide the log-probabilities by it."
            fail(
                f"at temperature {t} the first row is {np.round(got[0], 3)}, expected "
                f"{np.round(want[0], 3)}: compute softmax(log(p) / temperature).{hint}"
            )
    top = {case["temperature"]: case["expected"][0][0] for case in values["cases"]}
    passed(
        f"temperature 1 keeps the distribution, below 1 sharpens it (top note {top[0.5]:.2f} "
        f"at 0.5), above 1 flattens it ({top[2.0]:.2f} at 2)."
    )


def grid_to_notes(to_notes: Callable[[np.ndarray, float], Any]) -> None:
    """Exercise `to-notes`: to_notes(grid, step_seconds) -> [(voice, pitch, start, end)]."""
    values = expected_values("to-notes")
    grid = np.asarray(values["grid"], dtype=np.int16)
    want = sorted(tuple(n) for n in values["notes"])
    got = call_student(to_notes, grid.copy(), values["step_seconds"], what="grid_to_notes")
    if got is None:
        fail("grid_to_notes returned None: did you forget to `return` the list of notes?")
    try:
        got = sorted((int(v), int(p), float(s), float(e)) for v, p, s, e in got)
    except (TypeError, ValueError):
        fail("return a list of (voice, pitch, start, end) tuples, e.g. [(0, 67, 0.0, 1.0), ...].")
    if any(p == 0 for _, p, _, _ in got):
        fail("a pitch of 0 is a rest: rests make no note, leave them out.")
    if len(got) > len(want):
        fail(
            f"you made {len(got)} notes, expected {len(want)}: a pitch that a voice keeps on "
            "consecutive steps is one held note, not one note per step."
        )
    if len(got) < len(want):
        fail(f"you made {len(got)} notes, expected {len(want)}: did you miss the last note?")
    for mine, right in zip(got, want, strict=True):
        if not (mine[:2] == right[:2] and np.allclose(mine[2:], right[2:])):
            fail(
                f"found {mine}, expected {right} (voice, pitch, start s, end s): start and end are "
                "step numbers times step_seconds, and the end is where the next note begins."
            )
    passed(f"{len(want)} notes from a {len(grid)}-step grid, rests skipped, holds merged.")


def _unpack_step(out: Any, batch: int, units: int) -> tuple[np.ndarray, ...]:
    if out is None:
        fail("compose_step returned None: `return chord, probs, h, c` at the end.")
    try:
        chord, probs, h, c = out
    except (TypeError, ValueError):
        fail("compose_step should return four things: `return chord, probs, h, c`.")
    chord, probs, h, c = (np.asarray(x) for x in (chord, probs, h, c))
    wanted = {
        "chord": (chord, (batch, 4)),
        "probs": (probs, (batch, 4, music.VOCAB)),
        "h": (h, (batch, units)),
        "c": (c, (batch, units)),
    }
    for name, (value, shape) in wanted.items():
        if value.shape != shape:
            fail(
                f"{name} has shape {value.shape}, expected {shape} for a batch of {batch} "
                "pieces: chord (batch, 4) tokens, probs (batch, 4, VOCAB), h and c (batch, UNITS)."
            )
    if chord.min() < 0 or chord.max() >= music.VOCAB or not np.all(chord == np.round(chord)):
        fail(
            f"chord should hold whole tokens 0..{music.VOCAB - 1}; "
            f"got {chord.min()}..{chord.max()}."
        )
    return chord.astype("int32"), probs.astype("float64"), h, c


def _voice_names(voices: Sequence[int]) -> str:
    return ", ".join(music.VOICES[v] for v in voices)


def compose_step(step: Callable[..., Any], context: Any, model: Any, *, steps: int = 6) -> None:
    """Exercise `compose-step`: step(recent, h, c, temperature, rng) -> (chord, probs, h, c).

    Composes a few steps from a fixed random seed, carrying the state that `step` returns,
    and compares every distribution with the full model run over the finished piece (as in
    training); then checks what the temperature does to the draws."""
    rng = np.random.default_rng(11)
    batch, start = 6, 8
    seed = np.stack([music.encode(music.random_chorale(rng, start)) for _ in range(batch)])
    _, h0, c0 = (np.asarray(x) for x in context(seed[:, :-1], training=False))
    units = h0.shape[-1]

    def call(tokens, h, c, temperature, seed_=0):
        out = call_student(
            step, tokens[:, -4:].copy(), h.copy(), c.copy(), temperature,
            np.random.default_rng(seed_), what="compose_step",
        )  # fmt: skip
        return _unpack_step(out, len(tokens), units)

    _, probs, h1, c1 = call(seed, h0, c0, 1.0)
    _, probs_zero, _, _ = call(seed, np.zeros_like(h0), np.zeros_like(c0), 1.0)
    if np.allclose(probs[:, 0], probs_zero[:, 0], atol=1e-6):
        fail(
            "your step gives the same soprano distribution whatever state (h, c) it is given: "
            "it does not carry the state. Start the LSTM from the h and c passed in "
            "(lstm_step([recent, h, c])), not from zeros or a fresh state."
        )
    if np.allclose(h1, h0) and np.allclose(c1, c0):
        fail(
            "the h and c you return are the ones you were given: return the new state that "
            "lstm_step gives, so that the next step carries the chord just read."
        )

    tokens, got = seed.copy(), []
    h, c = h0, c0
    for _ in range(steps):
        chord, probs, h, c = call(tokens, h, c, 1.0)
        got.append(probs)
        tokens = np.concatenate([tokens, chord[:, None]], axis=1)
    got = np.stack(got, axis=1)  # (batch, steps, 4, VOCAB)
    rerun = np.asarray(model((tokens[:, :-1], tokens[:, 1:]), training=False), "float64")
    rerun = rerun[:, start - 1 :]
    wrong = np.abs(got - rerun).max(axis=(0, 3)) > 1e-4  # (steps, 4)
    if wrong.any():
        k = int(np.argmax(wrong.any(axis=1)))
        voices = np.flatnonzero(wrong[k]).tolist()
        where = f"at composed step {k + 1} of {steps}"
        if 0 not in voices:
            fail(
                f"{where} the soprano's distribution is right but not the "
                f"{_voice_names(voices)}'s: each head must see the notes already drawn for "
                "the voices above. Draw the soprano, put it into the chord, then call heads "
                "again for the alto, and so on."
            )
        before = np.asarray(model((tokens[:, : start - 1], tokens[:, 1:start]), training=False))
        if k == 0 and np.allclose(got[:, 0, 0], before[:, -1, 0], atol=1e-4):
            fail(
                f"{where} your distributions are the ones for the chord before: the step "
                "predicted from the state it was given without reading the newest chord. First "
                "feed the last four chords with lstm_step([recent, h, c]), then call the heads "
                "with the new h."
            )
        if k > 0:
            fail(
                f"{where} the distributions differ from the full model run over the piece (the "
                "first steps were right): the state is not carried from step to step. Return "
                "the new (h, c) of lstm_step; the next call gets them."
            )
        fail(
            f"{where} the distributions differ from the full model run over the piece (largest "
            f"difference {np.abs(got - rerun)[:, 0].max():.2g}): feed lstm_step the last four "
            "chords as given (`recent`, newest last) with the h and c passed in, then call heads "
            "with the new h (shape (batch, 1, UNITS)) and the chord drawn so far."
        )

    cold_share, hot_share = [], []
    for temperature, shares in ((1e-3, cold_share), (100.0, hot_share)):
        tokens, h, c = seed.copy(), h0, c0
        for k in range(3):
            chord, probs, h, c = call(tokens, h, c, temperature, seed_=k + 1)
            picked = np.take_along_axis(probs, chord[..., None], axis=-1)[..., 0]
            shares.append(picked >= 0.97 * probs.max(axis=-1))  # (batch, 4): the top note
            tokens = np.concatenate([tokens, chord[:, None]], axis=1)
    cold, hot = float(np.mean(cold_share)), float(np.mean(hot_share))
    if cold < 1.0:
        fail(
            f"at temperature 0.001 every draw should be the most likely note, but {1 - cold:.0%} "
            "of yours are not: the temperature is not applied. Draw with "
            "music.sample(p, temperature, rng) (or your apply_temperature), dividing log p by it."
        )
    if hot > 0.5:
        fail(
            f"at temperature 100 the draws should be nearly uniform, but {hot:.0%} of yours are "
            "the most likely note: draw at random from the tempered distribution "
            "(music.sample(p, temperature, rng)) instead of taking the argmax."
        )
    passed(
        f"{steps} steps carrying (h, c) give the full re-run's distributions for all four voices "
        f"(to 1e-4); temperature 0.001 always draws the top note, temperature 100 only {hot:.0%}."
    )


def chorale_problems(
    path: Any, train: Mapping[str, np.ndarray] | Sequence[np.ndarray], step_seconds: float
) -> list[str]:
    """What keeps a MIDI file from counting as a chorale of one's own, in plain words (an
    empty list when nothing does): pretty_midi must read it, with four tracks (S, A, T, B), so
    all four voices sing; at least `music.MIN_CHORALE_STEPS` steps; every note in its voice's range
    (`music.VOICE_RANGES`); no more than `music.COPY_STEPS` steps in a row equal to a training
    chorale."""
    import pretty_midi

    names, grids = (list(train), list(train.values())) if isinstance(train, Mapping) else (
        [f"training chorale {i}" for i in range(len(train))], list(train)
    )  # fmt: skip
    path = Path(path)
    try:
        midi = pretty_midi.PrettyMIDI(str(path))
    except Exception as exc:  # missing, not MIDI, damaged
        return [
            f"pretty_midi cannot read {path.name} ({type(exc).__name__}: {exc}): write it with "
            "music.notes_to_midi(grid_to_notes(grid, STEP_SECONDS), path) and pass its path."
        ]
    if len(midi.instruments) != 4:
        return [
            f"{path.name} has {len(midi.instruments)} tracks, not 4: one per voice (soprano, alto, "
            "tenor, bass), as music.notes_to_midi writes them; a voice that sings no note "
            "leaves no track, and all four must sing."
        ]
    problems = []
    grid = music.read_midi_grid(path, step_seconds)
    if len(grid) < music.MIN_CHORALE_STEPS:
        problems.append(
            f"the piece lasts {len(grid)} steps; a chorale of your own needs at least "
            f"{music.MIN_CHORALE_STEPS} ({music.MIN_CHORALE_STEPS // music.STEPS_PER_BAR} bars): "
            "compose more steps (or check that step_seconds matches the file)."
        )
    for v, (low, high) in enumerate(music.VOICE_RANGES):
        sung = grid[:, v][grid[:, v] > 0]
        outside = sung[(sung < low) | (sung > high)]
        if outside.size:
            t = int(
                np.flatnonzero((grid[:, v] > 0) & ((grid[:, v] < low) | (grid[:, v] > high)))[0]
            )
            problems.append(
                f"the {music.VOICES[v]} sings {music.note_name(int(outside[0]))} at step {t}, "
                f"outside its range {music.note_name(low)}-{music.note_name(high)}: compose "
                "with a lower temperature, or another rng seed."
            )
    length, which, at, there = music.longest_shared_run(grid, grids)
    if length > music.COPY_STEPS:
        problems.append(
            f"steps {at}-{at + length - 1} are the same as steps {there}-{there + length - 1} of "
            f"{names[which]} ({length} steps in a row; more than {music.COPY_STEPS} is a copy): "
            "seed from a chorale the model did not train on, and compose with a temperature "
            "near 1 (low temperatures replay what the model learned by heart)."
        )
    return problems


def own_chorale(
    path: Any,
    train: Mapping[str, np.ndarray] | Sequence[np.ndarray],
    step_seconds: float,
    *,
    rate: int = 4000,
) -> None:
    """Exercise `own-chorale`: validate the student's MIDI file, then play the whole piece."""
    if path is None:
        fail(
            "your chorale is not written yet: compose it and set my_midi to the path "
            "music.notes_to_midi returns."
        )
    problems = chorale_problems(path, train, step_seconds)
    if problems:
        fail(" Also: ".join(problems))
    import pretty_midi
    from IPython.display import Audio, display

    grids = list(train.values()) if isinstance(train, Mapping) else list(train)
    grid = music.read_midi_grid(path, step_seconds)
    length = music.longest_shared_run(grid, grids)[0]
    passed(
        f"{Path(path).name}: four voices in range, {len(grid)} steps "
        f"({len(grid) / music.STEPS_PER_BAR:g} bars), at most {length} steps in a row shared "
        "with a training chorale. Listen:"
    )
    tracks = pretty_midi.PrettyMIDI(str(path)).instruments
    notes = [
        (v, int(note.pitch), float(note.start), float(note.end))
        for v, track in enumerate(tracks)
        for note in track.notes
    ]
    display(Audio(music.synthesize(notes, rate), rate=rate))
