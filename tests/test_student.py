"""Student versions: no solution leaks, stubs in place, and on real notebooks every check
fails with its own message on the stub while the notebook still runs around it."""

from __future__ import annotations

import ast
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


def code_names(source: str) -> tuple[set[str], set[str]]:
    """(names a cell defines at its top level, names it reads), ignoring shell and magic lines."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("!", "%"))]
    tree = ast.parse("\n".join(lines))
    loaded = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    stored: set[str] = set()
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
    pending: list[ast.AST] = [tree]
    while pending:  # the cell's own namespace: not inside functions, classes or lambdas
        node = pending.pop()
        if isinstance(node, scopes):
            stored.add(getattr(node, "name", ""))
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            stored.add(node.id)
        pending.extend(ast.iter_child_nodes(node))
    return stored - {""}, loaded


def cells_reading_answers(nb) -> dict[int, set[str]]:
    """Code cells, other than answer and check cells, that read a name an answer cell
    defines, by index, with those names. In the student version these cells fail until the
    exercise is done, so each must be tagged `uses-answer`."""
    from_answer: set[str] = set()  # names whose latest definition is an answer cell's
    readers = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        stored, loaded = code_names(cell.source)
        if student.answer_id(cell):
            from_answer |= stored
            continue
        if not student.check_id(cell) and (used := (loaded - stored) & from_answer):
            readers[index] = used
        from_answer -= stored
    return readers


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.stem for p in WITH_EXERCISES])
def test_cells_that_read_answers_are_tagged(path):
    """Statically: every cell that uses what an exercise defines says so (`uses-answer`), and
    every answer is followed by its check."""
    nb = student.student_version(read(path), path.stem)
    untagged = {
        i: sorted(names)
        for i, names in cells_reading_answers(nb).items()
        if "uses-answer" not in tags(nb.cells[i])
    }
    assert not untagged, f"cells that read answers without the uses-answer tag: {untagged}"
    answers = [student.answer_id(c) for c in nb.cells if student.answer_id(c)]
    checks = [student.check_id(c) for c in nb.cells if student.check_id(c)]
    assert answers == checks, "each answer cell needs its check cell, in the same order"


def test_untagged_reader_of_an_answer_is_found():
    answer = new_code_cell("def f():\n    raise NotImplementedError")
    answer.metadata["tags"] = ["answer:f"]
    cells = [answer, new_code_cell("y = f()"), new_code_cell("def f():\n    return 2"),
             new_code_cell("z = f()"), new_code_cell("!ls\nprint(z)")]  # fmt: skip
    assert cells_reading_answers(new_notebook(cells=cells)) == {1: {"f"}}
    cells[2].source = "g = 1"  # f is no longer redefined: cell 3 reads the answer
    assert cells_reading_answers(new_notebook(cells=cells)) == {1: {"f"}, 3: {"f"}}


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.stem for p in WITH_EXERCISES])
def test_student_notebook_runs_to_its_first_check_which_fails_clearly(path, monkeypatch):
    """The student version in fast mode, from the top to its first check cell: nothing fails
    before the first exercise, and the check fails on the stub with CheckFailed and a message
    that says "not ... yet". (The instructor version runs in full under nbval; every check's
    stub message is tested with the check's unit tests.)"""
    monkeypatch.setenv("RNN_COURSE_FAST", "1")
    monkeypatch.delenv("RNN_COURSE_RESULTS", raising=False)
    nb = student.student_version(read(path), path.stem)
    first_check = next(i for i, c in enumerate(nb.cells) if student.check_id(c))
    nb.cells = nb.cells[: first_check + 1]
    NotebookClient(
        nb, timeout=600, allow_errors=True, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    errors = {
        index: (output.ename, output.evalue)
        for index, cell in enumerate(nb.cells)
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    }
    assert set(errors) == {first_check}, f"only the first check should fail: {errors}"
    ename, message = errors[first_check]
    assert ename == "CheckFailed", f"the first check failed with {ename}: {message}"
    assert "yet" in message, f"the check on the stub should say 'not ... yet': {message}"
