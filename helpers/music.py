"""Unit 07: Bach chorales on a time grid, MIDI, audio, piano rolls and the exercise checks.

A chorale becomes a grid of shape (T, 4): one row per sixteenth note, one column per voice
(soprano, alto, tenor, bass), each cell the MIDI pitch that voice sounds then (0 = rest).
This is the representation of the classic JSB-chorales data set. For the model every pitch
becomes a token: 0 for a rest, 1 ... 46 for the MIDI pitches 36 ... 81.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from helpers.data import cache_dir, course_root
from helpers.quiz import Question

VOICES = ("soprano", "alto", "tenor", "bass")
LOWEST, HIGHEST = 36, 81  # MIDI pitches: C2 ... A5, the range of all four voices in the corpus
VOCAB = HIGHEST - LOWEST + 2  # rest + every pitch in the range
STEP_QUARTERS = 0.25  # one grid step = a sixteenth note
STEPS_PER_BAR = 16  # in 4/4
CACHE_VERSION = 1
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


# ----------------------------------------------------------------------------- corpus


@dataclass
class Chorales:
    """The parsed chorales: names and grids of MIDI pitches, and what the parse cost."""

    names: list[str]
    grids: list[np.ndarray]  # each (T, 4) int, MIDI pitch or 0 for a rest
    parse_seconds: float  # how long parsing the music21 corpus took when the cache was made
    load_seconds: float  # how long this call took
    from_cache: bool
    cache_file: Path
    skipped: dict[str, str] = field(default_factory=dict)  # name -> why it was left out

    def __len__(self) -> int:
        return len(self.grids)

    def by_name(self, name: str) -> np.ndarray:
        return self.grids[self.names.index(name)]


def note_name(pitch: int) -> str:
    """'C4' for MIDI 60, '-' for a rest (0)."""
    if pitch == 0:
        return "-"
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def chorale_paths(limit: int | None = None) -> list[Path]:
    """The Bach chorale files music21 ships (MusicXML), sorted by name; the first `limit`."""
    from music21 import corpus

    paths = sorted(
        (Path(p) for p in corpus.getComposer("bach") if Path(p).suffix in (".mxl", ".xml")),
        key=lambda p: p.stem,
    )
    if not paths:
        raise FileNotFoundError(
            "music21's corpus holds no Bach chorales here. Reinstall music21 "
            "(pip install music21): its corpus ships them."
        )
    return paths if limit is None else paths[:limit]


def score_to_grid(score: Any, step: float = STEP_QUARTERS) -> np.ndarray:
    """A four-part music21 score as a (T, 4) grid of MIDI pitches (0 = rest).

    Every note fills the grid cells from its start to its end; tied notes therefore join,
    and a chord inside one part (rare) keeps its highest pitch.
    """
    parts = list(score.parts)
    if len(parts) != 4:
        raise ValueError(f"score has {len(parts)} parts; a grid needs exactly 4 (S, A, T, B).")
    steps = int(round(float(score.highestTime) / step))
    grid = np.zeros((steps, 4), dtype=np.int16)
    for voice, part in enumerate(parts):
        for note in part.flatten().notes:
            start = int(round(float(note.offset) / step))
            end = int(round(float(note.offset + note.quarterLength) / step))
            grid[start:end, voice] = max(p.midi for p in note.pitches)
    return grid


def _parse_corpus(paths: Sequence[Path], step: float) -> tuple[list[str], list[np.ndarray], dict]:
    from music21 import corpus

    names, grids, skipped, seen = [], [], {}, {}
    for path in paths:
        score = corpus.parse(str(path))
        if len(score.parts) != 4:
            skipped[path.stem] = f"{len(score.parts)} parts, not 4"
            continue
        grid = score_to_grid(score, step)
        notes = grid[grid > 0]
        if notes.size == 0 or notes.min() < LOWEST or notes.max() > HIGHEST:
            skipped[path.stem] = "pitches outside the model's range"
            continue
        key = hashlib.sha1(grid.tobytes()).hexdigest()
        if key in seen:  # the corpus holds a few chorales twice under two numbers
            skipped[path.stem] = f"same notes as {seen[key]}"
            continue
        seen[key] = path.stem
        names.append(path.stem)
        grids.append(grid)
    return names, grids, skipped


def _cache_file(paths: Sequence[Path], step: float) -> Path:
    import music21

    key = json.dumps([CACHE_VERSION, music21.__version__, step, [p.name for p in paths]]).encode()
    digest = hashlib.sha256(key).hexdigest()[:12]
    return cache_dir() / "bach-chorales" / f"grid-{len(paths)}-{digest}.npz"


def _write_atomically(path: Path, arrays: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        os.replace(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)


def load_chorales(limit: int | None = None, *, step: float = STEP_QUARTERS) -> Chorales:
    """Bach's four-part chorales from music21's corpus as grids, cached after the first parse.

    `limit` takes only the first files (fast mode). Parsing MusicXML is slow (tens of
    seconds for the whole corpus), so the grids are saved in the course's data cache
    (`helpers.data.cache_dir()`), written atomically; the next call reads them back.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be a positive number of files or None, not {limit}.")
    start = time.perf_counter()
    paths = chorale_paths(limit)
    target = _cache_file(paths, step)
    if target.is_file():
        try:
            with np.load(target, allow_pickle=False) as data:
                names = [str(n) for n in data["names"]]
                bounds = np.cumsum(data["lengths"])[:-1]
                grids = np.split(data["notes"].astype(np.int16), bounds)
                meta = json.loads(str(data["meta"]))
            return Chorales(
                names=names,
                grids=grids,
                parse_seconds=float(meta["parse_seconds"]),
                load_seconds=time.perf_counter() - start,
                from_cache=True,
                cache_file=target,
                skipped=meta["skipped"],
            )
        except (OSError, KeyError, ValueError) as exc:  # damaged cache: parse again
            print(f"The cached chorales in {target} are unreadable ({exc}); parsing again.")
    names, grids, skipped = _parse_corpus(paths, step)
    parse_seconds = time.perf_counter() - start
    meta = {"parse_seconds": parse_seconds, "skipped": skipped, "step": step}
    _write_atomically(
        target,
        {
            "names": np.array(names),
            "lengths": np.array([len(g) for g in grids]),
            "notes": np.concatenate(grids).astype(np.int16),
            "meta": np.array(json.dumps(meta)),
        },
    )
    return Chorales(
        names=names,
        grids=grids,
        parse_seconds=parse_seconds,
        load_seconds=time.perf_counter() - start,
        from_cache=False,
        cache_file=target,
        skipped=skipped,
    )


