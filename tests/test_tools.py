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
