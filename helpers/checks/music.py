"""Checks of unit 07's exercises: grid to notes, and the temperature of a distribution.

The expected notes and distributions on the checks' fixed inputs are shipped as values in
`expected_values.json`, computed by the instructor tools from the instructor notebook.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

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
