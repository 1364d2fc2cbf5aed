"""The Colab path, exercised: 00_start_here run as on Colab, from a fresh clone of the course.

A stand-in `google.colab` module makes the setup cell take its Colab branch. The clone comes
from this repository through RNN_COURSE_GIT (what the cell reads), into a temporary folder
instead of /content; `%pip install -e` runs for real but as a dry run (PIP_DRY_RUN), so it
resolves the course and its dependencies without changing this environment. The student
asks for fast mode the way the setup cell says: `helpers.setup(fast=True)`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
COLAB_FOLDER = "/content/rnn-course"


def colab_notebook(clone: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(ROOT / "notebooks" / "00_start_here.ipynb", as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    setup = code[0]
    assert COLAB_FOLDER in setup.source and "helpers.setup()" in setup.source
    setup.source = setup.source.replace(COLAB_FOLDER, str(clone)).replace(
        "helpers.setup()", "helpers.setup(fast=True)"
    )
    stand_in = nbformat.v4.new_code_cell(
        "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')"
    )
    probe = nbformat.v4.new_code_cell("print('helpers from:', helpers.__file__)")
    nb.cells = [stand_in, *code, probe]
    return nb


@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed to clone the course")
def test_setup_cell_works_as_on_colab(tmp_path, monkeypatch):
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to clone")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if head.returncode != 0:
        pytest.skip("no commit to clone yet")
    clone = tmp_path / "rnn-course"
    monkeypatch.setenv("RNN_COURSE_GIT", f"file://{ROOT}")
    monkeypatch.setenv("PIP_DRY_RUN", "1")
    # Build with the setuptools installed here, offline. (pip reads this variable inverted:
    # "0" turns build isolation off.)
    monkeypatch.setenv("PIP_NO_BUILD_ISOLATION", "0")
    monkeypatch.delenv("RNN_COURSE_FAST", raising=False)
    nb = colab_notebook(clone)
    NotebookClient(nb, timeout=300, kernel_name="python3").execute(cwd=str(tmp_path))

    assert (clone / "helpers" / "__init__.py").is_file(), "the setup cell did not clone the course"
    outputs = ["".join(o.get("text", "")) for cell in nb.cells for o in cell.get("outputs", [])]
    text = "\n".join(outputs)
    assert "ERROR" not in text and "fatal:" not in text, f"git or pip failed:\n{text[:2000]}"
    assert "fast mode" in text, "helpers.setup(fast=True) did not choose fast mode"
    assert f"helpers from: {clone}" in text, "the notebook did not import the cloned helpers"
    assert "In fast mode a model here would train for 2 epochs." in text
    errors = [o for cell in nb.cells for o in cell.get("outputs", []) if o.output_type == "error"]
    assert not errors
