"""Grading with nbval on a small instructor notebook and synthetic submissions for each case."""

from __future__ import annotations

import copy
import csv
import hashlib
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from helpers import grading, student

ANSWER_DOUBLE = '''def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION'''
CHECK_DOUBLE = """from helpers.checks import call_student, fail, passed

got = call_student(double, 21, what="double")
if got != 42:
    fail(f"double(21) gave {got!r}, expected 42.")
passed("double doubles.")"""
ANSWER_TOTAL = """### BEGIN SOLUTION
total = sum(range(10))
### END SOLUTION"""
CHECK_TOTAL = """from helpers.checks import fail, passed

if total is None:
    fail("`total` is not computed yet.")
if total != 45:
    fail(f"total is {total}, expected 45.")
passed("total is right.")"""
HIDDEN = """assert double(-1) == -2, "double must work for negative numbers too" """


def cell(source: str, *tags: str):
    c = new_code_cell(source)
    if tags:
        c.metadata["tags"] = list(tags)
    return c


def _instructor_notebook():
    nb = new_notebook(
        cells=[
            new_markdown_cell("# 90 · Toy unit\n\n**Learning goals**: doubling."),
            cell("import math"),
            cell("print(math.sqrt(16))", "nbval-check-output"),
            cell(ANSWER_DOUBLE, "answer:double"),
            cell(CHECK_DOUBLE, "check:double"),
            cell(HIDDEN, "hidden"),
            cell(ANSWER_TOTAL, "answer:total"),
            cell(CHECK_TOTAL, "check:total"),
            cell("print('the end')"),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="4.0\n")]
    nb.cells[2].execution_count = 1
    return nb


INSTRUCTOR = _instructor_notebook()  # one notebook, so cell ids agree as in real use


def instructor_notebook():
    return copy.deepcopy(INSTRUCTOR)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    (root / "notebooks").mkdir()
    nbformat.write(instructor_notebook(), str(root / "notebooks" / "90_toy.ipynb"))
    return root


def student_nb():
    return student.student_version(instructor_notebook(), "90_toy")


def with_answers(double_body: str | None = "    return x + x", total: str | None = "total = 45"):
    nb = student_nb()
    for c in nb.cells:
        if student.answer_id(c) == "double" and double_body is not None:
            c.source = 'def double(x):\n    """Twice x."""\n' + double_body
        if student.answer_id(c) == "total" and total is not None:
            c.source = total
    return nb


def write(folder: Path, name: str, nb=None, raw: bytes | None = None) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if raw is not None:
        path.write_bytes(raw)
    else:
        nbformat.write(nb, str(path))
    return path


def drop_tags(nb):
    for c in nb.cells:
        c.metadata.pop("tags", None)
    return nb


def edited_checks(nb):
    for c in nb.cells:
        if student.check_id(c):
            c.source = "print('Passed: trust me')"
    return nb


def remove_double_answer(nb):
    nb.cells = [c for c in nb.cells if student.answer_id(c) != "double"]
    for c in nb.cells:  # and the editor lost the other cells' metadata, so ids cannot help
        c.id = f"x{abs(hash(c.source)) % 10**8}"
    return nb


VANDAL = """import pathlib
for name in ("graded.ipynb", "gradebook.csv", "report.json", "../vandal.ipynb"):
    pathlib.Path(name).write_text("overwritten by the student")
total = 45"""

