"""Grade student notebooks with nbval: a gradebook CSV and a feedback file per student.

    python -m helpers.grading SUBMISSIONS [--out grading] [--unit 01_memory_cell]
                                          [--timeout 120]

SUBMISSIONS holds one folder per student (`alice/01_memory_cell.ipynb`, ...) or notebooks
directly (`alice.ipynb`: the student is the file name). For each submission, the student's
answer cells (tag `answer:<id>`; else the same cell id; else the same position) are put
into a copy of the instructor notebook, whose check cells, hidden checks and reference
outputs are kept, and the result runs under nbval in fast mode with a per-cell timeout.
Each check cell that passes is one point. Submissions are only read, never written.

Grading runs student code: run it in a sandbox or container.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from helpers.notebooks import METADATA_KEY, read
from helpers.student import answer_id, check_id

ROOT = Path(__file__).resolve().parent.parent
_UNIT_TITLE = re.compile(r"^#\s*(\d\d)\b", re.M)


@dataclass
class Exercise:
    id: str
    points: int = 0
    status: str = "not run"  # passed, failed, error, timeout, not run
    message: str = ""


@dataclass
class Result:
    student: str
    file: str
    unit: str | None
    exercises: list[Exercise] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(e.points for e in self.exercises)


def instructor_notebooks(folder: Path = ROOT / "notebooks") -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.glob("[0-9]*.ipynb"))}


def exercise_ids(nb) -> list[str]:
    return [i for c in nb.cells if (i := check_id(c))]


def find_submissions(folder: Path) -> list[tuple[str, Path]]:
    """(student, file) pairs: `<student>/<file>` or `<student>.<ext>` directly in the folder."""
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir():
            found += [(path.name, f) for f in sorted(path.rglob("*")) if _is_candidate(f)]
        elif _is_candidate(path):
            found.append((path.stem, path))
    return found


def _is_candidate(path: Path) -> bool:
    return (
        path.is_file()
        and not any(part.startswith(".") for part in path.parts[-2:])
        and ".ipynb_checkpoints" not in path.parts
    )


def detect_unit(nb, file: Path, units: dict[str, Path]) -> str | None:
    """Which unit a notebook is: its metadata, else its title (# NN), else its file name."""
    unit = nb.metadata.get(METADATA_KEY, {}).get("unit")
    if unit in units:
        return unit
    for cell in nb.cells[:3]:
        if cell.cell_type == "markdown" and (m := _UNIT_TITLE.search(cell.source)):
            matches = [u for u in units if u.startswith(m[1] + "_")]
            if matches:
                return matches[0]
    for unit in units:
        if unit in file.stem or file.stem.startswith(unit[:3]):
            return unit
    return None


def merge(instructor, submission) -> tuple[object, list[str]]:
    """The instructor notebook with the student's answer cells put in; and notes."""
    merged = copy.deepcopy(instructor)
    notes = []
    by_tag = {answer_id(c): c for c in submission.cells if answer_id(c)}
    by_id = {c.get("id"): c for c in submission.cells if c.get("id")}
    inst_code = [c for c in instructor.cells if c.cell_type == "code"]
    stud_code = [c for c in submission.cells if c.cell_type == "code"]
    same_shape = len(inst_code) == len(stud_code)
    for position, cell in enumerate(c for c in merged.cells if c.cell_type == "code"):
        exercise = answer_id(cell)
        if exercise is None:
            continue
        found = by_tag.get(exercise) or by_id.get(cell.get("id"))
        if found is None and same_shape:
            found = stud_code[position]
            notes.append(f"answer '{exercise}': found by its position (its cell tag was lost)")
        if found is None or found.cell_type != "code":
            notes.append(f"answer '{exercise}': no answer cell found; the exercise scores 0")
            cell.source = "raise NotImplementedError('no answer cell in the submission')"
        else:
            cell.source = found.source
        cell.outputs, cell.execution_count = [], None
    return merged, notes


def _score(nb, report: dict[str, dict], exercises: list[str]) -> list[Exercise]:
    """Turn per-cell outcomes into points: one per passing check cell."""
    results = {e: Exercise(e) for e in exercises}
    answer_errors = {}
    for index, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        outcome = report.get(str(index))
        if outcome is None:
            continue
        if (
            (a := answer_id(cell))
            and outcome["ename"]
            and outcome["ename"] != "NotImplementedError"
        ):
            answer_errors[a] = f"your answer cell raised {outcome['ename']}: {outcome['evalue']}"
        exercise = check_id(cell)
        if exercise is None:
            continue
        result = results[exercise]
        if outcome["passed"]:
            result.points, result.status = 1, "passed"
            result.message = outcome["stdout"].strip().splitlines()[-1] if outcome["stdout"] else ""
        elif outcome["timed_out"] or outcome["dead_kernel"]:
            result.status = "timeout"
            result.message = "the code did not finish within the time limit (an endless loop?)"
        elif outcome["ename"] == "CheckFailed":
            result.status, result.message = "failed", outcome["evalue"]
        elif outcome["ename"]:
            result.status = "error"
            result.message = f"{outcome['ename']}: {outcome['evalue']}"
        else:
            result.status, result.message = "error", outcome["detail"][-300:]
    for exercise, note in answer_errors.items():
        if exercise in results and results[exercise].status != "passed":
            results[exercise].message += f" ({note})"
    for exercise in _timed_out_answers(nb, report) & set(results):
        if results[exercise].status != "passed":
            results[exercise].status = "timeout"
            results[exercise].message = "your answer did not finish in time (an endless loop?)"
    return list(results.values())


def _timed_out_answers(nb, report: dict[str, dict]) -> set[str]:
    found = set()
    for index, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        outcome = report.get(str(index), {})
        if (a := answer_id(cell)) and (outcome.get("timed_out") or outcome.get("dead_kernel")):
            found.add(a)
    return found


def run_nbval(nb, workdir: Path, timeout: int) -> dict[str, dict]:
    """Run a notebook under nbval in fast mode in `workdir`; per-cell outcomes.

    The outcomes are written by the grading plugin after the kernel has stopped, to a
    file outside `workdir` whose name the student's code is not given.
    """
    path = workdir / "graded.ipynb"
    nbformat.write(nb, str(path))
    report_dir = Path(tempfile.mkdtemp(prefix="rnn-grade-report-"))
    report = report_dir / "report.json"
    env = {k: v for k, v in os.environ.items() if k != "RNN_COURSE_RESULTS"}
    env.update(RNN_COURSE_FAST="1", RNN_COURSE_GRADING_REPORT=str(report))
    cells = sum(c.cell_type == "code" for c in nb.cells)
    command = [
        sys.executable, "-m", "pytest", str(path), "--nbval-lax", "--nbval-current-env",
        f"--nbval-cell-timeout={timeout}", "-p", "helpers.grading_plugin",
        "-p", "no:cacheprovider", "-q", "--rootdir", str(workdir), "-c", os.devnull,
    ]  # fmt: skip
    with contextlib.suppress(subprocess.TimeoutExpired):  # what ran is in the report
        subprocess.run(
            command, cwd=workdir, env=env, capture_output=True, timeout=120 + cells * timeout
        )
    try:
        return json.loads(report.read_text()) if report.is_file() else {}
    finally:
        shutil.rmtree(report_dir, ignore_errors=True)


def grade_one(
    student: str,
    file: Path,
    content: bytes,
    units: dict[str, Path],
    timeout: int,
    unit: str | None = None,
) -> Result:
    """Grade one submission from its bytes (read before any student code ran)."""
    start = time.perf_counter()
    result = Result(student, file.name, None)
    try:
        submission = nbformat.reads(content.decode("utf8"), as_version=4)
        if not isinstance(submission.get("cells"), list):
            raise ValueError("it has no list of cells")
    except Exception as exc:  # any unreadable file scores 0, with the reason
        result.notes.append(f"{file.name} is not a readable Jupyter notebook ({_short(exc)})")
        return result
    detected = detect_unit(submission, file, units)
    if unit and detected != unit:
        result.unit = unit
        result.exercises = [Exercise(e) for e in exercise_ids(read(units[unit]))]
        result.notes.append(f"this is notebook {detected or 'of no known unit'}, not {unit}")
        return result
    if detected is None:
        result.notes.append("cannot tell which unit this notebook is (no title, metadata, name)")
        return result
    result.unit = detected
    instructor = read(units[detected])
    merged, notes = merge(instructor, submission)
    result.notes += notes
    with tempfile.TemporaryDirectory(prefix="rnn-grade-") as workdir:
        report = run_nbval(merged, Path(workdir), timeout)
    if not report:
        result.notes.append("the notebook could not be run at all (kernel failed to start?)")
    result.exercises = _score(merged, report, exercise_ids(instructor))
    for exercise in sorted(_timed_out_answers(merged, report)):
        result.notes.append(f"answer '{exercise}' was stopped after {timeout} s")
    result.seconds = round(time.perf_counter() - start, 1)
    return result


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_gradebook(results: list[Result], path: Path) -> None:
    columns = []
    for r in results:
        for e in r.exercises:
            key = f"{(r.unit or '??')[:2]}:{e.id}"
            if key not in columns:
                columns.append(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "notebook", "file", *columns, "total", "max", "notes"])
        for r in results:
            points = {f"{(r.unit or '??')[:2]}:{e.id}": e.points for e in r.exercises}
            writer.writerow([
                r.student, r.unit or "", r.file, *[points.get(c, "") for c in columns],
                r.total, len(r.exercises), "; ".join(r.notes),
            ])  # fmt: skip


