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
# Each voice's lowest and highest MIDI pitch in the whole corpus (S, A, T, B): the ranges a
# composed chorale must keep to.
VOICE_RANGES = ((57, 81), (53, 74), (48, 69), (36, 64))
MIN_CHORALE_STEPS = 64  # a chorale of your own: at least four bars
COPY_STEPS = 32  # more than two bars identical with a training chorale counts as a copy


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


def melody(grid: Any) -> np.ndarray:
    """The soprano's tune: its pitches one per note (a held pitch counts once), rests left out."""
    soprano = _check_grid(grid)[:, 0].astype(int)
    starts = np.r_[True, soprano[1:] != soprano[:-1]] & (soprano > 0)
    return soprano[starts]


def _tune_keys(tune: np.ndarray) -> tuple[list[int], list[int]]:
    """A tune in two key-free forms: its intervals, and its pitches above its last note."""
    tune = np.asarray(tune, int)
    return np.diff(tune).tolist(), (tune - tune[-1]).tolist()


def melody_similarity(a: Sequence[int], b: Sequence[int], at_least: float = 0.0) -> float:
    """How alike two tunes are, 0 ... 1, whatever their key: the larger of two
    `difflib.SequenceMatcher` ratios, one on the intervals between notes and one on the pitches
    measured from the tune's last note (which survives an added passing note better).

    Ratios that cannot reach `at_least` (by difflib's quick upper bound) count as 0: faster.
    """
    from difflib import SequenceMatcher

    if len(a) < 2 or len(b) < 2:
        return 0.0
    best = 0.0
    for x, y in zip(_tune_keys(np.asarray(a)), _tune_keys(np.asarray(b)), strict=True):
        matcher = SequenceMatcher(None, x, y, autojunk=False)
        if matcher.quick_ratio() >= at_least:
            best = max(best, matcher.ratio())
    return best


def melody_groups(grids: Sequence[np.ndarray], threshold: float = 0.75) -> np.ndarray:
    """One group number per chorale: chorales whose tunes are alike (`melody_similarity` at
    least `threshold`), directly or through a chain of alike tunes, share a group. Bach
    harmonised many hymn tunes several times; such versions must not be split apart."""
    from scipy.sparse.csgraph import connected_components

    tunes = [melody(g) for g in grids]
    alike = np.eye(len(tunes), dtype=bool)
    for i, j in zip(*np.triu_indices(len(tunes), 1), strict=True):
        alike[i, j] = melody_similarity(tunes[i], tunes[j], at_least=threshold) >= threshold
    return connected_components(alike, directed=False)[1]


def split_by_group(
    names: Sequence[str],
    groups: Sequence[int],
    fractions: tuple[float, float] = (0.15, 0.15),
    seed: int = 7,
) -> dict[str, list[str]]:
    """Shuffle whole groups of chorales (never parts of a group) into train / valid / test name
    lists. Groups are drawn in random order into the test set until it holds at least its
    share of the chorales, then into the validation set; the rest are for training."""
    valid_frac, test_frac = fractions
    if not (0 < valid_frac < 1 and 0 < test_frac < 1 and valid_frac + test_frac < 1):
        raise ValueError(
            f"fractions {fractions} should be two shares between 0 and 1 (validation, test) "
            "that leave some chorales for training."
        )
    if len(names) != len(groups):
        raise ValueError(f"{len(names)} names but {len(groups)} group numbers.")
    members: dict[int, list[str]] = {}
    for name, group in sorted(zip(names, (int(g) for g in groups), strict=True)):
        members.setdefault(group, []).append(name)
    order = sorted(members, key=lambda g: members[g][0])
    np.random.default_rng(seed).shuffle(order)
    split: dict[str, list[str]] = {"test": [], "valid": [], "train": []}
    targets = {"test": test_frac * len(names), "valid": valid_frac * len(names)}
    part = "test"
    for group in order:
        if part != "train" and len(split[part]) >= max(1.0, targets[part]):
            part = "valid" if part == "test" else "train"
        split[part].extend(members[group])
    if not all(split.values()):
        raise ValueError(f"{len(members)} groups of chorales are too few to split three ways.")
    return {part: sorted(split[part]) for part in ("train", "valid", "test")}


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


def repeat_last_accuracy(grids: Sequence[np.ndarray], *, per_voice: bool = False) -> Any:
    """The baseline: predict that every voice holds its note, i.e. step t+1 = step t.

    One accuracy over all voices, or with `per_voice=True` an array of four (S, A, T, B):
    each voice's own repeat-last baseline.
    """
    same = np.concatenate([g[1:] == g[:-1] for g in grids])  # (steps, 4)
    return same.mean(axis=0) if per_voice else float(same.mean())


