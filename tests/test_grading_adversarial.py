"""Adversarial submissions of 01_memory_cell: each scores what an honest grader would give.

One class of submissions is graded once (module fixture); every test reads its verdicts.
The answers that try to game the old in-kernel grading score 0 for that exercise only.
"""

from __future__ import annotations

import copy
import csv
from pathlib import Path

import nbformat
import pytest

from helpers.notebooks import read
from instructor.answer_keys import ANSWERS
from instructor.grading import grader, report
from instructor.student_versions import answer_id, check_id, solution_regions, student_version

ROOT = Path(__file__).resolve().parents[1]
UNIT = "01_memory_cell"
INSTRUCTOR = read(ROOT / "notebooks" / f"{UNIT}.ipynb")
RIGHT_STEP = (
    "def rnn_step(x_t, h_prev, W_x, W_h, b):\n    return np.tanh(x_t @ W_x + h_prev @ W_h + b)"
)
KEY = {q: entry[0] for q, entry in ANSWERS[UNIT].items()}  # the right letter of each question
N_QUIZ = len(KEY)
QUIZ_RIGHT = f"answers = {KEY!r}"
WRONG_Q2 = next(letter for letter in "abcd" if letter != KEY["q2"])
ALL_BUT_Q2 = {**{q: letter.upper() + ")" for q, letter in KEY.items()}, "q2": WRONG_Q2}
STEP_ATTACKS = {
    "reference": "from helpers.memory_cell import rnn_step",
    "instructor": "import instructor\n" + RIGHT_STEP,
    "read_notebook": "import json\nsrc = json.load(open('../notebooks/01_memory_cell.ipynb'))\n"
    + RIGHT_STEP,
    "patch_fail": "import helpers.checks\nhelpers.checks.fail = lambda m: None\n"
    "def rnn_step(x_t, h_prev, W_x, W_h, b):\n    return 0",
    "patch_numpy": "np.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = "
    "lambda *a, **k: None\ndef rnn_step(x_t, h_prev, W_x, W_h, b):\n    return h_prev",
    "print_passed": "print('Passed: rnn_step is right.')\n"
    "def rnn_step(x_t, h_prev, W_x, W_h, b):\n    return x_t",
    "exit": "import os\nos._exit(0)\n" + RIGHT_STEP,
    "exit_hidden": "def rnn_step(x_t, h_prev, W_x, W_h, b):\n    raise SystemExit(0)",
    "flood": "print('x' * 50_000_000)\n" + RIGHT_STEP,
    "loop": "while True:\n    pass",
    "del_np": "del np\n" + RIGHT_STEP,
    "right": RIGHT_STEP,
    "wrong": "def rnn_step(x_t, h_prev, W_x, W_h, b):\n    return np.tanh(x_t @ W_x + b)",
}
EXPECTED_STEP = {
    "reference": (0, "not allowed", "course package"),
    "instructor": (0, "not allowed", "course package"),
    "read_notebook": (0, "not allowed", "import json"),
    "patch_fail": (0, "not allowed", "course package"),
    "patch_numpy": (0, "wrong", "hidden inputs"),
    "print_passed": (0, "wrong", "hidden inputs"),
    "exit": (0, "not allowed", "import os"),
    "exit_hidden": (0, "error", "SystemExit"),
    "flood": (1, "right", ""),
    "loop": (0, "timeout", "did not finish"),
    "del_np": (0, "error", "NameError"),
    "right": (1, "right", ""),
    "wrong": (0, "wrong", "wrong values"),
}


def submission(step: str, quiz: str = QUIZ_RIGHT, grad: str | None = None):
    """The student version of unit 01 with its answer cells filled in."""
    nb = student_version(INSTRUCTOR, UNIT)
    for cell in nb.cells:
        exercise = answer_id(cell)
        if exercise == "forward-step":
            cell.source = step
        elif exercise == "quiz":
            cell.source = quiz
        elif exercise == "grad-through-time" and grad is not None:
            cell.source = grad
    return nb


