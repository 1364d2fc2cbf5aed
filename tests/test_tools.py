"""The runner's results file, budgets and the README tables made from them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tools import readme_tables, run_notebooks
from tools.budgets import BUDGETS_S, over_budget

ROOT = Path(__file__).resolve().parent.parent


def row(name: str, seconds: float) -> dict:
    return {"notebook": name, "mode": "full", "ok": True, "wall_time_s": seconds, "results": {}}


def test_merge_results_replaces_only_the_notebooks_run(tmp_path):
    path = tmp_path / "full-cpu.json"
    run_notebooks.merge_results(path, {"mode": "full", "notebooks": [row("b.ipynb", 1)]})
    run_notebooks.merge_results(path, {"mode": "full", "notebooks": [row("a.ipynb", 2)]})
    run_notebooks.merge_results(path, {"mode": "full", "notebooks": [row("b.ipynb", 3)]})
    merged = json.loads(path.read_text())
    assert [(r["notebook"], r["wall_time_s"]) for r in merged["notebooks"]] == [
        ("a.ipynb", 2),
        ("b.ipynb", 3),
    ]


def test_budgets_cover_every_notebook():
    stems = {p.stem for p in (ROOT / "notebooks").glob("[0-9]*.ipynb")}
    assert stems <= set(BUDGETS_S)
    assert over_budget("04_sentiment_lstm", "full", 901) == 900
    assert over_budget("04_sentiment_lstm", "full", 899) is None


def test_readme_tables_agree_with_the_results_files():
    result = subprocess.run(
        [sys.executable, "tools/readme_tables.py", "--check"], cwd=ROOT, capture_output=True
    )
    assert result.returncode == 0, result.stdout.decode()


def test_units_table_lists_every_notebook_with_its_badge():
    table = readme_tables.units_table()
    for path in (ROOT / "notebooks").glob("[0-9]*.ipynb"):
        assert f"blob/main/notebooks/{path.name}" in table


def test_the_repository_url_is_one_setting():
    """Badges, the setup cell's clone, README and CONTRIBUTING all name pyproject's repository."""
    import re

    wanted = readme_tables.repository()
    course_links = re.compile(
        r"(?:github\.com|colab\.research\.google\.com/github)/([\w.-]+/[\w.-]+?)"
        r"(?:/blob/|\.git\b|[\s\"')/]|$)"
    )
    files = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "notebooks").glob("*.ipynb")]
    seen = 0
    for path in files:
        for found in course_links.finditer(path.read_text()):
            seen += 1
            assert found.group(1) == wanted, f"{path.name} names {found.group(1)}, not {wanted}"
    assert seen >= 2 * len(list((ROOT / "notebooks").glob("*.ipynb")))  # badge + clone each


def test_readme_titles_are_the_notebooks_own_headings():
    table = readme_tables.units_table()
    for path in (ROOT / "notebooks").glob("[0-9]*.ipynb"):
        heading = json.loads(path.read_text())["cells"][0]["source"][0].strip()
        assert readme_tables.title(path.stem) in heading
        assert readme_tables.title(path.stem) in table
