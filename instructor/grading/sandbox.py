"""Run one job (prelude + answer + probe on hidden inputs) in a fresh, limited process."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HARNESS = Path(__file__).with_name("harness.py")
RESULT_LIMIT = 8 * 1024 * 1024  # bytes of result JSON read back


def jsonable(value: object) -> object:
    """Hidden inputs as plain JSON values (arrays become nested lists)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def sandbox_env(home: str) -> dict[str, str]:
    """A small environment: no PYTHONPATH, fast mode, quiet TensorFlow on the CPU."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LANG": "C.UTF-8",
        "RNN_COURSE_FAST": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
        "CUDA_VISIBLE_DEVICES": "", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "KERAS_BACKEND": "tensorflow",
    }  # fmt: skip


def run_job(prelude: str, answer: str, probe: str, inputs: object, timeout: float) -> dict:
    """What the probe returned ({"value": ...}) or what went wrong ({"error": ..., ...})."""
    nonce = secrets.token_hex(16)
    job = {
        "prelude": prelude, "answer": answer, "probe": probe, "inputs": inputs,
        "result": "result.json", "nonce": nonce, "timeout": int(timeout) + 1,
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="rnn-sandbox-") as workdir:
        shutil.copy(HARNESS, Path(workdir) / "harness.py")
        process = subprocess.Popen(
            [sys.executable, "-I", "harness.py"], cwd=workdir, env=sandbox_env(workdir),
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:
            process.communicate(json.dumps(job).encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": "Timeout"}
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)  # the process and anything it started
            process.wait()
        return _read_result(Path(workdir) / "result.json", nonce, process.returncode)


def _read_result(path: Path, nonce: str, returncode: int) -> dict:
    if not path.is_file():
        if returncode == -signal.SIGXCPU:
            return {"error": "Timeout"}
        if returncode < 0:
            return {"error": "Crashed", "message": signal.Signals(-returncode).name}
        return {"error": "Exited", "message": f"exit status {returncode}"}
    if path.stat().st_size > RESULT_LIMIT:
        return {"error": "TooLarge", "message": "the result is too large to check"}
    try:
        result = json.loads(path.read_text(encoding="utf8"))
    except ValueError:
        return {"error": "Exited", "message": "the result file is not valid JSON"}
    if not isinstance(result, dict) or result.pop("nonce", None) != nonce:
        return {"error": "Exited", "message": "the result file was not written by the grader"}
    return result
