"""Execute notebooks headless, one after another, and summarise what they found.

    python tools/run_notebooks.py --mode full --out build/run [NOTEBOOK ...]
    python tools/run_notebooks.py --mode full --reference [NOTEBOOK ...]

--reference writes the outputs back into the notebooks (no stderr, no errors) and
records in their metadata the fingerprint of the code that made them. Each notebook's
key results (what it passes to helpers.record) and wall time go to <out>/summary.json
and, with --results FILE, to a results file that the README tables are made from.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fcntl
import json
import os
import platform
import subprocess
import sys
import threading
import time
from importlib.metadata import version
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from helpers.notebooks import METADATA_KEY, code_source_hash  # noqa: E402
from tools.budgets import over_budget  # noqa: E402


class KernelMonitor:
    """Polls this process's children (the kernel) in a thread: peak resident memory, CPU
    seconds used (less sensitive than wall time to other work on the machine) and the
    machine's mean load while the notebook ran."""

    def __init__(self, interval: float = 0.5):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self.cpu_seconds: dict[int, float] = {}
        self.loads: list[float] = []
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
                    times = child.cpu_times()
                    self.cpu_seconds[child.pid] = times.user + times.system
            self.peak = max(self.peak, total)
            self.loads.append(os.getloadavg()[0])
            self._stop.wait(self.interval)

    @property
    def cpu_time(self) -> float:
        return sum(self.cpu_seconds.values())

    @property
    def mean_load(self) -> float:
        return sum(self.loads) / len(self.loads) if self.loads else 0.0

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
        gpu = out.stdout.strip().splitlines()[0] or None
    except (OSError, subprocess.SubprocessError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "gpu": gpu,
        "python": platform.python_version(),
        "tensorflow": version("tensorflow"),
        "keras": version("keras"),
    }


def strip_for_reference(nb) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.outputs
                if not (o.output_type == "stream" and o.get("name") == "stderr")
            ]


def run_one(path: Path, mode: str, out_dir: Path, timeout: int, reference: bool) -> dict:
    nb = nbformat.read(path, as_version=4)
    results_file = out_dir / f"{path.stem}.results.json"
    results_file.unlink(missing_ok=True)
    os.environ["RNN_COURSE_FAST"] = "1" if mode == "fast" else "0"
    os.environ["RNN_COURSE_RESULTS"] = str(results_file)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    error = None
    start = time.perf_counter()
    with KernelMonitor() as monitor:
        try:
            client.execute()
        except (CellExecutionError, CellTimeoutError) as exc:
            error = str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else repr(exc)
    wall = time.perf_counter() - start
    summary = {
        "notebook": path.name,
        "mode": mode,
        "ok": error is None,
        "error": error,
        "wall_time_s": round(wall, 1),
        "peak_memory_mb": round(monitor.peak / 2**20),
        "cpu_time_s": round(monitor.cpu_time, 1),
        "mean_load": round(monitor.mean_load, 1),
        "results": json.loads(results_file.read_text()) if results_file.is_file() else {},
    }
    if reference and error is None:
        strip_for_reference(nb)
        nb.metadata[METADATA_KEY] = {
            "source_sha256": code_source_hash(nb),
            "mode": mode,
            "made_by": "make reference",
            "wall_time_s": summary["wall_time_s"],
            "date": dt.date.today().isoformat(),
        }
        nbformat.write(nb, path)
    else:
        nbformat.write(nb, out_dir / path.name)
    return summary


def results_path(option: str, mode: str, host: dict) -> Path:
    if option != "auto":
        return Path(option)
    return ROOT / "results" / f"{mode}-{'gpu' if host['gpu'] else 'cpu'}.json"


def merge_results(path: Path, report: dict) -> None:
    """Replace the rows of the notebooks just run; keep the others, sorted by name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several runs may finish at once
        _merge_locked(path, report)


def _merge_locked(path: Path, report: dict) -> None:
    rows = {}
    if path.is_file():
        old = json.loads(path.read_text())
        if old.get("mode") == report["mode"]:
            rows = {r["notebook"]: r for r in old.get("notebooks", [])}
    rows.update({r["notebook"]: r for r in report["notebooks"]})
    merged = {"mode": report["mode"], "notebooks": [rows[k] for k in sorted(rows)]}
    path.write_text(json.dumps(merged, indent=2) + "\n")
    print(f"results written to {path}")


def print_summary(rows: list[dict]) -> None:
    """One screen: status, time (and budget), memory and key results of each notebook."""
    print()
    print(f"{'notebook':34} {'status':6} {'time':>8} {'memory':>8}  key results")
    for row in rows:
        status = "ok" if row["ok"] else "FAILED"
        results = ", ".join(
            f"{k}={v}" for k, v in row["results"].items() if not isinstance(v, (dict, list))
        )
        print(
            f"{row['notebook']:34} {status:6} {row['wall_time_s']:7.1f}s "
            f"{row['peak_memory_mb']:6d}MB  {results[:200]}"
        )
        if row["error"]:
            print(f"    error: {row['error']}")
        budget = over_budget(Path(row["notebook"]).stem, row["mode"], row["wall_time_s"])
        if budget:
            print(f"    OVER BUDGET: {row['wall_time_s']:.0f} s, budget {budget} s ({row['mode']})")
    total = sum(r["wall_time_s"] for r in rows)
    print(f"{'total':34} {'':6} {total:7.1f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--mode", choices=["fast", "full"], default="full")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "run")
    parser.add_argument(
        "--reference", action="store_true", help="write outputs back into the notebooks"
    )
    parser.add_argument(
        "--results",
        help="merge the rows into this results file; 'auto' picks results/<mode>-<cpu|gpu>.json",
    )
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for path in notebooks:
        print(f"running {path.name} in {args.mode} mode ...", flush=True)
        rows.append(run_one(path.resolve(), args.mode, args.out, args.timeout, args.reference))
        print(
            f"  {'ok' if rows[-1]['ok'] else 'FAILED'} in {rows[-1]['wall_time_s']} s", flush=True
        )
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    host = machine()
    for row in rows:
        row.update(date=now, machine=host)
    report = {"mode": args.mode, "notebooks": rows}
    (args.out / "summary.json").write_text(json.dumps(report, indent=2) + "\n")
    if args.results:
        merge_results(results_path(args.results, args.mode, host), report)
    print_summary(rows)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