def next_step_report(
    probabilities: np.ndarray, inputs: np.ndarray, targets: np.ndarray, weights: np.ndarray
) -> dict[str, Any]:
    """How good next-step predictions are, overall and per voice.

    `probabilities` (n, T, 4, VOCAB) for the targets (n, T, 4); `inputs` are the steps before
    (the targets shifted back by one), `weights` 1 for real steps, 0 for padding. Returns the
    accuracy overall and per voice, the accuracy per voice on the steps where that voice
    changes note (the repeat-last baseline is always wrong there) and the share of such steps,
    and the cross-entropy per note in nats (the training loss on these data).
    """
    real = np.asarray(weights) > 0
    right = np.asarray(probabilities).argmax(-1) == targets
    changes = (targets != inputs) & real
    p_true = np.take_along_axis(probabilities, targets[..., None].astype(int), axis=-1)[..., 0]
    voices = range(targets.shape[-1])
    return {
        "accuracy": float(right[real].mean()),
        "per_voice": np.array([right[..., v][real[..., v]].mean() for v in voices]),
        "on_changes": np.array([right[..., v][changes[..., v]].mean() for v in voices]),
        "on_changes_all": float(right[changes].mean()),
        "change_share": np.array([changes[..., v].sum() / real[..., v].sum() for v in voices]),
        "cross_entropy": float(-np.log(np.maximum(p_true[real], 1e-12)).mean()),
        "cross_entropy_per_voice": np.array(
            [-np.log(np.maximum(p_true[..., v][real[..., v]], 1e-12)).mean() for v in voices]
        ),
    }


def predict_both_ways(heads: Any, h: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, ...]:
    """The heads' distributions (n, T, 4, VOCAB) for the next chords `targets` (n, T, 4),
    from the LSTM outputs `h` (n, T, units), measured two ways: `own`, where each head is
    given the model's own top choice for the voices above (history only), and `given`,
    where it is given the true notes of the voices above (as in training)."""
    h, targets = np.asarray(h), np.asarray(targets)
    if h.shape[:2] != targets.shape[:2]:
        raise ValueError(f"h {h.shape} and targets {targets.shape} must share (n, T).")
    given = np.asarray(heads.predict([h, targets], verbose=0))
    probs_own, own = np.zeros_like(given), np.zeros_like(targets)
    for v in range(targets.shape[-1]):  # each head sees the model's own choices above it
        probs_own[..., v, :] = np.asarray(heads.predict([h, own], verbose=0))[..., v, :]
        own[..., v] = probs_own[..., v, :].argmax(-1)
    return probs_own, given


