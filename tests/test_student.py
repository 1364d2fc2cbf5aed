"""Student versions: no solution leaks, stubs in place, and on real notebooks every check
fails with its own message on the stub while the notebook still runs around it."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from helpers.notebooks import read, tags
from instructor import student_versions as student

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
WITH_EXERCISES = [p for p in NOTEBOOKS if any(student.answer_id(c) for c in read(p).cells)]


def test_function_body_becomes_a_stub():
    source = (
        "def f(x):\n    '''Doc.'''\n"
        "    ### BEGIN SOLUTION\n    y = x + 1\n    return y\n    ### END SOLUTION"
    )
    assert student.strip_solutions(source) == (
        "def f(x):\n    '''Doc.'''\n    # YOUR CODE HERE\n    raise NotImplementedError"
    )


def test_assignments_become_none():
    source = "### BEGIN SOLUTION\nanswers = {'q1': 'b',\n           'q2': 'a'}\n### END SOLUTION"
    assert student.strip_solutions(source) == "answers = None  # YOUR CODE HERE"


def test_assignments_inside_a_function_still_raise():
    source = (
        "def call(x):\n    ### BEGIN SOLUTION\n    h = x + 1\n    ### END SOLUTION\n    return h"
    )
    assert student.strip_solutions(source) == (
        "def call(x):\n    # YOUR CODE HERE\n    raise NotImplementedError\n    return h"
    )


def test_unpaired_markers_are_refused():
    with pytest.raises(student.SolutionMarkerError, match="1 '### BEGIN SOLUTION' but 0"):
        student.strip_solutions("### BEGIN SOLUTION\nx = 1")


def test_student_version_clears_outputs_and_drops_hidden_cells():
    answer = new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION")
    answer.metadata["tags"] = ["answer:f"]
    answer.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x")]
    answer.execution_count = 3
    hidden = new_code_cell("assert f() == 1")
    hidden.metadata["tags"] = ["hidden"]
    nb = student.student_version(new_notebook(cells=[answer, hidden]), "99_x")
    assert len(nb.cells) == 1
    assert nb.cells[0].outputs == [] and nb.cells[0].execution_count is None
    assert "return 1" not in nb.cells[0].source
    assert nb.metadata["rnn_course"] == {"unit": "99_x", "version": "student"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_solution_line_leaks(path):
    instructor = read(path)
    text = nbformat.writes(student.student_version(instructor, path.stem))
    assert student.BEGIN not in text and student.END not in text
    for cell in instructor.cells:
        if student.answer_id(cell):
            for region in student.solution_regions(cell.source):
                assert region.strip() not in text, f"{path.name}: a solution region leaked"


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.stem for p in WITH_EXERCISES])
def test_student_notebook_runs_and_every_check_fails_clearly_on_the_stub(path, monkeypatch):
    """One fast-mode run of the student version, errors allowed: nothing fails before the
    first exercise, each check cell fails with CheckFailed (its own message), and no other
    cell fails except those tagged `uses-answer`, which run the student's own answer (the
    text says so) and so work once the exercise is done."""
    monkeypatch.setenv("RNN_COURSE_FAST", "1")
    monkeypatch.delenv("RNN_COURSE_RESULTS", raising=False)
    nb = student.student_version(read(path), path.stem)
    NotebookClient(
        nb, timeout=600, allow_errors=True, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    errors = {}
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                errors[index] = (output.ename, output.evalue)
    checks = {i: student.check_id(c) for i, c in enumerate(nb.cells) if student.check_id(c)}
    answers = {i: student.answer_id(c) for i, c in enumerate(nb.cells) if student.answer_id(c)}
    first_exercise = min(answers)
    assert all(i >= first_exercise for i in errors), f"failed before the first exercise: {errors}"
    for index, exercise in checks.items():
        assert index in errors, f"check '{exercise}' passed on the stub"
        ename, message = errors[index]
        assert ename == "CheckFailed", f"check '{exercise}' failed with {ename}: {message}"
        assert "yet" in message, (
            f"check '{exercise}' on the stub should say 'not ... yet': {message}"
        )
    uses_answer = {i for i, c in enumerate(nb.cells) if "uses-answer" in tags(c)}
    unexpected = {
        i: e for i, e in errors.items() if i not in set(checks) | set(answers) | uses_answer
    }
    assert not unexpected, f"cells that depend on the student's answers: {unexpected}"
    messages = [errors[i][1] for i in checks]
    assert len(set(messages)) == len(messages), "two checks give the same message"
