"""Grade student notebooks: each exercise in its own sandbox, on hidden inputs, judged outside.

    python -m instructor.grading SUBMISSIONS [--out grading] [--unit 01_memory_cell]
        [--timeout 120] [--jobs N] [--seed S] [--shard i/n] [--gradescope-results FILE]
    python -m instructor.grading merge OUT

SUBMISSIONS holds one folder per student (`alice/01_memory_cell.ipynb`, ...) or notebooks
directly (`alice.ipynb`: the student is the file name). Each answer cell (tag
`answer:<id>`; else the same cell id; else the same position) is checked against the static
policy, then run alone in a fresh process with its prelude, and its probe calls it on hidden
inputs drawn from the seed. The instructor notebook's solution runs the same way on the same
inputs; the grader compares the two in its own process. Submissions are read once, never
written. Grading runs student code: run it in a container as well.
"""

from __future__ import annotations

import re
import secrets
import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from helpers.notebooks import METADATA_KEY, read
from instructor.answer_keys import ANSWERS
from instructor.grading import exercises, policy, sandbox
from instructor.student_versions import answer_id

ROOT = Path(__file__).resolve().parents[2]
_UNIT_TITLE = re.compile(r"^#\s*(\d\d)\b", re.M)


@dataclass
class Exercise:
    id: str
    points: int = 0
    max_points: int = 1
    status: str = "not run"  # right, wrong, not answered, error, timeout, not allowed, missing
    message: str = ""


@dataclass
class Result:
    student: str
    file: str
    unit: str | None
    exercises: list[Exercise] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(e.points for e in self.exercises)


def instructor_notebooks(folder: Path = ROOT / "notebooks") -> dict[str, Path]:
    return {p.stem: p for p in sorted(folder.glob("[0-9]*.ipynb"))}


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


def find_answers(instructor, submission) -> tuple[dict[str, str | None], list[str]]:
    """The student's source of each answer cell of the instructor notebook; and notes."""
    notes: list[str] = []
    by_tag = {answer_id(c): c for c in submission.cells if answer_id(c)}
    by_id = {c.get("id"): c for c in submission.cells if c.get("id")}
    inst_code = [c for c in instructor.cells if c.cell_type == "code"]
    stud_code = [c for c in submission.cells if c.cell_type == "code"]
    answers: dict[str, str | None] = {}
    for position, cell in enumerate(inst_code):
        exercise = answer_id(cell)
        if exercise is None:
            continue
        found = by_tag.get(exercise) or by_id.get(cell.get("id"))
        if found is None and len(inst_code) == len(stud_code):
            found = stud_code[position]
            notes.append(f"answer '{exercise}': found by its position (its cell tag was lost)")
        if found is None or found.cell_type != "code":
            notes.append(f"answer '{exercise}': no answer cell found; the exercise scores 0")
            answers[exercise] = None
        else:
            answers[exercise] = str(found.source)
    return answers, notes


# --------------------------------------------------------------------------- running


def hidden_inputs(spec: exercises.Spec, seed: int) -> object:
    """The hidden inputs of an exercise for a run: the same for every submission."""
    rng = np.random.default_rng([seed, zlib.crc32(spec.key.encode())])
    return sandbox.jsonable(spec.inputs(rng))


def prelude(spec: exercises.Spec, instructor) -> str:
    """The spec's imports, then the instructor notebook's definitions the answer builds on."""
    parts = [spec.prelude]
    for name in spec.notebook_names:
        cells = [c for c in instructor.cells if c.cell_type == "code" and not answer_id(c)]
        defining = [c.source for c in cells if re.search(rf"^class {name}\b", c.source, re.M)]
        imports = [
            line
            for c in cells
            for line in c.source.splitlines()
            if line.startswith("from helpers") and re.search(rf"\b{name}\b", line)
        ]
        if not defining and not imports:
            raise SystemExit(
                f"{spec.key}: the instructor notebook neither defines nor imports {name}"
            )
        parts.append(defining[0] if defining else imports[0])
    return "\n".join(parts)


def expected_results(
    specs: list[exercises.Spec], notebooks: dict[str, object], seed: int, timeout: float, jobs: int
) -> dict[str, object]:
    """Run the instructor's own answer cells on the hidden inputs: the expected results."""
    todo = [s for s in specs if not s.quiz]

    def run(spec: exercises.Spec) -> object:
        nb = notebooks[spec.unit]
        cell = next(c for c in nb.cells if c.cell_type == "code" and answer_id(c) == spec.id)
        probe = exercises.PROBE_HEAD + spec.probe
        return sandbox.run_job(
            prelude(spec, nb), cell.source, probe, hidden_inputs(spec, seed), timeout
        )

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        outcomes = list(pool.map(run, todo))
    expected = {}
    for spec, outcome in zip(todo, outcomes, strict=True):
        if "error" in outcome:
            raise SystemExit(f"The instructor solution of {spec.key} failed: {outcome}")
        expected[spec.key] = outcome["value"]
    return expected