def truncated_states(
    context: Any,
    inputs: np.ndarray,
    weights: np.ndarray,
    k: int,
    h_full: np.ndarray,
    *,
    batch: int = 512,
) -> np.ndarray:
    """LSTM outputs h (like `h_full`, (n, T, units)) when the model may read only the last
    `k` steps of the history: at step t it starts from a zero state at step t-k+1.

    Steps with at most k steps of history keep `h_full` (nothing to cut). `context` maps
    tokens (batch, k, 4) to [h at every step, final h, final c]; `weights` marks real steps.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1 step of history, not {k}.")
    inputs = np.asarray(inputs)
    h = np.array(h_full, copy=True)
    chorale, step = np.nonzero((np.asarray(weights) > 0).any(-1))
    keep = step >= k  # history longer than k steps: cut it
    chorale, step = chorale[keep], step[keep]
    offsets = np.arange(-k + 1, 1)
    for a in range(0, len(step), batch):
        c, t = chorale[a : a + batch], step[a : a + batch]
        windows = inputs[c[:, None], t[:, None] + offsets]  # (b, k, 4)
        h[c, t] = np.asarray(context(windows, training=False)[1])
    return h


def tune_bootstrap(
    model_right: np.ndarray,
    base_right: np.ndarray,
    real: np.ndarray,
    tunes: Sequence[int],
    *,
    draws: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, np.ndarray]:
    """How sure is a gain in accuracy over a baseline? Resample whole tunes.

    `model_right`, `base_right` (n, T, voices) say where model and baseline are right,
    `real` marks the real steps, `tunes` (n,) the tune of each chorale. Every draw takes as
    many tunes as there are, with replacement, with all their chorales, and computes the
    accuracy gain per voice and over all voices (last column). Returns `gain` (on the data
    as they are), `low` and `high` (the central `level` share of the draws) and `share_not_ahead`
    (share of draws with a gain <= 0), each of length voices + 1.
    """
    real = np.asarray(real) > 0
    diff = (np.asarray(model_right, float) - np.asarray(base_right, float)) * real
    tunes = np.asarray(tunes)
    if diff.shape != real.shape or len(tunes) != len(diff):
        raise ValueError(
            f"model_right {np.shape(model_right)}, base_right {np.shape(base_right)}, real "
            f"{real.shape} must have one shape, and tunes one entry per chorale ({len(tunes)})."
        )
    ids, tune_index = np.unique(tunes, return_inverse=True)
    gained = np.zeros((len(ids), diff.shape[-1] + 1))  # per tune: summed gain, and its steps
    counted = np.zeros_like(gained)
    np.add.at(gained, tune_index, np.c_[diff.sum(1), diff.sum((1, 2))])
    np.add.at(counted, tune_index, np.c_[real.sum(1), real.sum((1, 2))])
    picks = np.random.default_rng(seed).integers(0, len(ids), size=(draws, len(ids)))
    weights = np.stack([np.bincount(p, minlength=len(ids)) for p in picks])  # (draws, tunes)
    gains = (weights @ gained) / np.maximum(weights @ counted, 1)
    tail = (1 - level) / 2
    return {
        "gain": gained.sum(0) / np.maximum(counted.sum(0), 1),
        "low": np.quantile(gains, tail, axis=0),
        "high": np.quantile(gains, 1 - tail, axis=0),
        "share_not_ahead": (gains <= 0).mean(axis=0),
    }


def repeat_last_probability(
    train_grids: Sequence[np.ndarray], inputs: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    """The repeat-last baseline made a distribution: the probability it gives each target token.

    Per voice, from the training chorales: the voice holds its note with the share of steps it
    held there; otherwise it moves to another token in proportion to how often that token
    occurs (add-one counts). Like the baseline it sees only the voice's own last note.
    """
    train = [encode(_check_grid(g)) for g in train_grids]
    steps = np.concatenate([t[1:] for t in train])
    hold = np.concatenate([t[1:] == t[:-1] for t in train]).mean(axis=0)  # (4,)
    counts = np.stack([np.bincount(steps[:, v], minlength=VOCAB) + 1.0 for v in range(4)])
    freq = counts / counts.sum(axis=1, keepdims=True)  # (4, VOCAB)
    voice = np.broadcast_to(np.arange(4), np.shape(targets))
    move = (1 - hold[voice]) * freq[voice, targets] / (1 - freq[voice, inputs])
    return np.where(targets == inputs, hold[voice], move)


def repeat_last_cross_entropy(
    train_grids: Sequence[np.ndarray],
    inputs: np.ndarray,
    targets: np.ndarray,
    weights: np.ndarray,
    *,
    per_voice: bool = False,
) -> Any:
    """Cross-entropy per note (nats) of `repeat_last_probability` on the real (weight 1) steps:
    one number, or with `per_voice=True` one per voice (S, A, T, B)."""
    nll = -np.log(repeat_last_probability(train_grids, inputs, targets))
    real = np.asarray(weights) > 0
    if per_voice:
        return np.array([nll[..., v][real[..., v]].mean() for v in range(nll.shape[-1])])
    return float(nll[real].mean())


def report_table(baseline: np.ndarray, reports: dict[str, dict[str, Any]]) -> str:
    """Per-voice test accuracies as a text table: the share of steps where the voice changes
    note, its repeat-last baseline, then for every report (from `next_step_report`) the
    accuracy on all steps and on the steps where the voice changes note (repeat-last: 0)."""
    labels = list(reports)
    top = f"{'':8s} {'share':>8s} {'repeat':>8s}"
    top += "".join(f"  {label[:18]:>18s}" for label in labels)
    sub = f"{'voice':8s} {'changing':>8s} {'last':>8s}" + f"  {'all':>9s} {'changes':>8s}" * len(
        labels
    )
    lines = [top, sub]
    first = reports[labels[0]]
    for v, voice in enumerate(VOICES):
        row = f"{voice:8s} {first['change_share'][v]:8.0%} {baseline[v]:8.3f}"
        for r in reports.values():
            row += f"  {r['per_voice'][v]:9.3f} {r['on_changes'][v]:8.3f}"
        lines.append(row)
    row = f"{'all':8s} {'':>8s} {float(np.mean(baseline)):8.3f}"
    for r in reports.values():
        row += f"  {r['accuracy']:9.3f} {r['on_changes_all']:8.3f}"
    lines.append(row)
    return "\n".join(lines)


def plot_voice_accuracy(baseline: np.ndarray, reports: dict[str, dict[str, Any]], ax=None):
    """Bars per voice: the repeat-last baseline and each report's accuracy, all steps (full
    bars) and on the steps where the voice changes note (hatched)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 3.8))
    x = np.arange(len(VOICES))
    width = 0.8 / (1 + 2 * len(reports))
    ax.bar(x - 0.4 + width / 2, baseline, width, color="0.6", label="repeat last (0 on changes)")
    for i, (label, r) in enumerate(reports.items()):
        offset = -0.4 + width * (1.5 + 2 * i)
        ax.bar(x + offset, r["per_voice"], width, color=f"C{i}", label=f"{label}: all steps")
        ax.bar(
            x + offset + width,
            r["on_changes"],
            width,
            color=f"C{i}",
            alpha=0.45,
            hatch="//",
            label=f"{label}: changes",
        )
    ax.set_xticks(x, VOICES)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("test accuracy")
    ax.legend(fontsize=8, ncol=3, loc="upper center")
    return ax


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


