"""Small utilities over notebook files, shared by the runner, the tests and grading."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import nbformat

CHECKED_TAG = "nbval-check-output"
METADATA_KEY = "rnn_course"


def read(path: str | Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def tags(cell: dict[str, Any]) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_checked(cell: dict[str, Any]) -> bool:
    return CHECKED_TAG in tags(cell) or "# NBVAL_CHECK_OUTPUT" in "".join(cell.get("source", ""))


def code_source_hash(nb: dict[str, Any]) -> str:
    """A fingerprint of what a notebook's outputs are made from: its code cells, in order."""
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    return hashlib.sha256(json.dumps(sources).encode()).hexdigest()


def run_info(nb: dict[str, Any]) -> dict[str, Any]:
    """What `make reference` recorded about the run that made the saved outputs."""
    return dict(nb.get("metadata", {}).get(METADATA_KEY, {}))
