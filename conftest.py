"""Root pytest hooks for nbval.

- Checked cells are compared without their stderr: under pytest, ipykernel does not
  capture the C-level stderr that Jupyter saves, and warnings differ between machines.
- At the end, a one-screen summary of each notebook's fast-mode time against its budget
  (reported, never failed: timing on shared CI machines is noisy).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

_notebook_seconds: dict[str, float] = defaultdict(float)


def pytest_collectstart(collector):
    if getattr(collector, "fspath", None) and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _notebook_seconds[Path(path).stem] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _notebook_seconds:
        return
    from tools.budgets import over_budget

    write = terminalreporter.write_line
    terminalreporter.section("notebook times (nbval, this run's mode)")
    for stem, seconds in sorted(_notebook_seconds.items()):
        budget = over_budget(stem, "fast", seconds)
        note = f"  over the fast-mode budget of {budget} s" if budget else ""
        write(f"{stem:28} {seconds:7.1f} s{note}")
    write(f"{'total':28} {sum(_notebook_seconds.values()):7.1f} s")