def longest_shared_run(grid: Any, others: Sequence[np.ndarray]) -> tuple[int, int, int, int]:
    """The longest run of consecutive steps (all four voices equal) that `grid` shares with
    any grid in `others`: (length, index of that grid, start in `grid`, start in the other).
    (0, -1, 0, 0) when no step is shared."""
    grid = _check_grid(grid).astype(np.int64)
    if not len(others):
        return 0, -1, 0, 0

    def rows(g: np.ndarray) -> np.ndarray:  # one integer per step (pitches are below 128)
        g = _check_grid(g).astype(np.int64)
        return ((g[:, 0] * 128 + g[:, 1]) * 128 + g[:, 2]) * 128 + g[:, 3]

    pieces, owner, offset = [], [], []
    for i, other in enumerate(others):  # one long sequence, a unique separator after each grid
        pieces += [rows(other), np.array([-1 - i])]
        owner += [i] * (len(other) + 1)
        offset += list(range(len(other) + 1))
    flat, owner, offset = np.concatenate(pieces), np.array(owner), np.array(offset)
    run = np.zeros(len(flat), np.int64)
    best = (0, -1, 0, 0)
    for t, row in enumerate(rows(grid)):
        run = np.r_[1, run[:-1] + 1] * (flat == row)  # run ending at (t, j)
        j = int(run.argmax())
        if run[j] > best[0]:
            n = int(run[j])
            best = (n, int(owner[j]), t - n + 1, int(offset[j]) - n + 1)
    return best


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