# student -> (file, notebook or raw bytes, expected points per exercise, text in the notes)
CASES = {
    "ada": ("ada.ipynb", lambda: with_answers(), {"double": 1, "total": 1}, ""),
    "stub": ("stub.ipynb", student_nb, {"double": 0, "total": 0}, ""),
    "raiser": (
        "raiser.ipynb",
        lambda: with_answers("    return 1 / 0"),
        {"double": 0, "total": 1},
        "",
    ),
    "looper": (
        "looper.ipynb",
        lambda: with_answers(total="while True:\n    pass"),
        {"double": 1, "total": 0},
        "stopped after",
    ),
    "no_tags": ("no_tags.ipynb", lambda: drop_tags(with_answers()), {"double": 1, "total": 1}, ""),
    "cheater": (
        "cheater.ipynb",
        lambda: edited_checks(with_answers("    return 3 * x")),
        {"double": 0, "total": 1},
        "",
    ),
    "missing": (
        "missing.ipynb",
        lambda: remove_double_answer(with_answers()),
        {"double": 0, "total": 1},
        "no answer cell",
    ),
    "vandal": ("vandal.ipynb", lambda: with_answers(total=VANDAL), {"double": 1, "total": 1}, ""),
    "garbage": ("garbage.ipynb", b"this is not json {", {}, "not a readable Jupyter notebook"),
    "notanotebook": ("notanotebook.ipynb", b'{"hello": 1}', {}, "not a readable Jupyter notebook"),
    "pdf": ("pdf.pdf", b"%PDF-1.4 not a notebook", {}, "not a readable Jupyter notebook"),
}


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    submissions = tmp_path_factory.mktemp("submissions")
    for name, (file, make, _, _) in CASES.items():
        content = make if isinstance(make, bytes) else None
        write(submissions / name, file, None if content else make(), content)
    digests = {p: hashlib.sha256(p.read_bytes()).digest() for p in submissions.rglob("*.*")}
    out = tmp_path_factory.mktemp("out")
    results = grading.grade(submissions, out, timeout=10, notebooks=course / "notebooks")
    return submissions, digests, out, {r.student: r for r in results}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_case_scores_as_expected(graded, name):
    _, _, _, results = graded
    _, _, expected, note = CASES[name]
    result = results[name]
    got = {e.id: e.points for e in result.exercises}
    assert got == expected, (result.exercises, result.notes)
    assert note in " ".join(result.notes)


def test_feedback_explains_each_check(graded):
    _, _, out, _ = graded
    stub = (out / "feedback" / "stub.md").read_text()
    assert "0 / 2 points" in stub and "not written yet" in stub and "not computed yet" in stub
    raiser = (out / "feedback" / "raiser.md").read_text()
    assert "ZeroDivisionError" in raiser
    ada = (out / "feedback" / "ada.md").read_text()
    assert "2 / 2 points" in ada and "double doubles" in ada


def test_hidden_checks_are_restored(course, tmp_path):
    # a double() that passes the visible check but fails the hidden one: the hidden cell
    # fails, but it carries no points; the visible check still decides the exercise
    submissions = tmp_path / "subs"
    write(submissions, "eve.ipynb", with_answers("    return 42 if x == 21 else 0"))
    results = grading.grade(
        submissions, tmp_path / "out", timeout=10, notebooks=course / "notebooks"
    )
    assert {e.id: e.points for e in results[0].exercises} == {"double": 1, "total": 1}
    merged, _ = grading.merge(grading.read(course / "notebooks" / "90_toy.ipynb"), with_answers())
    assert any("hidden" in c.metadata.get("tags", []) for c in merged.cells)


def test_gradebook_has_a_row_per_submission(graded):
    _, _, out, _ = graded
    with open(out / "gradebook.csv", encoding="utf8") as f:
        rows = list(csv.DictReader(f))
    assert {r["student"] for r in rows} == set(CASES)
    ada = next(r for r in rows if r["student"] == "ada")
    assert (ada["90:double"], ada["90:total"], ada["total"], ada["max"]) == ("1", "1", "2", "2")
    garbage = next(r for r in rows if r["student"] == "garbage")
    assert garbage["total"] == "0" and "not a readable" in garbage["notes"]


def test_submissions_are_never_modified(graded):
    submissions, digests, _, _ = graded
    for path, digest in digests.items():
        assert hashlib.sha256(path.read_bytes()).digest() == digest, f"{path} was changed"


def test_wrong_unit_scores_zero_with_a_note(course, tmp_path):
    submissions = tmp_path / "subs"
    other = with_answers()
    other.cells[0].source = "# 91 · Another unit"
    other.metadata.pop("rnn_course")
    write(submissions, "zoe.ipynb", other)
    write(submissions, "ann.ipynb", with_answers())
    results = grading.grade(
        submissions, tmp_path / "out", timeout=10, unit="90_toy", notebooks=course / "notebooks"
    )
    by = {r.student: r for r in results}
    assert by["ann"].total == 2
    assert by["zoe"].total == 0 and "not 90_toy" in by["zoe"].notes[0]


def test_grading_refuses_to_write_into_the_submissions(course, tmp_path):
    (tmp_path / "subs").mkdir()
    with pytest.raises(SystemExit, match="outside the submissions"):
        grading.grade(tmp_path / "subs", tmp_path / "subs" / "out", notebooks=course / "notebooks")