def write(folder: Path, name: str, nb) -> Path:
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    for name, source in STEP_ATTACKS.items():
        write(folder, name, submission(source))
    # os._exit(0) in an answer cell ends the process before the probe runs.
    write(folder, "os_exit", submission("np.f2py.os._exit(0)\n" + RIGHT_STEP))
    grad = "\n".join(solution_regions(_answer("grad-through-time")))
    grad = "def grad_w_h(xs, w_x, w_h, b, target):\n" + grad
    write(folder, "quiz_cheat", submission(
        RIGHT_STEP, quiz="from instructor.answer_keys import ANSWERS\n" + QUIZ_RIGHT, grad=grad
    ))  # fmt: skip
    checks_edited = submission(
        RIGHT_STEP,
        quiz=f"answers = {ALL_BUT_Q2!r}",
    )
    for cell in checks_edited.cells:
        if check_id(cell):
            cell.source = "print('Passed')"
    write(folder, "checks_edited", checks_edited)
    (folder / "broken.ipynb").write_text("{ not json", encoding="utf8")
    write(folder, "other_unit", read(ROOT / "notebooks" / "02_vanishing_gradients.ipynb"))
    missing = submission(RIGHT_STEP)
    missing.cells = [c for c in missing.cells if answer_id(c) != "forward-step"]
    write(folder, "missing", missing)
    before = {p: p.read_bytes() for p in folder.iterdir()}
    out = tmp_path_factory.mktemp("out")
    results, _ = grader.grade(folder, out, timeout=10, unit=UNIT, jobs=2, seed=11)
    assert {p: p.read_bytes() for p in folder.iterdir()} == before  # never modified
    return {r.student: r for r in results}, out


def _answer(exercise: str) -> str:
    return next(c.source for c in INSTRUCTOR.cells if answer_id(c) == exercise)


def mark(result, exercise: str):
    return next(e for e in result.exercises if e.id == exercise)


@pytest.mark.parametrize("name", sorted(STEP_ATTACKS))
def test_forward_step_scores_what_it_deserves(graded, name):
    points, status, words = EXPECTED_STEP[name]
    result = graded[0][name]
    step = mark(result, "forward-step")
    assert (step.points, step.status) == (points, status), step.message
    assert words in step.message
    assert mark(result, "quiz").points == N_QUIZ  # the rest of the submission is still graded
    assert mark(result, "grad-through-time").status == "not answered"


def test_os_exit_costs_only_its_exercise(graded):
    result = graded[0]["os_exit"]
    step = mark(result, "forward-step")
    assert step.points == 0
    assert "ended the Python process before it could be checked" in step.message
    assert mark(result, "quiz").points == N_QUIZ


def test_quiz_answer_key_import_is_refused_but_other_answers_count(graded):
    result = graded[0]["quiz_cheat"]
    assert mark(result, "quiz").points == 0
    assert "course package" in mark(result, "quiz").message
    assert mark(result, "grad-through-time").points == 1
    assert mark(result, "forward-step").points == 1


def test_edited_checks_do_not_matter_and_quiz_explains(graded):
    result = graded[0]["checks_edited"]
    quiz = mark(result, "quiz")
    assert (quiz.points, quiz.max_points) == (N_QUIZ - 1, N_QUIZ)
    q2 = next(line for line in quiz.message.splitlines() if "q2:" in line)
    assert q2.index(f"not {WRONG_Q2}:") < q2.index(f"The answer is {KEY['q2']}")  # why not, first
    assert "weight sharing" in quiz.message
    assert mark(result, "forward-step").points == 1


def test_unreadable_wrong_unit_and_missing_cells_score_zero_with_a_note(graded):
    results = graded[0]
    assert results["broken"].total == 0 and "not a readable" in results["broken"].notes[0]
    assert results["other_unit"].total == 0
    assert "02_vanishing_gradients" in results["other_unit"].notes[0]
    missing = mark(results["missing"], "forward-step")
    assert missing.points == 0 and "no answer cell" in missing.message
    assert mark(results["missing"], "quiz").points == N_QUIZ


def test_gradebook_has_one_column_per_exercise(graded):
    results, out = graded
    report.write_all(list(results.values()), out)
    rows = list(csv.DictReader((out / "gradebook.csv").read_text(encoding="utf8").splitlines()))
    header = list(rows[0])
    assert header[:4] == [
        "student",
        f"{UNIT}:forward-step",
        f"{UNIT}:grad-through-time",
        f"{UNIT}:quiz",
    ]
    assert header[-3:] == ["total", "max", "notes"]
    right = next(r for r in rows if r["student"] == "right")
    assert (right["total"], right["max"]) == (str(1 + N_QUIZ), str(2 + N_QUIZ))
    assert "weight sharing" in (out / "feedback" / "right.md").read_text()


def test_student_copy_of_instructor_is_untouched():
    assert copy.deepcopy(INSTRUCTOR) == INSTRUCTOR
