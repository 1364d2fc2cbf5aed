"""Student versions of the notebooks: solutions out, outputs cleared, checks kept.

    python -m instructor.student_versions [--out student] [NOTEBOOK ...]

Conventions (nbgrader's): the solution stands between `### BEGIN SOLUTION` and
`### END SOLUTION` lines. The student version replaces that region with

    # YOUR CODE HERE
    raise NotImplementedError

indented like the marker, except where a region at the top level of a cell only assigns
names (a knowledge-check `answers = {...}`): then each name is set to None, which the
check reads as "no answer yet".
Cells tagged `hidden` (hidden checks) are removed; grading restores them from the
instructor notebook.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
import textwrap
from pathlib import Path

import nbformat

from helpers.notebooks import METADATA_KEY, read, tags

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_TAG = "hidden"
STUB = "# YOUR CODE HERE"
_REGION = re.compile(
    rf"^(?P<indent>[ \t]*){re.escape(BEGIN)}[ \t]*\n(?P<body>.*?)^[ \t]*{re.escape(END)}[ \t]*$\n?",
    re.M | re.S,
)


class SolutionMarkerError(ValueError):
    """A cell's solution markers do not pair up."""


def answer_id(cell) -> str | None:
    """The exercise id of an answer cell (tag `answer:<id>`), else None."""
    for tag in tags(cell):
        if tag.startswith("answer:"):
            return tag.split(":", 1)[1]
    return None


def check_id(cell) -> str | None:
    """The exercise id of a check cell (tag `check:<id>`), else None."""
    for tag in tags(cell):
        if tag.startswith("check:"):
            return tag.split(":", 1)[1]
    return None


def _stub_for(indent: str, body: str) -> str:
    if indent:  # inside a function or class: the body must not run half-written
        return f"{indent}{STUB}\n{indent}raise NotImplementedError\n"
    try:
        tree = ast.parse(textwrap.dedent(body))
    except SyntaxError:
        tree = None
    if tree and tree.body and all(isinstance(node, ast.Assign) for node in tree.body):
        names = [t.id for node in tree.body for t in node.targets if isinstance(t, ast.Name)]
        if names:
            return "".join(f"{indent}{name} = None  {STUB}\n" for name in dict.fromkeys(names))
    return f"{indent}{STUB}\n{indent}raise NotImplementedError\n"


def strip_solutions(source: str) -> str:
    """Replace every solution region of a cell's source with its stub."""
    if source.count(BEGIN) != source.count(END):
        raise SolutionMarkerError(
            f"{source.count(BEGIN)} '{BEGIN}' but {source.count(END)} '{END}' lines in:\n{source}"
        )
    result = _REGION.sub(lambda m: _stub_for(m["indent"], m["body"]), source)
    if BEGIN in result or END in result:
        raise SolutionMarkerError(f"solution markers must stand alone on their lines in:\n{source}")
    return result.rstrip("\n")


def solution_regions(source: str) -> list[str]:
    """The solution code of a cell, one string per region."""
    return [m["body"] for m in _REGION.finditer(source)]


def student_version(nb, unit: str):
    """A copy of an instructor notebook as students receive it."""
    nb = copy.deepcopy(nb)
    kept = []
    for cell in nb.cells:
        if HIDDEN_TAG in tags(cell):
            continue
        if BEGIN in cell.source or END in cell.source:
            cell.source = strip_solutions(cell.source)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        kept.append(cell)
    nb.cells = kept
    nb.metadata[METADATA_KEY] = {"unit": unit, "version": "student"}
    return nb


def write_student_versions(notebooks: list[Path], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        target = out / path.name
        nbformat.write(student_version(read(path), path.stem), str(target))
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description="Write student versions of the notebooks.")
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=root / "student")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((root / "notebooks").glob("[0-9]*.ipynb"))
    for target in write_student_versions(notebooks, args.out):
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
