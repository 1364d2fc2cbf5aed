"""Expected values for the exercise checks that no library computes independently.

    python -m instructor.check_values          # rewrite helpers/checks/expected_values.json
    python -m instructor.check_values --check  # exit 1 if the file is out of date

Each value comes from running the instructor notebook's own answer cell (the solution) on
the check's fixed inputs. Only the numbers are shipped to students, never the code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from instructor.student_versions import answer_id

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "helpers" / "checks" / "expected_values.json"


def solution_namespace(unit: str, exercise: str, prelude: str) -> dict[str, Any]:
    """Run `prelude`, then the instructor notebook's answer cell of `exercise`."""
    import nbformat

    nb = nbformat.read(str(ROOT / "notebooks" / f"{unit}.ipynb"), as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and answer_id(c) == exercise]
    if len(cells) != 1:
        raise SystemExit(f"{unit}: expected one answer cell '{exercise}', found {len(cells)}.")
    namespace: dict[str, Any] = {}
    exec(prelude, namespace)  # noqa: S102 - the instructor's own notebook
    exec(cells[0].source, namespace)  # noqa: S102
    return namespace


def lstm_call() -> dict[str, Any]:
    ns = solution_namespace(
        "03_homemade_lstm",
        "lstm-call",
        "import keras, numpy as np, tensorflow as tf\nfrom keras import ops\n"
        "from helpers.lstm_cells import LSTMCellWeights\n",
    )
    rng = np.random.default_rng(3)
    batch, input_dim, units = 4, 3, 5
    values = {
        "x": rng.normal(size=(batch, input_dim)).astype("float32"),
        "h_prev": rng.uniform(-0.9, 0.9, size=(batch, units)).astype("float32"),
        "c_prev": rng.uniform(-2.0, 2.0, size=(batch, units)).astype("float32"),
    }
    cell = ns["HomemadeLSTMCell"](units)
    cell.build((None, input_dim))
    for gate in "fico":
        values[f"W_{gate}"] = rng.normal(0, 0.6, size=(units + input_dim, units)).astype("float32")
        values[f"b_{gate}"] = rng.normal(0, 0.5, size=(units,)).astype("float32")
        getattr(cell, f"W_{gate}").assign(values[f"W_{gate}"])
        getattr(cell, f"b_{gate}").assign(values[f"b_{gate}"])
    h, (_, c) = cell(values["x"], [values["h_prev"], values["c_prev"]])
    values.update({k: v for k, v in cell.last_gates.items()}, cell=c, hidden=h)
    return {k: np.asarray(v, "float64").round(7).tolist() for k, v in values.items()}


def gru_call() -> dict[str, Any]:
    ns = solution_namespace(
        "03_homemade_lstm",
        "gru-call",
        "import keras, numpy as np, tensorflow as tf\nfrom keras import ops\n"
        "from helpers.lstm_cells import GRUCellWeights\n",
    )
    rng = np.random.default_rng(4)
    batch, input_dim, units = 4, 3, 5
    values = {
        "x": rng.normal(size=(batch, input_dim)).astype("float32"),
        "h_prev": rng.uniform(-0.9, 0.9, size=(batch, units)).astype("float32"),
    }
    cell = ns["HomemadeGRUCell"](units)
    cell.build((None, input_dim))
    for gate in "zrh":
        values[f"W_{gate}"] = rng.normal(0, 0.6, size=(input_dim, units)).astype("float32")
        values[f"U_{gate}"] = rng.normal(0, 0.6, size=(units, units)).astype("float32")
        values[f"b_{gate}"] = rng.normal(0, 0.5, size=(units,)).astype("float32")
    values["b_hh"] = rng.normal(0, 0.5, size=(units,)).astype("float32")
    for name in [f"{p}_{g}" for g in "zrh" for p in "WUb"] + ["b_hh"]:
        getattr(cell, name).assign(values[name])
    h, _ = cell(values["x"], [values["h_prev"]])
    values.update({k: v for k, v in cell.last_gates.items()}, hidden=h)
    return {k: np.asarray(v, "float64").round(7).tolist() for k, v in values.items()}


def described_model() -> dict[str, Any]:
    from helpers.checks.sentiment import layer_summary

    ns = solution_namespace(
        "04_sentiment_lstm", "described-model", "import keras\nfrom keras import layers\n"
    )
    return {"layers": layer_summary(ns["build_described_model"]())}


def temperature() -> dict[str, Any]:
    ns = solution_namespace("07_music_composition", "temperature", "import numpy as np\n")
    p = np.array([[0.5, 0.3, 0.15, 0.05, 0.0], [0.1, 0.2, 0.3, 0.4, 0.0]])
    apply = ns["apply_temperature"]
    cases = [
        {
            "temperature": t,
            "expected": np.round(apply(p, t), 9).tolist(),
            "inverse": np.round(apply(p, 1 / t), 9).tolist(),
        }
        for t in (1.0, 0.5, 2.0)
    ]
    return {"probabilities": p.tolist(), "cases": cases}


def to_notes() -> dict[str, Any]:
    ns = solution_namespace("07_music_composition", "to-notes", "import numpy as np\n")
    grid = np.array(
        [[67, 62, 59, 43], [67, 62, 59, 43], [69, 62, 57, 43], [69, 0, 57, 45], [71, 0, 55, 45]],
        dtype=np.int16,
    )
    notes = sorted(
        (int(v), int(p), float(s), float(e)) for v, p, s, e in ns["grid_to_notes"](grid, 0.5)
    )
    return {"grid": grid.tolist(), "step_seconds": 0.5, "notes": [list(n) for n in notes]}


MAKERS: dict[str, Callable[[], dict[str, Any]]] = {
    "lstm-call": lstm_call,
    "gru-call": gru_call,
    "described-model": described_model,
    "temperature": temperature,
    "to-notes": to_notes,
}


def compute() -> str:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    values = {name: make() for name, make in MAKERS.items()}
    return json.dumps(values, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the file")
    args = parser.parse_args(argv)
    text = compute()
    if args.check:
        same = TARGET.is_file() and TARGET.read_text(encoding="utf8") == text
        print(f"{TARGET.relative_to(ROOT)} is {'up to date' if same else 'OUT OF DATE'}")
        return 0 if same else 1
    TARGET.write_text(text, encoding="utf8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
