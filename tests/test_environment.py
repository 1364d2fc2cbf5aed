"""The setup cell: quiet start, one status line, seeds, fast mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import helpers
from helpers import environment

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "RNN_COURSE"))}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**clean, **env},
        timeout=120,
    )


def test_setup_prints_one_line_and_no_tensorflow_noise():
    result = run_python("import helpers; helpers.setup()", RNN_COURSE_FAST="1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout
    line = lines[0]
    for part in ("Python", "TensorFlow 2.", "Keras 3.", "fast mode", "seed 42"):
        assert part in line
    assert "CPU" in line or "GPU" in line
    assert result.stderr.strip() == "", f"start-up noise on stderr: {result.stderr[:500]}"


def test_setup_seeds_make_runs_repeat():
    code = (
        "import helpers; helpers.setup(seed=7, verbose=False); import keras, numpy as np; "
        "m = keras.layers.Dense(3); print(np.asarray(m(np.ones((1, 2)))).round(6).tolist())"
    )
    first, second = run_python(code), run_python(code)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout


def test_fast_mode_flag(monkeypatch):
    monkeypatch.delenv(environment.FAST_ENV, raising=False)
    assert not helpers.is_fast()
    assert helpers.pick(fast=1, full=10) == 10
    monkeypatch.setenv(environment.FAST_ENV, "1")
    assert helpers.is_fast()
    assert helpers.pick(fast=1, full=10) == 1
    monkeypatch.setenv(environment.FAST_ENV, "0")
    assert not helpers.is_fast()


def test_unclear_fast_flag_is_refused(monkeypatch):
    monkeypatch.setenv(environment.FAST_ENV, "maybe")
    with pytest.raises(ValueError, match="RNN_COURSE_FAST"):
        helpers.is_fast()


def test_setup_in_process_reports_what_it_found(monkeypatch, capsys):
    monkeypatch.setenv(environment.FAST_ENV, "1")
    env = helpers.setup(seed=3)
    assert env.fast and env.mode == "fast" and env.seed == 3
    assert capsys.readouterr().out.strip() == env.status_line()
    a = np.random.rand(3)
    helpers.setup(seed=3, verbose=False)
    assert np.allclose(a, np.random.rand(3))  # numpy is seeded too


def test_setup_fast_argument_chooses_the_mode_without_a_variable():
    code = "import helpers; env = helpers.setup(fast=True); print(helpers.pick(fast='q', full='f'))"
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert "fast mode" in result.stdout and result.stdout.strip().endswith("q")
    result = run_python("import helpers; helpers.setup(fast=False)", RNN_COURSE_FAST="1")
    assert "full mode" in result.stdout, "fast=False must win over the variable"
    result = run_python("import helpers; helpers.setup(fast='yes')")
    assert result.returncode != 0 and "fast must be True, False or None" in result.stderr
