"""Key results a notebook reports, for `make run`, `make bench` and the README.

A notebook calls `record(test_accuracy=0.91)`; when the runner sets RNN_COURSE_RESULTS
to a JSON file, the values are merged into it, so nobody has to parse printed text.
Outside the runner, `record` does nothing.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

RESULTS_ENV = "RNN_COURSE_RESULTS"


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # numpy / tensor scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    raise TypeError(
        f"record() takes numbers, strings, booleans, lists and dicts, not {type(value).__name__}."
    )


def record(**values: Any) -> None:
    """Store key results of this notebook run (merged into RNN_COURSE_RESULTS if set)."""
    plain = {key: _plain(value) for key, value in values.items()}
    target = os.environ.get(RESULTS_ENV)
    if target:
        path = Path(target)
        current = json.loads(path.read_text()) if path.is_file() else {}
        current.update(plain)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)
