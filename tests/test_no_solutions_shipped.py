"""What students receive carries no solution and no answer key.

Two things reach students: the student versions of the notebooks (`make student`) and
the installed course package (`pip install .`, which Colab's setup cell also uses). Neither
may hold a line of a solution region nor a quiz answer key.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from helpers.notebooks import read
from instructor import student_versions as student
from instructor.answer_keys import ANSWERS

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
# Lines too generic to give anything away (they occur in every Keras program).
GENERIC = {"return keras.Sequential("}


def solution_lines(path: Path) -> set[str]:
    """The code lines (comments dropped) of every solution region, 20 characters or more."""
    lines = set()
    for cell in read(path).cells:
        if student.answer_id(cell):
            for region in student.solution_regions(cell.source):
                for line in region.splitlines():
                    code = line.split("#")[0].strip()
                    if len(code) >= 20 and code not in GENERIC:
                        lines.add(code)
    return lines


ALL_SOLUTION_LINES = set().union(*(solution_lines(p) for p in NOTEBOOKS))
EXPLANATIONS = [
    text
    for unit in ANSWERS.values()
    for _, why, *why_not in unit.values()
    for text in [why, *(why_not[0].values() if why_not else [])]
]


def test_there_are_solutions_and_keys_to_look_for():
    assert len(ALL_SOLUTION_LINES) >= 30 and len(EXPLANATIONS) >= 20


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_student_version_holds_no_solution_line(path):
    text = nbformat.writes(student.student_version(read(path), path.stem))
    leaked = [line for line in ALL_SOLUTION_LINES if line in text]
    assert not leaked, f"{path.name}: solution lines in the student version: {leaked}"
    assert not [e for e in EXPLANATIONS if e[:60] in text], "an answer key leaked"


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory) -> dict[str, str]:
    """The text files of the course package as `pip install .` installs it."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(out)],
        check=True, capture_output=True, cwd=out,
    )  # fmt: skip
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return {
            name: archive.read(name).decode("utf8", "replace")
            for name in archive.namelist()
            if name.endswith((".py", ".json", ".txt", ".md", "METADATA"))
        }


def test_the_package_is_the_helpers_only(wheel_files):
    top = {name.split("/")[0] for name in wheel_files if "dist-info" not in name}
    assert top == {"helpers"}, top
    assert "helpers/checks/expected_values.json" in wheel_files


def test_the_package_holds_no_solution_line_and_no_answer_key(wheel_files):
    for name, text in wheel_files.items():
        leaked = [line for line in ALL_SOLUTION_LINES if line in text]
        assert not leaked, f"{name} holds solution lines: {leaked}"
        keys = [e for e in EXPLANATIONS if e[:60] in text]
        assert not keys, f"{name} holds quiz explanations: {keys[:1]}"
        assert "answer=" not in text or name.endswith("METADATA"), f"{name}: answer= found"
