"""pytest plugin used by helpers.grading: records what each notebook cell did under nbval.

It writes, to the JSON file named by RNN_COURSE_GRADING_REPORT, one entry per code cell:
its index among code cells, the outcome, its stdout, and the error name and message.
"""

from __future__ import annotations

import json
import os
import re

import pytest

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_cells: dict[int, dict] = {}
# Read and removed before the kernel starts, so student code does not see where it goes.
_REPORT = os.environ.pop("RNN_COURSE_GRADING_REPORT", None)


def pytest_collectstart(collector):
    if getattr(collector, "fspath", None) and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not hasattr(item, "cell_num"):
        return
    outputs = item.test_outputs or []
    stdout = "".join(o.get("text", "") for o in outputs if o.get("name") == "stdout")
    errors = [o for o in outputs if o.get("output_type") == "error"]
    text = _ANSI.sub("", report.longreprtext or "")
    _cells[item.cell_num] = {
        "passed": report.passed,
        "stdout": stdout,
        "ename": errors[-1]["ename"] if errors else None,
        "evalue": errors[-1]["evalue"] if errors else None,
        "timed_out": "Timeout of" in text,
        "dead_kernel": "Kernel dead" in text or "Failed to interrupt" in text,
        "detail": text[-1500:] if not report.passed else "",
    }


def pytest_sessionfinish(session):
    if _REPORT:
        with open(_REPORT, "w", encoding="utf8") as f:
            json.dump({str(k): v for k, v in sorted(_cells.items())}, f, indent=1)
