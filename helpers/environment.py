"""The setup cell of every notebook: quiet TensorFlow, seeds, determinism, fast mode."""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import tempfile
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

FAST_ENV = "RNN_COURSE_FAST"
DETERMINISM_ENV = "RNN_COURSE_DETERMINISTIC"


@dataclass(frozen=True)
class CourseEnvironment:
    """What `setup()` found: versions, device and mode."""

    python: str
    tensorflow: str
    keras: str
    device: str
    fast: bool
    deterministic: bool
    seed: int

    @property
    def mode(self) -> str:
        return "fast" if self.fast else "full"

    def status_line(self) -> str:
        det = "deterministic ops" if self.deterministic else "non-deterministic ops"
        return (
            f"Python {self.python} | TensorFlow {self.tensorflow} | Keras {self.keras} | "
            f"{self.device} | {self.mode} mode | seed {self.seed}, {det}"
        )


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "default"):
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={value!r} is not understood: set it to 1 (on) or 0 (off).")


def is_fast() -> bool:
    """True when RNN_COURSE_FAST asks for the small, quick version of every notebook."""
    return _env_flag(FAST_ENV, default=False)


def pick(*, fast: T, full: T) -> T:
    """The value for the current mode: `EPOCHS = pick(fast=2, full=20)`."""
    return fast if is_fast() else full


def in_colab() -> bool:
    return "google.colab" in sys.modules


def quiet_tensorflow() -> None:
    """Set the variables that silence TensorFlow's start-up noise, then import it.

    The variables only work before TensorFlow is imported. A few CUDA-probe lines are
    written by C++ code during the import itself, before TensorFlow reads its own log
    level, so the import runs with the process's stderr sent to a temporary file; that
    text is shown only if the import fails.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    if "tensorflow" in sys.modules:
        return
    with tempfile.TemporaryFile(mode="w+b") as captured, _stderr_to(captured):
        try:
            import tensorflow  # noqa: F401
        except Exception:
            captured.seek(0)
            sys.__stderr__.write(captured.read().decode(errors="replace"))
            raise


@contextlib.contextmanager
def _stderr_to(target):
    try:
        fd = sys.__stderr__.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr: nothing to redirect
        yield
        return
    sys.__stderr__.flush()
    saved = os.dup(fd)
    os.dup2(target.fileno(), fd)
    try:
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def device_name() -> str:
    """'GPU: <name>' for the first visible GPU, else 'CPU (<n> cores)'."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        name = details.get("device_name", gpus[0].name)
        more = f" (+{len(gpus) - 1} more)" if len(gpus) > 1 else ""
        return f"GPU: {name}{more}"
    return f"CPU ({os.cpu_count()} cores)"


def setup(seed: int = 42, *, fast: bool | None = None, verbose: bool = True) -> CourseEnvironment:
    """Prepare a notebook: quiet TensorFlow, seed everything, report versions and mode.

    `fast=True` chooses the quick version of the notebook (less data, fewer epochs) and
    `fast=False` the full one, for the rest of the session; by default RNN_COURSE_FAST
    decides (on Colab, where no variable can be set before the kernel starts, pass it
    here). Op determinism is on unless RNN_COURSE_DETERMINISTIC=0: the same seed then gives
    the same numbers on the same machine. Set it to 0 if an op you use on a GPU has no
    deterministic implementation (TensorFlow then says so in an error).
    """
    if fast is not None:
        if not isinstance(fast, bool):
            raise ValueError(f"fast must be True, False or None, not {fast!r}.")
        os.environ[FAST_ENV] = "1" if fast else "0"
    fast = is_fast()
    quiet_tensorflow()
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    deterministic = _env_flag(DETERMINISM_ENV, default=True)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    env = CourseEnvironment(
        python=platform.python_version(),
        tensorflow=tf.__version__,
        keras=keras.__version__,
        device=device_name(),
        fast=fast,
        deterministic=deterministic,
        seed=seed,
    )
    if verbose:
        print(env.status_line())
    return env
