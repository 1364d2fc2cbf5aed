"""Run every notebook in fast mode in throw-away environments, one per supported corner.

    python tools/compat.py                      # every corner in CORNERS
    python tools/compat.py --corner py3.12-oldest --keep

A corner is a Python version and a TensorFlow/Keras stack the course declares it supports:
the oldest stack (what Colab has shipped in the last year) on the oldest and the newest
Python, and the pins of requirements.txt on the newest Python. Each corner gets a fresh
virtual environment under build/compat/<corner>/, installed the way a student on Colab
installs the course: the stack first (Colab's preinstalled TensorFlow), then
`pip install -e .`, which keeps it. tools/run_notebooks.py then executes every notebook in
fast mode with that environment's Python. The outcome goes to results/compat.json, which
tools/readme_tables.py shows in the README.

Python interpreters are found as `python3.X` on the PATH or under pyenv's versions folder;
set PYTHON3_10 (and so on) to a path to choose one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results" / "compat.json"

# The oldest stack: TensorFlow 2.19.0 with Keras 3.10.0, as Colab shipped them in 2025.
OLDEST = ["tensorflow==2.19.0", "keras==3.10.0"]
CORNERS: dict[str, dict] = {
    "py3.10-oldest": {"python": "3.10", "stack": OLDEST},
    "py3.12-oldest": {"python": "3.12", "stack": OLDEST},
    "py3.12-pins": {"python": "3.12", "stack": ["-r", "requirements.txt"]},
}
# What tools/run_notebooks.py itself needs, at the versions requirements.txt pins.
RUNNER_PACKAGES = ("nbclient", "nbformat", "ipykernel", "psutil")


def find_python(version: str) -> str:
    """A working `python<version>`: $PYTHON3_10-style variable, the PATH, or pyenv."""
    override = os.environ.get("PYTHON" + version.replace(".", "_"))
    candidates = [override] if override else []
    candidates.append(shutil.which(f"python{version}"))
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(glob.glob(str(root / "versions" / f"{version}.*" / "bin" / "python3")))
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    raise SystemExit(
        f"No Python {version} found (tried the PATH and pyenv). Install it, or set "
        f"PYTHON{version.replace('.', '_')} to its path."
    )


def runner_requirements() -> list[str]:
    """The lines of requirements.txt that pin the runner's packages (markers kept)."""
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [
        line.strip() for line in lines if line.split("==")[0].strip().lower() in RUNNER_PACKAGES
    ]


def pip(python: Path, *args: str) -> None:
    command = [str(python), "-m", "pip", "install", "--quiet", "--no-input", *args]
    subprocess.run(command, cwd=ROOT, check=True)


def installed_versions(python: Path) -> dict[str, str]:
    code = (
        "import json, platform; from importlib.metadata import version as v; "
        "print(json.dumps({'python': platform.python_version(), "
        "'tensorflow': v('tensorflow'), 'keras': v('keras'), 'numpy': v('numpy')}))"
    )
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def run_corner(name: str, notebooks: list[str], keep: bool, install_only: bool = False) -> dict:
    """Build the corner's environment, run the notebooks, return its row."""
    spec = CORNERS[name]
    folder = ROOT / "build" / "compat" / name
    venv = folder / "venv"
    if venv.exists() and not keep:
        shutil.rmtree(venv)
    python = venv / "bin" / "python"
    start = time.perf_counter()
    if not python.exists():
        print(f"[{name}] creating the environment (Python {spec['python']}) ...", flush=True)
        subprocess.run([find_python(spec["python"]), "-m", "venv", str(venv)], check=True)
        pip(python, *spec["stack"])  # the preinstalled stack, as on Colab
        pip(python, "-e", ".")  # the course, the way its setup cell installs it
        pip(python, *runner_requirements())
    install_s = time.perf_counter() - start
    versions = installed_versions(python)
    if install_only:
        print(f"[{name}] installed: {versions}", flush=True)
        return {}
    print(f"[{name}] {versions}; running {len(notebooks)} notebooks in fast mode", flush=True)
    out = folder / "run"
    run = subprocess.run(
        [str(python), "tools/run_notebooks.py", "--mode", "fast", "--out", str(out), *notebooks],
        cwd=ROOT,
        env={**os.environ, "RNN_COURSE_FAST": "1"},
    )
    summary = (
        json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
    )
    rows = {
        Path(r["notebook"]).stem: {
            "ok": r["ok"],
            "error": r["error"],
            "wall_time_s": r["wall_time_s"],
        }
        for r in summary.get("notebooks", [])
    }
    return {
        **versions,
        "install_s": round(install_s),
        "passed": run.returncode == 0 and len(rows) == len(notebooks),
        "notebooks": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corner", action="append", choices=sorted(CORNERS))
    parser.add_argument("--keep", action="store_true", help="reuse an existing environment")
    parser.add_argument("--install-only", action="store_true", help="build, do not run")
    parser.add_argument("notebooks", nargs="*")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted(
        str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("[0-9]*.ipynb")
    )
    report = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"corners": {}}
    for name in args.corner or list(CORNERS):
        row = run_corner(name, notebooks, args.keep, args.install_only)
        if args.install_only:
            continue
        row["date"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        row["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
        report["corners"][name] = row
        RESULTS.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        print(f"[{name}] {'passed' if row['passed'] else 'FAILED'}", flush=True)
    return 0 if all(r["passed"] for r in report["corners"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