def write_feedback(results: list[Result], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for student in dict.fromkeys(r.student for r in results):
        lines = [f"# Feedback for {student}", ""]
        for r in (r for r in results if r.student == student):
            lines += [f"## {r.unit or 'unknown notebook'} ({r.file})", ""]
            lines.append(f"**{r.total} / {len(r.exercises)} points**")
            lines.append("")
            lines += [f"- Note: {note}" for note in r.notes]
            for e in r.exercises:
                mark = "passed" if e.points else e.status
                lines.append(f"- `{e.id}`: {mark}. {e.message}".rstrip())
            lines.append("")
        path = folder / f"{_safe(student)}.md"
        path.write_text("\n".join(lines), encoding="utf8")
        written.append(path)
    return written


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "student"


def grade(
    submissions: Path,
    out: Path,
    *,
    timeout: int = 120,
    unit: str | None = None,
    notebooks: Path = ROOT / "notebooks",
) -> list[Result]:
    """Grade every submission in a folder; write gradebook.csv and feedback/ into `out`."""
    submissions, out = Path(submissions).resolve(), Path(out).resolve()
    if not submissions.is_dir():
        raise SystemExit(f"No folder {submissions}: give the folder of student notebooks.")
    if out == submissions or submissions in out.parents:
        raise SystemExit("Write the grades outside the submissions folder (--out).")
    units = instructor_notebooks(notebooks)
    if unit and unit not in units:
        raise SystemExit(f"No unit {unit!r}; the units are: {', '.join(units)}")
    found = find_submissions(submissions)
    contents = {f: f.read_bytes() for _, f in found}  # read all before running any code
    before = {f: hashlib.sha256(b).hexdigest() for f, b in contents.items()}
    results = []
    for student, file in found:
        print(f"grading {student}: {file.name} ...", flush=True)
        results.append(grade_one(student, file, contents[file], units, timeout, unit))
        r = results[-1]
        print(f"  {r.unit}: {r.total}/{len(r.exercises)} in {r.seconds} s", flush=True)
    for student, file in found:
        if not file.exists() or _digest(file) != before[file]:
            print(f"WARNING: {file} changed during grading: student code wrote to it.")
            next(r for r in results if r.file == file.name and r.student == student).notes.append(
                "this submission was changed while it was graded (its code writes files)"
            )
    write_gradebook(results, out / "gradebook.csv")
    write_feedback(results, out / "feedback")
    print(f"gradebook: {out / 'gradebook.csv'}; feedback: {out / 'feedback'}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "grading")
    parser.add_argument("--unit", help="grade every file as this unit (e.g. 01_memory_cell)")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args(argv)
    grade(args.submissions, args.out, timeout=args.timeout, unit=args.unit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
