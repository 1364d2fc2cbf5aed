"""Benchmark grading: 40 submissions of 01_memory_cell with --jobs 1 and --jobs 2 (medians).

    python tools/bench_grading.py [--out results/grading-bench.json]

Builds the submissions from the student version (right, wrong, stub and adversarial
answers), grades them with --jobs 1 and --jobs 2 in turn (3 times each, same seed), checks
that all the gradebooks are identical and writes the median times, their ratio, submissions
per minute and the machine to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow is imported
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
sys.path.insert(0, str(ROOT))

from helpers.notebooks import read  # noqa: E402
from instructor.grading import grader, report  # noqa: E402
from instructor.student_versions import answer_id, student_version  # noqa: E402

UNIT = "01_memory_cell"
WRONG = {
    "forward-step": "def rnn_step(x_t, h_prev, W_x, W_h, b):\n    return np.tanh(x_t @ W_x + b)",
    "grad-through-time": "def grad_w_h(xs, w_x, w_h, b, target):\n    return 0.5",
    "quiz": 'answers = {"q1": "a", "q2": "a", "q3": "c"}',
}
ADVERSARIAL = [
    "from helpers.memory_cell import rnn_step",
    "np.allclose = lambda *a, **k: True\ndef rnn_step(x_t, h_prev, W_x, W_h, b):\n    return 0",
    "print('x' * 50_000_000)",
    "np.f2py.os._exit(0)",
    "while True:\n    pass",
    "del np",
]


def build(folder: Path, count: int = 40) -> None:
    """`count` submissions: right, wrong, stubs and adversarial answers in turn."""
    instructor = read(ROOT / "notebooks" / f"{UNIT}.ipynb")
    solutions = {answer_id(c): c.source for c in instructor.cells if answer_id(c)}
    for i in range(count):
        nb = student_version(instructor, UNIT)
        kind = ("right", "wrong", "stub", "adversarial", "right")[i % 5]
        for cell in nb.cells:
            exercise = answer_id(cell)
            if exercise and kind == "right":
                cell.source = solutions[exercise]
            elif exercise and kind == "wrong":
                cell.source = WRONG[exercise]
            elif exercise == "forward-step" and kind == "adversarial":
                cell.source = ADVERSARIAL[(i // 5) % len(ADVERSARIAL)]
            elif exercise and kind == "adversarial":
                cell.source = solutions[exercise]
        nbformat.write(nb, str(folder / f"student{i:02d}.ipynb"))


def timed(folder: Path, out: Path, jobs: int, seed: int, timeout: float) -> float:
    start = time.perf_counter()
    results, _ = grader.grade(folder, out, jobs=jobs, seed=seed, timeout=timeout)
    report.write_all(results, out)
    return time.perf_counter() - start


def machine() -> dict:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    import keras
    import tensorflow as tf

    return {
        "cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
        "tensorflow": tf.__version__, "keras": keras.__version__, "platform": platform.platform(),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "grading-bench.json")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, interleaved")
    args = parser.parse_args(argv)
    times: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory(prefix="rnn-bench-grading-") as tmp:
        folder = Path(tmp) / "submissions"
        folder.mkdir()
        build(folder, args.count)
        for run in range(args.repeats):  # 1, 2, 1, 2, ...: a busier moment slows both alike
            for jobs in (1, 2):
                out = Path(tmp) / f"jobs{jobs}-{run}"
                times[jobs].append(timed(folder, out, jobs, 1234, args.timeout))
        books = {(d / "gradebook.csv").read_text() for d in Path(tmp).glob("jobs*")}
    one, two = statistics.median(times[1]), statistics.median(times[2])
    data = {
        "unit": UNIT, "submissions": args.count, "timeout_s": args.timeout,
        "repeats": args.repeats, "jobs1_runs_s": [round(t, 2) for t in times[1]],
        "jobs2_runs_s": [round(t, 2) for t in times[2]],
        "jobs1_s": round(one, 2), "jobs2_s": round(two, 2), "ratio": round(two / one, 3),
        "submissions_per_minute_jobs1": round(60 * args.count / one, 1),
        "submissions_per_minute_jobs2": round(60 * args.count / two, 1),
        "gradebooks_identical": len(books) == 1, "machine": machine(),
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf8")
    print(json.dumps(data, indent=1))
    return 0 if data["gradebooks_identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