def split_by_chorale(
    names: Sequence[str], fractions: tuple[float, float] = (0.15, 0.15), seed: int = 7
) -> dict[str, list[str]]:
    """Shuffle whole chorales (never bits of one) into train / valid / test name lists."""
    valid_frac, test_frac = fractions
    if not (0 < valid_frac < 1 and 0 < test_frac < 1 and valid_frac + test_frac < 1):
        raise ValueError(
            f"fractions {fractions} should be two shares between 0 and 1 (validation, test) "
            "that leave some chorales for training."
        )
    order = sorted(names)
    np.random.default_rng(seed).shuffle(order)
    n_test = max(1, round(len(order) * test_frac))
    n_valid = max(1, round(len(order) * valid_frac))
    if n_test + n_valid >= len(order):
        raise ValueError(f"{len(order)} chorales are too few to split three ways.")
    return {
        "train": sorted(order[n_test + n_valid :]),
        "valid": sorted(order[n_test : n_test + n_valid]),
        "test": sorted(order[:n_test]),
    }


# ----------------------------------------------------------------------------- tokens


def _check_grid(grid: Any, name: str = "grid") -> np.ndarray:
    grid = np.asarray(grid)
    if grid.ndim != 2 or grid.shape[1] != 4:
        raise ValueError(
            f"{name} should have shape (time steps, 4): one column per voice (S, A, T, B), "
            f"but has shape {grid.shape}."
        )
    return grid


