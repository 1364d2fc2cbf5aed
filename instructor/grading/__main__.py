"""Command line: `python -m instructor.grading SUBMISSIONS ...` or `... merge OUT`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from instructor.grading import grader, report


def _shard(text: str) -> tuple[int, int]:
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise argparse.ArgumentTypeError("give the shard as i/n, e.g. 2/3")
    return int(index), int(count)


def main(argv: list[str] | None = None) -> int:
    """Grade a folder (or merge the parts of a sharded run)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["merge"]:
        out = Path(argv[1]) if len(argv) > 1 else grader.ROOT / "grading"
        report.write_all(report.read_parts(out), out)
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m instructor.grading", description=grader.__doc__.splitlines()[0]
    )
    parser.add_argument("submissions", type=Path)
    parser.add_argument("--out", type=Path, default=grader.ROOT / "grading")
    parser.add_argument("--unit", help="grade every file as this unit (e.g. 01_memory_cell)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per exercise")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes at once")
    parser.add_argument("--seed", type=int, help="seed of the hidden inputs (default: a new one)")
    parser.add_argument("--shard", type=_shard, help="grade every n-th submission from the i-th")
    parser.add_argument("--gradescope-results", type=Path, help="one student: write this file")
    args = parser.parse_args(argv)
    single = "student" if args.gradescope_results else None
    results, seed = grader.grade(
        args.submissions, args.out, timeout=args.timeout, unit=args.unit, jobs=max(1, args.jobs),
        seed=args.seed, shard=args.shard, single_student=single,
    )  # fmt: skip
    if args.shard:
        path = report.part_path(args.out.resolve(), *args.shard)
        report.write_part(results, seed, path)
        print(
            f"part written: {path}; join the parts with: "
            f"python -m instructor.grading merge {args.out}"
        )
    else:
        report.write_all(results, args.out.resolve())
    if args.gradescope_results:
        args.gradescope_results.parent.mkdir(parents=True, exist_ok=True)
        data = report.gradescope_json(results, "student")
        args.gradescope_results.write_text(json.dumps(data, indent=1), encoding="utf8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
