"""Check of unit 02's exercise: clipping by global norm, against `tf.clip_by_global_norm`."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks import call_student, fail, passed


def clip_by_global_norm(student_clip: Callable[..., tuple]) -> None:
    """Exercise `clip`: compare with `tf.clip_by_global_norm` on large and small gradients."""
    import tensorflow as tf

    rng = np.random.default_rng(5)
    big = [rng.normal(size=(3, 4)) * 10, rng.normal(size=(4,)) * 10, rng.normal(size=(2, 2, 2))]
    small = [g / 1000 for g in big]
    for name, grads, clip_norm in [("large", big, 5.0), ("small", small, 5.0)]:
        result = call_student(
            student_clip, [g.copy() for g in grads], clip_norm, what="clip_by_global_norm"
        )
        if not isinstance(result, tuple) or len(result) != 2:
            fail(
                "clip_by_global_norm should return two things: (list of clipped gradients, "
                f"global norm); it returned {type(result).__name__}."
            )
        clipped, norm = result
        want, want_norm = tf.clip_by_global_norm(
            [tf.constant(g, dtype=tf.float64) for g in grads], clip_norm
        )
        _check_norm(norm, float(want_norm), grads, name)
        _check_clipped(clipped, [w.numpy() for w in want], grads, name, clip_norm)
    passed("your clipping equals tf.clip_by_global_norm, for gradients above and below the limit.")


def _check_norm(norm, want_norm: float, grads: list[np.ndarray], name: str) -> None:
    try:
        norm = float(norm)
    except (TypeError, ValueError):
        fail(f"the global norm should be one number, not {type(norm).__name__}.")
    if np.isclose(norm, want_norm, rtol=1e-6):
        return
    if np.isclose(norm, sum(float(np.linalg.norm(g)) for g in grads), rtol=1e-6):
        fail(
            "the global norm is not the sum of the norms: it is the square root of "
            "the sum of the squares of *all* entries of all gradients."
        )
    fail(
        f"for the {name} gradients your global norm is {norm:.6g}, expected "
        f"{want_norm:.6g}: sqrt of the sum of squares over all gradients."
    )


def _check_clipped(clipped, want: list[np.ndarray], grads, name: str, clip_norm: float) -> None:
    import tensorflow as tf

    if not isinstance(clipped, (list, tuple)) or len(clipped) != len(grads):
        fail(f"return one clipped array per gradient: {len(grads)} arrays in a list.")
    for i, (got, expected) in enumerate(zip(clipped, want, strict=True)):
        got = np.asarray(got, dtype=np.float64)
        if got.shape != expected.shape:
            fail(f"clipped gradient {i} has shape {got.shape}, expected {expected.shape}.")
        if np.allclose(got, expected, rtol=1e-6, atol=1e-12):
            continue
        if name == "small":
            fail(
                "gradients whose global norm is already below clip_norm must be left "
                "unchanged: the scale factor is 1 when the global norm is at most clip_norm."
            )
        per_tensor = tf.clip_by_norm(tf.constant(grads[i], dtype=tf.float64), clip_norm).numpy()
        if np.allclose(got, per_tensor, rtol=1e-6):
            fail(
                "you clipped each gradient by its own norm. Clipping by *global* norm "
                "scales all of them by the same factor, which keeps the direction of "
                "the whole update."
            )
        fail(
            f"clipped gradient {i} of the {name} gradients has wrong values; every "
            "gradient is multiplied by the same factor, which brings the global norm "
            "down to clip_norm."
        )