def encode(grid: Any) -> np.ndarray:
    """MIDI pitches (0 = rest) to tokens 0 ... VOCAB-1 (0 = rest)."""
    grid = np.asarray(grid)
    bad = (grid != 0) & ((grid < LOWEST) | (grid > HIGHEST))
    if bad.any():
        raise ValueError(
            f"pitch {int(grid[bad][0])} is outside the range {LOWEST}..{HIGHEST} the model "
            "knows (0 is a rest); transpose the music into that range first."
        )
    return np.where(grid == 0, 0, grid - LOWEST + 1).astype(np.int32)


def decode(tokens: Any) -> np.ndarray:
    """Tokens back to MIDI pitches (0 = rest)."""
    tokens = np.asarray(tokens)
    if tokens.size and (tokens.min() < 0 or tokens.max() >= VOCAB):
        raise ValueError(f"tokens must lie in 0..{VOCAB - 1}; got {tokens.min()}..{tokens.max()}.")
    return np.where(tokens == 0, 0, tokens + LOWEST - 1).astype(np.int16)


def make_windows(
    grids: Sequence[np.ndarray], length: int, stride: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training pairs for next-step prediction, as tokens.

    Returns inputs X (n, length, 4), targets Y (n, length, 4) with Y[:, t] = X[:, t+1] of the
    same chorale, and weights W (n, length, 4): 1 for real targets, 0 where a chorale shorter
    than the window was padded with rests.
    """
    if length < 1 or stride < 1:
        raise ValueError(f"length and stride must be at least 1, not {length} and {stride}.")
    xs, ys, ws = [], [], []
    for grid in grids:
        tokens = encode(_check_grid(grid))
        if len(tokens) < 2:
            continue
        last_start = max(len(tokens) - length - 1, 0)
        starts = list(range(0, last_start + 1, stride))
        if starts[-1] != last_start:
            starts.append(last_start)  # keep the chorale's ending too
        for s in starts:
            piece = tokens[s : s + length + 1]
            n = len(piece) - 1
            x = np.zeros((length, 4), np.int32)
            y = np.zeros((length, 4), np.int32)
            w = np.zeros((length, 4), np.float32)
            x[:n], y[:n], w[:n] = piece[:-1], piece[1:], 1.0
            xs.append(x)
            ys.append(y)
            ws.append(w)
    return np.stack(xs), np.stack(ys), np.stack(ws)


def pad_chorales(grids: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole chorales for evaluation: tokens padded to the longest, as (X, Y, W) like
    `make_windows`, so that every step of every chorale after the first is predicted once."""
    longest = max(len(g) for g in grids) - 1
    return make_windows(grids, length=longest, stride=longest)


def repeat_last_accuracy(grids: Sequence[np.ndarray]) -> float:
    """The baseline: predict that every voice holds its note, i.e. step t+1 = step t."""
    same = np.concatenate([(g[1:] == g[:-1]).ravel() for g in grids])
    return float(same.mean())


def masked_accuracy(predicted: np.ndarray, target: np.ndarray, weights: np.ndarray) -> float:
    """Share of right tokens among the cells whose weight is 1."""
    mask = np.asarray(weights) > 0
    return float((np.asarray(predicted)[mask] == np.asarray(target)[mask]).mean())


def transpose(grid: np.ndarray, semitones: int) -> np.ndarray | None:
    """The chorale moved up or down; None if it would leave the model's pitch range."""
    grid = np.asarray(grid)
    moved = np.where(grid == 0, 0, grid + semitones)
    notes = moved[moved > 0]
    if notes.size and (notes.min() < LOWEST or notes.max() > HIGHEST):
        return None
    return moved.astype(np.int16)


# ----------------------------------------------------------------------------- sampling


def sample(probabilities: Any, temperature: float, rng: np.random.Generator) -> np.ndarray:
    """One token per distribution (last axis), drawn from softmax(log(p) / temperature).

    Drawn with the Gumbel-max trick: the argmax of log(p) / temperature plus Gumbel noise
    is a draw from that distribution, without computing it.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, not {temperature}.")
    logits = np.log(np.maximum(np.asarray(probabilities, dtype=np.float64), 1e-300))
    gumbel = -np.log(-np.log(rng.uniform(1e-300, 1.0, size=logits.shape)))
    return np.argmax(logits / temperature + gumbel, axis=-1)


# ----------------------------------------------------------------------------- notes, MIDI, audio


def notes_to_midi(notes: Sequence[tuple[int, int, float, float]], path: str | Path) -> Path:
    """Write notes as a MIDI file: one track per voice (choir aahs). Returns the path."""
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(initial_tempo=100.0)
    for voice, name in enumerate(VOICES):
        track = pretty_midi.Instrument(program=52, name=name)  # General MIDI 53: choir aahs
        track.notes = [
            pretty_midi.Note(velocity=80, pitch=int(p), start=float(s), end=float(e))
            for v, p, s, e in notes
            if v == voice
        ]
        midi.instruments.append(track)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    midi.write(str(path))
    return path


def output_dir() -> Path:
    """Where generated files go: build/music/ in the course checkout (ignored by git), else
    a folder in the data cache."""
    root = course_root()
    if (root / "notebooks").is_dir() and os.access(root, os.W_OK):
        return root / "build" / "music"
    return cache_dir() / "music"


def synthesize(
    notes: Sequence[tuple[int, int, float, float]], rate: int = 8000, seconds: float | None = None
) -> np.ndarray:
    """A soft organ-like rendering in NumPy (no FluidSynth): float32 samples in -1..1.

    Each note is a sum of a few harmonics with a short attack and release. `seconds` cuts
    the audio (keeps saved notebooks small).
    """
    if rate < 2000:
        raise ValueError(f"rate {rate} Hz is too low to hear music; use 8000 or more.")
    end = max((n[3] for n in notes), default=0.0) + 0.2
    if seconds is not None:
        end = min(end, seconds)
    audio = np.zeros(int(end * rate) + 1, np.float64)
    for _, pitch, start, stop in notes:
        if start >= end:
            continue
        stop = min(stop, end)
        n = int((stop - start) * rate)
        if n <= 0:
            continue
        t = np.arange(n) / rate
        freq = 440.0 * 2 ** ((pitch - 69) / 12)
        wave = sum(
            a * np.sin(2 * np.pi * k * freq * t)
            for k, a in ((1, 1.0), (2, 0.5), (3, 0.25), (4, 0.12))
            if k * freq < rate / 2
        )
        envelope = np.minimum(1.0, np.minimum(t / 0.02, (n / rate - t) / 0.05))
        i = int(start * rate)
        audio[i : i + n] += wave * envelope
    peak = np.abs(audio).max()
    return (audio / peak * 0.8 if peak > 0 else audio).astype(np.float32)


def read_midi_grid(path: str | Path, step_seconds: float = 0.15) -> np.ndarray:
    """Read a MIDI file written by `notes_to_midi` back into a (T, 4) grid."""
    import pretty_midi

    midi = pretty_midi.PrettyMIDI(str(path))
    if len(midi.instruments) != 4:
        raise ValueError(f"{path} has {len(midi.instruments)} tracks, expected 4 (S, A, T, B).")
    steps = int(round(midi.get_end_time() / step_seconds))
    grid = np.zeros((steps, 4), np.int16)
    for voice, track in enumerate(midi.instruments):
        for note in track.notes:
            a = int(round(note.start / step_seconds))
            b = int(round(note.end / step_seconds))
            grid[a:b, voice] = note.pitch
    return grid


# ----------------------------------------------------------------------------- plots


VOICE_COLORS = ("C3", "C1", "C2", "C0")


def plot_piano_roll(
    grid: Any,
    *,
    ax=None,
    title: str = "",
    seed_steps: int | None = None,
    step_seconds: float | None = None,
):
    """Piano roll of a (T, 4) grid: time across, pitch up, one colour per voice.

    Bar lines every 16 steps (4/4); `seed_steps` shades the part the model was given.
    """
    import matplotlib.pyplot as plt

    grid = _check_grid(grid)
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 3.6))
    for step, voice in zip(*np.nonzero(grid), strict=True):  # one box per step and voice
        pitch, color = grid[step, voice], VOICE_COLORS[voice]
        ax.add_patch(plt.Rectangle((step, pitch - 0.4), 1, 0.8, color=color, alpha=0.85, lw=0))
    for bar in range(0, len(grid) + 1, STEPS_PER_BAR):
        ax.axvline(bar, color="0.85", lw=0.8, zorder=0)
    if seed_steps:
        ax.axvspan(0, seed_steps, color="0.9", zorder=-1)
        ax.text(
            seed_steps / 2, 0.98, "seed", ha="center", va="top", transform=ax.get_xaxis_transform()
        )
    notes = grid[grid > 0]
    low, high = (notes.min(), notes.max()) if notes.size else (LOWEST, HIGHEST)
    ax.set_xlim(0, len(grid))
    ax.set_ylim(low - 2, high + 7)  # room for the legend above the highest note
    ticks = [p for p in range(low - 2, high + 3) if p % 12 == 0]
    ax.set_yticks(ticks, [note_name(p) for p in ticks])
    xlabel = "time step (sixteenth notes; grey lines = bars)"
    if step_seconds:
        xlabel += f", {step_seconds:g} s each"
    ax.set_xlabel(xlabel)
    ax.set_ylabel("pitch")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in VOICE_COLORS]
    ax.legend(handles, VOICES, loc="upper right", fontsize=8, ncol=4)
    ax.set_title(title)
    return ax


def plot_grid(grid: Any, *, title: str = "", ax=None):
    """The representation itself: the grid as a table of MIDI pitches, one row per voice."""
    import matplotlib.pyplot as plt

    grid = _check_grid(grid)
    if ax is None:
        _, ax = plt.subplots(figsize=(min(1 + 0.36 * len(grid), 14), 2.2))
    changed = np.vstack([np.ones((1, 4), bool), grid[1:] != grid[:-1]]).T
    ax.imshow(changed, cmap="Blues", vmin=-0.6, vmax=1.6, aspect="auto")
    for voice in range(4):
        for t in range(len(grid)):
            ax.text(t, voice, str(grid[t, voice]), ha="center", va="center", fontsize=7)
    ax.set_yticks(range(4), VOICES)
    ax.set_xticks(range(0, len(grid), 4))
    ax.set_xlabel("time step (sixteenth note); dark cell = a new note starts")
    for beat in range(0, len(grid) + 1, 4):
        ax.axvline(beat - 0.5, color="k", lw=0.6 if beat % STEPS_PER_BAR else 1.6)
    ax.set_title(title)
    return ax


def texture(grid: Any) -> dict[str, float]:
    """A few numbers that describe how a grid sounds: how often a voice holds its note,
    how far voices leap, and how often two voices cross."""
    grid = _check_grid(grid).astype(int)
    steps = grid[1:] != grid[:-1]
    sounding = (grid[1:] > 0) & (grid[:-1] > 0) & steps
    leaps = np.abs(grid[1:] - grid[:-1])[sounding]
    crossed = (np.diff(grid, axis=1) > 0) & (grid[:, 1:] > 0) & (grid[:, :-1] > 0)
    return {
        "held_steps": float(1 - steps.mean()),
        "mean_leap": float(leaps.mean()) if leaps.size else 0.0,
        "voice_crossings": float(crossed.any(axis=1).mean()),
    }


# ----------------------------------------------------------------------------- knowledge check


QUESTIONS = [
    Question(
        id="q1",
        prompt="Which statement best describes the key idea of a recurrent neural network?",
        choices={
            "a": "It has recurrent features that appear in many inputs.",
            "b": "It has memory: a hidden state carries earlier inputs forward, so they "
            "influence the current output.",
            "c": "It connects every feature to every other feature in a loop.",
            "d": "It has no memory; each time step is predicted on its own.",
        },
    ),
    Question(
        id="q2",
        prompt="Which statement about LSTMs is true?",
        choices={
            "a": "They are RNNs with faster feedback loops.",
            "b": "Their gates are an update gate and a reset gate.",
            "c": "They are special RNNs that handle long-term dependencies well, thanks to a "
            "gated cell state.",
            "d": "Their advantage over plain RNNs is only theoretical.",
        },
    ),
    Question(
        id="q3",
        prompt="You sample the next step with temperature 0.2 instead of 1.0. What happens?",
        choices={
            "a": "The model is retrained to be more careful.",
            "b": "Sampling nearly always picks the most likely note: safe, repetitive music.",
            "c": "Unlikely notes become more likely: adventurous, often wrong music.",
            "d": "Nothing: temperature only changes the training loss.",
        },
    ),
]
