"""tools/diagrams.py: valid, small, deterministic SVGs, and attachments that stay current."""

from __future__ import annotations

import base64
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from instructor.student_versions import student_version, write_student_versions
from tools import diagrams

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def drawings() -> dict[str, bytes]:
    return {name: diagrams.render(name) for name in diagrams.DIAGRAMS}


def small_notebook(path: Path, *names: str, attach: bool = False) -> Path:
    """A notebook whose first markdown cell shows `names`; attached now if `attach`."""
    lines = [f"![{name} drawn](attachment:{name})" for name in names]
    cell = nbformat.v4.new_markdown_cell("## A heading\n\nSome text.\n\n" + "\n\n".join(lines))
    if attach:
        cell.attachments = {name: diagrams.attachment(name) for name in names}
    code = nbformat.v4.new_code_cell("x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION")
    nb = nbformat.v4.new_notebook(cells=[cell, code])
    nbformat.write(nb, str(path))
    return path


@pytest.mark.parametrize("name", list(diagrams.DIAGRAMS))
def test_every_diagram_is_a_small_valid_svg(drawings, name):
    data = drawings[name]
    root = ET.fromstring(data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(data) < 150_000, f"{name} is {len(data)} bytes"
    assert b"<dc:date>" not in data  # no time stamp: the file changes only when the drawing does


def test_rendering_is_deterministic(drawings):
    for name in diagrams.DIAGRAMS:
        assert diagrams.render(name) == drawings[name], name


def test_command_line_writes_the_same_svgs_in_a_new_process(tmp_path, drawings):
    subprocess.run(
        [sys.executable, "tools/diagrams.py", "--out", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    for name, data in drawings.items():
        assert (tmp_path / name).read_bytes() == data, name


def test_embed_then_check_passes(tmp_path):
    path = small_notebook(tmp_path / "nb.ipynb", "unrolled_rnn.svg", "truncated_bptt.svg")
    assert diagrams.main(["--check", str(path)]) == 1  # nothing attached yet
    assert diagrams.main(["--embed", str(path)]) == 0
    assert diagrams.main(["--check", str(path)]) == 0
    cell = nbformat.read(str(path), as_version=4).cells[0]
    svg = base64.b64decode(cell.attachments["unrolled_rnn.svg"][diagrams.SVG])
    assert svg == diagrams.render("unrolled_rnn.svg")
    assert diagrams.embed_notebook(path) == []  # up to date: the file is left alone


def test_a_stale_or_missing_attachment_fails_the_check(tmp_path, capsys):
    path = small_notebook(tmp_path / "nb.ipynb", "gru_cell.svg", "lstm_cell.svg", attach=True)
    nb = nbformat.read(str(path), as_version=4)
    old = diagrams.render("gru_cell.svg").replace(b"#1f5f99", b"#000000")  # an older colour
    assert old != diagrams.render("gru_cell.svg")
    nb.cells[0].attachments["gru_cell.svg"] = {diagrams.SVG: base64.b64encode(old).decode()}
    del nb.cells[0].attachments["lstm_cell.svg"]
    nbformat.write(nb, str(path))
    assert diagrams.main(["--check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path} cell 0: gru_cell.svg: attachment differs from the current drawing" in out
    assert f"{path} cell 0: lstm_cell.svg: attachment missing" in out
    assert "--embed" in out


def test_png_fallback_is_embedded_and_checked(tmp_path):
    path = small_notebook(tmp_path / "nb.ipynb", "architectures.svg")
    diagrams.embed_notebook(path, png=True)
    bundle = nbformat.read(str(path), as_version=4).cells[0].attachments["architectures.svg"]
    assert set(bundle) == {diagrams.SVG, diagrams.PNG}
    assert base64.b64decode(bundle[diagrams.PNG]).startswith(b"\x89PNG")
    assert diagrams.check_notebook(path) == []


def test_embed_inserts_the_reference_after_a_line(tmp_path):
    path = small_notebook(tmp_path / "nb.ipynb")
    diagrams.embed(path, "attention.svg", "Attention", after="## A heading")
    diagrams.embed(path, "attention.svg", "Attention", after="## A heading")  # idempotent
    cell = nbformat.read(str(path), as_version=4).cells[0]
    assert cell.source.startswith("## A heading\n\n![Attention](attachment:attention.svg)\n\nSome")
    assert cell.source.count("attachment:attention.svg") == 1
    assert diagrams.check_notebook(path) == []
    with pytest.raises(ValueError, match="in 0 markdown cells"):
        diagrams.embed(path, "attention.svg", "Attention", after="no such text")


def test_student_versions_keep_the_attachments(tmp_path):
    path = small_notebook(tmp_path / "01_unit.ipynb", "unrolled_rnn.svg", attach=True)
    student = student_version(nbformat.read(str(path), as_version=4), "01_unit")
    assert student.cells[0].attachments == {
        "unrolled_rnn.svg": diagrams.attachment("unrolled_rnn.svg")
    }
    assert "BEGIN SOLUTION" not in student.cells[1].source
    (written,) = write_student_versions([path], tmp_path / "student")
    assert diagrams.check_notebook(written) == []


@pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="the attachments are drawn with the matplotlib pinned for Python 3.11+; "
    "another version draws different bytes",
)
def test_the_notebooks_diagrams_are_current():
    problems = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if "attachment:" in path.read_text(encoding="utf-8"):
            problems += diagrams.check_notebook(path.relative_to(ROOT))
    assert not problems, "\n".join(problems) + "\nrun: python tools/diagrams.py --embed NOTEBOOK"


def test_every_diagram_the_course_draws_is_shown_in_a_notebook_with_a_png():
    """JupyterLab renders raster attachments only: each diagram carries a PNG beside its SVG."""
    import re

    import nbformat

    shown = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for name in re.findall(r"\(attachment:([\w.-]+\.svg)\)", cell.source):
                shown[name] = path.name
                assert "image/png" in cell.get("attachments", {}).get(name, {}), (
                    f"{path.name}: {name} has no PNG; run tools/diagrams.py --embed --with-png"
                )
    assert set(diagrams.DIAGRAMS) <= set(shown), (
        f"not in any notebook: {set(diagrams.DIAGRAMS) - set(shown)}"
    )
