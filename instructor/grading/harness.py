"""Sandbox entry point: run one answer cell and its probe, write the results as JSON.

Run by the grader as `python -I harness.py` in a fresh temporary directory, with the job
(prelude, answer source, probe source, hidden inputs, result file name, nonce, timeout)
as JSON on stdin, so nothing about the job is left on disk for the student's code to read.
Only the standard library and NumPy are imported here; the prelude imports the rest.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import sys

OUTPUT_LIMIT = 64 * 1024  # characters of stdout/stderr kept in Python
FILE_LIMIT = 20 * 1024 * 1024  # bytes any file (and fds 1/2) may grow to
MEMORY_LIMIT = 6 * 1024**3  # bytes of address space


class CappedWriter(io.TextIOBase):
    """A text stream that keeps the first OUTPUT_LIMIT characters and drops the rest."""

    def __init__(self) -> None:
        self.kept: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.size < OUTPUT_LIMIT:
            piece = str(text)[: OUTPUT_LIMIT - self.size]
            self.kept.append(piece)
            self.size += len(piece)
        return len(text)


def limit_resources(timeout: int) -> None:
    """Address space, file size (SIGXFSZ ignored: writes fail instead) and CPU seconds."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    for kind, value in (
        (resource.RLIMIT_AS, MEMORY_LIMIT),
        (resource.RLIMIT_FSIZE, FILE_LIMIT),
        (resource.RLIMIT_CPU, max(1, int(timeout))),
    ):
        soft, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(kind, (value, hard))


def redirect_output() -> None:
    """Point fds 1 and 2 at a capped file and sys.stdout/stderr at capped writers."""
    fd = os.open("output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = sys.stderr = CappedWriter()


def to_json(value: object, depth: int = 0) -> object:
    """Results as JSON values: numbers and arrays as float64 (nested lists), text as is."""
    import numpy as np

    if depth > 20:
        raise ValueError("the result is nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {str(k): to_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v, depth + 1) for v in value]
    array = np.asarray(value)
    if array.dtype.kind in "biuf":
        return array.astype("float64").tolist()
    if array.dtype.kind in "US":
        return array.astype(str).tolist()
    raise TypeError(f"the result holds a {type(value).__name__}, not numbers")


def run(job: dict) -> dict:
    """Run prelude, answer and probe; the probe's result or the error it met."""
    namespace: dict = {"__name__": "__main__"}
    stage = "prelude"
    try:
        exec(compile(job["prelude"], "<prelude>", "exec"), namespace)
        stage = "answer"
        exec(compile(job["answer"], "<your answer cell>", "exec"), namespace)
        stage = "probe"
        probe_namespace: dict = {"__name__": "probe"}
        exec(compile(job["probe"], "<probe>", "exec"), probe_namespace)
        return {"value": to_json(probe_namespace["probe"](namespace, job["inputs"]))}
    except BaseException as exc:  # anything the student's code raises, SystemExit included
        try:
            message = str(exc)[:500]
        except BaseException:
            message = "(the error message could not be shown)"
        return {"error": type(exc).__name__, "message": message, "stage": stage}


def main() -> None:
    job = json.loads(sys.stdin.read())
    sys.stdin.close()
    result_name, nonce = job.pop("result"), job.pop("nonce")
    result_path = os.path.abspath(result_name)
    limit_resources(job["timeout"])
    redirect_output()
    outcome = run(job)
    outcome["nonce"] = nonce
    try:
        text = json.dumps(outcome)
    except (TypeError, ValueError) as exc:
        text = json.dumps({"error": "TypeError", "message": str(exc)[:300], "nonce": nonce})
    with open(result_path + ".tmp", "w", encoding="utf8") as f:
        f.write(text)
    os.replace(result_path + ".tmp", result_path)
    os._exit(0)  # no atexit handlers or destructors of the student's objects


if __name__ == "__main__":
    main()