def build_chorale_lstm(units: int = 16, embed: int = 4, *, seed: int = 0) -> dict[str, Any]:
    """A small untrained model with the architecture and calling conventions of the unit's
    notebook, for tests and grading: `context` (tokens -> h at every step, final h, c),
    `heads` ((batch, T, units) h and the next chord -> (batch, T, 4, VOCAB)), `model` (the two
    together, as trained) and `lstm_step` ((last 4 chords, h, c) -> new h, c). The output
    layers get large random weights, so that the distributions are far from uniform."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    history = keras.Input(shape=(None, 4), dtype="int32")
    embedding = layers.Embedding(VOCAB, embed)
    to_frames = layers.Reshape((-1, 4 * embed))
    conv = layers.Conv1D(8, 4, padding="causal", activation="relu")
    lstm = layers.LSTM(units, return_sequences=True, return_state=True)
    h_seq, h_end, c_end = lstm(conv(to_frames(embedding(history))))
    context = keras.Model(history, [h_seq, h_end, c_end])
    h_in = keras.Input(shape=(None, units))
    next_chord = keras.Input(shape=(None, 4), dtype="int32")
    known = embedding(next_chord)
    outputs = []
    for v in range(4):
        z = layers.Concatenate()([h_in, *(known[:, :, u, :] for u in range(v))]) if v else h_in
        out = layers.Dense(VOCAB, activation="softmax")
        outputs.append(out(layers.Dense(8, activation="tanh")(z)))
        kernel, bias = out.get_weights()
        out.set_weights([np.random.default_rng(seed + v).normal(0, 25, kernel.shape), bias])
    heads = keras.Model([h_in, next_chord], keras.ops.stack(outputs, axis=2))
    model = keras.Model([history, next_chord], heads([context(history)[0], next_chord]))
    recent = keras.Input(shape=(4, 4), dtype="int32")
    h_prev, c_prev = keras.Input(shape=(units,)), keras.Input(shape=(units,))
    x_new = conv(to_frames(embedding(recent)))[:, -1:, :]
    _, h_new, c_new = lstm(x_new, initial_state=[h_prev, c_prev])
    lstm_step = keras.Model([recent, h_prev, c_prev], [h_new, c_new])
    return {"context": context, "heads": heads, "model": model, "lstm_step": lstm_step}


def random_chorale(rng: np.random.Generator, steps: int) -> np.ndarray:
    """A (steps, 4) grid of random notes held for 1-4 steps, each voice in its range."""
    grid = np.zeros((steps, 4), np.int16)
    for v, (low, high) in enumerate(VOICE_RANGES):
        t = 0
        while t < steps:
            length = int(rng.integers(1, 5))
            grid[t : t + length, v] = rng.integers(low, high + 1)
            t += length
    return grid


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
    pitch_range: tuple[int, int] | None = None,
):
    """Piano roll of a (T, 4) grid: time across, pitch up, one colour per voice.

    Grey lines every 16 steps (a 4/4 bar long, but not aligned with the bars of a piece that
    starts with a pickup); `seed_steps` shades the part the model was given; `pitch_range`
    (lowest, highest MIDI pitch) fixes the vertical axis, e.g. to compare several rolls.
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
    if pitch_range is not None:
        low, high = (int(p) for p in pitch_range)
    ax.set_xlim(0, len(grid))
    ax.set_ylim(low - 2, high + 7)  # room for the legend above the highest note
    ticks = [p for p in range(low - 2, high + 3) if p % 12 == 0]
    ax.set_yticks(ticks, [note_name(p) for p in ticks])
    xlabel = "time step (sixteenth notes; grey lines every 16 steps)"
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
    ax.set_xlabel("time step (sixteenth note); dark cell = a new note starts; lines every 4 steps")
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


def mean_texture(grids: Sequence[np.ndarray]) -> dict[str, float]:
    """`texture` averaged over several grids (e.g. many samples at one temperature)."""
    if not len(grids):
        raise ValueError("mean_texture needs at least one grid.")
    stats = [texture(g) for g in grids]
    return {key: float(np.mean([s[key] for s in stats])) for key in stats[0]}


# ----------------------------------------------------------------------------- knowledge check


QUESTIONS = [
    Question(
        id="q1",
        prompt="In the test, the alto head is given the true next soprano note, and its accuracy "
        "is compared with the alto's repeat-the-last-step baseline. What is wrong with that "
        "comparison on its own?",
        choices={
            "a": "Nothing: the model and the baseline both read the same history.",
            "b": "The baseline is given the true next soprano note too, which makes it too strong.",
            "c": "The alto never depends on the soprano, so the extra note changes nothing.",
            "d": "The head knows where the soprano goes next (and so, often, whether the chord "
            "changes), which the baseline does not; like-for-like, the head gets the model's own "
            "choice for the soprano.",
        },
    ),
    Question(
        id="q2",
        prompt="Why are chorales that set the same hymn tune kept on the same side of the split?",
        choices={
            "a": "Two settings of one tune share the soprano line almost note for note; with one "
            "in training, the test would partly measure memory of a tune already seen.",
            "b": "So that the training, validation and test sets hold the same number of tunes.",
            "c": "Because the model can only read chorales that are in the same key.",
            "d": "Because the test set must never contain two chorales of the same tune.",
        },
    ),
    Question(
        id="q3",
        prompt="You sample the next step with temperature 0.2 instead of 1.0. What happens?",
        choices={
            "a": "The model is retrained to be more careful.",
            "b": "Unlikely notes become more likely: adventurous, often wrong music.",
            "c": "Sampling nearly always picks the most likely note: safe, repetitive music.",
            "d": "Nothing: temperature only changes the training loss.",
        },
    ),
    Question(
        id="q4",
        prompt="The composing loop reads the seed once and then feeds the LSTM one new chord per "
        "step, carrying its state (h, c). Why does that give the same probabilities as running "
        "the LSTM over the whole piece again at every step?",
        choices={
            "a": "It does not: carrying the state is an approximation that trades accuracy for "
            "speed.",
            "b": "The state after step t depends only on the state after step t-1 and chord t, so "
            "(h, c) holds everything the LSTM would compute from the history again.",
            "c": "The LSTM only looks at the last four chords, like the Conv1D.",
            "d": "The heads, not the LSTM, remember the history.",
        },
    ),
]
