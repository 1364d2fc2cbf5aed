"""Committed notebooks: reference outputs that are clean, checked and up to date."""

from pathlib import Path

import pytest

from helpers.notebooks import code_source_hash, is_checked, read, run_info

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
REPOSITORY = "rnn-course/rnn-course"


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request):
    return request.param, read(request.param)


def code_cells(nb):
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def test_no_error_or_stderr_outputs(notebook):
    path, nb = notebook
    for i, cell in code_cells(nb):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"{path.name} cell {i} has a saved error"
            assert not (output.output_type == "stream" and output.get("name") == "stderr"), (
                f"{path.name} cell {i} has a saved stderr output"
            )


def test_checked_cells_have_outputs_and_counts(notebook):
    path, nb = notebook
    checked = [(i, c) for i, c in code_cells(nb) if is_checked(c)]
    assert checked, f"{path.name} has no checked cell (tag nbval-check-output)"
    for i, cell in checked:
        assert cell.outputs, f"{path.name} cell {i} is checked but has no saved output"
        assert cell.execution_count is not None, f"{path.name} cell {i} has no execution count"


def test_outputs_were_made_from_this_code_in_full_mode(notebook):
    path, nb = notebook
    info = run_info(nb)
    assert info, f"{path.name} has no reference outputs: run `make reference NOTEBOOKS={path}`"
    assert info.get("mode") == "full", f"{path.name} outputs were made in {info.get('mode')} mode"
    assert info.get("source_sha256") == code_source_hash(nb), (
        f"{path.name}: its code changed after its outputs were made; "
        f"run `make reference NOTEBOOKS=notebooks/{path.name}`"
    )


def test_header_and_setup_cell(notebook):
    path, nb = notebook
    header = "".join(nb.cells[0].source)
    assert header.startswith("# "), f"{path.name} must open with a title cell"
    badge = f"colab.research.google.com/github/{REPOSITORY}/blob/main/notebooks/{path.name}"
    assert badge in header, f"{path.name}: the Open in Colab badge must point at {badge}"
    assert "Learning goals" in header, f"{path.name}: the header must list the learning goals"
    first_code = code_cells(nb)[0][1]
    assert "helpers.setup()" in "".join(first_code.source), (
        f"{path.name}: the first code cell must call helpers.setup()"
    )


def test_setup_cell_is_the_same_everywhere(notebook):
    """Every notebook starts with 00's setup cell, so Colab and local runs behave alike."""
    path, nb = notebook
    reference = code_cells(read(ROOT / "notebooks" / "00_start_here.ipynb"))[0][1].source
    assert code_cells(nb)[0][1].source == reference, (
        f"{path.name}: copy the setup cell of 00_start_here unchanged"
    )