# --------------------------------------------------------------------------- judging


def judge(spec: exercises.Spec, outcome: dict, want: object, timeout: float) -> Exercise:
    """Points and a plain-words message for what the sandbox returned."""
    if "error" in outcome:
        return _error(spec, outcome, timeout)
    if spec.quiz:
        return judge_quiz(spec, outcome["value"])
    got = outcome["value"]
    problem = (spec.compare or exercises.compare_numbers)(got, want, spec)
    if problem is None:
        return Exercise(
            spec.id, 1, 1, "right", f"{spec.what} gives the right results on hidden inputs."
        )
    return Exercise(
        spec.id, 0, 1, "wrong",
        f"{spec.what} does not give the expected results on hidden inputs: {problem}.",
    )  # fmt: skip


_ERRORS = {
    "Timeout": ("timeout", "your answer did not finish within {timeout:g} s (an endless loop?)"),
    "Exited": ("error", "your answer ended the Python process before it could be checked"),
    "Crashed": ("error", "the Python process running your answer crashed ({message})"),
    "MemoryError": ("error", "your answer used more memory than allowed"),
    "TooLarge": ("error", "your answer returned a result too large to check"),
}


def _error(spec: exercises.Spec, outcome: dict, timeout: float) -> Exercise:
    error, message = outcome["error"], outcome.get("message", "")
    if error == "NotImplementedError":
        return Exercise(spec.id, 0, _max_points(spec), "not answered", "not answered yet.")
    if error in _ERRORS:
        status, text = _ERRORS[error]
        text = text.format(timeout=timeout, message=message)
    else:
        where = "your answer cell" if outcome.get("stage") == "answer" else spec.what
        status, text = "error", f"{where} raised {error}: {message}"
    return Exercise(spec.id, 0, _max_points(spec), status, text + ".")


def _max_points(spec: exercises.Spec) -> int:
    return len(ANSWERS[spec.unit]) if spec.quiz else 1


def normalise(letter: object) -> str:
    return str(letter).strip().lower().rstrip(")").strip()


def judge_quiz(spec: exercises.Spec, got: object) -> Exercise:
    """One point per right answer; the explanation of every question."""
    key = ANSWERS[spec.unit]
    if not isinstance(got, dict) or all(v is None for v in got.values()):
        return Exercise(spec.id, 0, len(key), "not answered", "not answered yet.")
    lines, right = [], 0
    for question, (letter, why, *rest) in key.items():
        why_not = rest[0] if rest else {}
        given = got.get(question)
        chosen = None if given is None else normalise(given)
        if chosen == letter:
            right += 1
            lines.append(f"{question}: right ({letter}): {why}")
        elif chosen in why_not:  # why that choice is wrong, before the right answer
            lines.append(
                f"{question}: not {chosen}: {why_not[chosen]} The answer is {letter}: {why}"
            )
        else:
            said = "no answer" if given is None else f"you answered {given!r}"
            lines.append(f"{question}: wrong ({said}; the answer is {letter}): {why}")
    status = "right" if right == len(key) else "wrong"
    return Exercise(spec.id, right, len(key), status, "\n".join(lines))


# --------------------------------------------------------------------------- a whole class


def zero_exercises(unit: str, status: str = "missing", message: str = "") -> list[Exercise]:
    return [Exercise(s.id, 0, _max_points(s), status, message) for s in exercises.specs_for(unit)]


def parse(
    student: str, file: Path, content: bytes, units: dict[str, Path], unit: str | None
) -> tuple[Result, dict[str, str | None] | None]:
    """The result to fill and the answer sources; no answers when the file cannot be graded."""
    result = Result(student, file.name, None)
    try:
        submission = nbformat.reads(content.decode("utf8"), as_version=4)
        if not isinstance(submission.get("cells"), list):
            raise ValueError("it has no list of cells")
    except Exception as exc:  # any unreadable file scores 0, with the reason
        text = str(exc).strip().splitlines()
        reason = (text[0] if text else type(exc).__name__)[:200]
        result.notes.append(f"{file.name} is not a readable Jupyter notebook ({reason})")
        if unit:
            result.unit, result.exercises = unit, zero_exercises(unit)
        return result, None
    detected = detect_unit(submission, file, units)
    if unit and detected != unit:
        result.unit, result.exercises = unit, zero_exercises(unit)
        result.notes.append(f"this is notebook {detected or 'of no known unit'}, not {unit}")
        return result, None
    if detected is None:
        result.notes.append("cannot tell which unit this notebook is (no title, metadata, name)")
        return result, None
    result.unit = detected
    answers, notes = find_answers(read(units[detected]), submission)
    result.notes += notes
    return result, answers


def select_shard(found: list, shard: tuple[int, int] | None) -> list:
    """Every n-th submission from the i-th (1-based), in (student, file) order."""
    if shard is None:
        return found
    index, count = shard
    return sorted(found, key=lambda sf: (sf[0], str(sf[1])))[index - 1 :: count]


def grade_all(
    parsed: list[tuple[Result, dict | None]],
    notebooks: dict[str, Path],
    *,
    seed: int,
    timeout: float,
    jobs: int,
) -> list[Result]:
    """Run every gradable answer in its own sandbox and fill the results in."""
    units = sorted({r.unit for r, answers in parsed if answers is not None})
    nbs = {u: read(notebooks[u]) for u in units}
    specs = [s for s in exercises.SPECS if s.unit in units]
    expected = expected_results(specs, nbs, seed, timeout, jobs)
    preludes = {s.key: prelude(s, nbs[s.unit]) for s in specs}
    inputs = {s.key: hidden_inputs(s, seed) for s in specs}
    tasks: list[tuple[Result, int, exercises.Spec, str]] = []
    for result, answers in parsed:
        if answers is None:
            continue
        result.exercises = zero_exercises(result.unit)
        for index, spec in enumerate(exercises.specs_for(result.unit)):
            source = answers.get(spec.id)
            if source is None:
                result.exercises[index].message = "no answer cell found in the notebook."
            elif problem := policy.violation(source, spec.modules):
                result.exercises[index].status = "not allowed"
                result.exercises[index].message = problem + "."
            else:
                tasks.append((result, index, spec, source))

    def run(task: tuple[Result, int, exercises.Spec, str]) -> dict:
        _, _, spec, source = task
        probe = exercises.PROBE_HEAD + spec.probe
        return sandbox.run_job(preludes[spec.key], source, probe, inputs[spec.key], timeout)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        outcomes = list(pool.map(run, tasks))
    for (result, index, spec, _), outcome in zip(tasks, outcomes, strict=True):
        result.exercises[index] = judge(spec, outcome, expected.get(spec.key), timeout)
    return [r for r, _ in parsed]


def grade(
    submissions: Path,
    out: Path,
    *,
    timeout: float = 120,
    unit: str | None = None,
    jobs: int = 1,
    seed: int | None = None,
    shard: tuple[int, int] | None = None,
    single_student: str | None = None,
    notebooks: Path = ROOT / "notebooks",
) -> tuple[list[Result], int]:
    """Grade a folder of submissions; return the results and the seed of the hidden inputs."""
    submissions, out = Path(submissions).resolve(), Path(out).resolve()
    if not submissions.is_dir():
        raise SystemExit(f"No folder {submissions}: give the folder of student notebooks.")
    if out == submissions or submissions in out.parents:
        raise SystemExit("Write the grades outside the submissions folder (--out).")
    units = instructor_notebooks(notebooks)
    if unit and unit not in units:
        raise SystemExit(f"No unit {unit!r}; the units are: {', '.join(units)}")
    seed = secrets.randbelow(2**31) if seed is None else seed
    print(f"hidden inputs from seed {seed} (rerun with --seed {seed} to repeat)", flush=True)
    if single_student:
        found = [(single_student, f) for f in sorted(submissions.rglob("*.ipynb"))]
        found = [(s, f) for s, f in found if _is_candidate(f)]
    else:
        found = select_shard(find_submissions(submissions), shard)
    contents = {f: f.read_bytes() for _, f in found}  # read all before running any code
    start = time.perf_counter()
    parsed = [parse(s, f, contents[f], units, unit) for s, f in found]
    results = grade_all(parsed, units, seed=seed, timeout=timeout, jobs=jobs)
    for (student, file), result in zip(found, results, strict=True):
        if not file.exists() or file.read_bytes() != contents[file]:
            print(f"WARNING: {file} changed during grading.", file=sys.stderr)
            result.notes.append("this submission was changed while it was graded")
        most = sum(e.max_points for e in result.exercises)
        print(f"{student}: {result.unit}: {result.total}/{most}")
    print(f"graded {len(results)} notebooks in {time.perf_counter() - start:.1f} s", flush=True)
    return results, seed
