"""What grading writes: gradebook.csv, feedback/<student>.md, gradescope/<student>.json, parts."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict
from pathlib import Path

from instructor.grading import exercises
from instructor.grading.grader import Exercise, Result


def columns(results: list[Result]) -> list[tuple[str, int]]:
    """(`<unit>:<exercise>`, max points) for every exercise of every unit graded."""
    units = {r.unit for r in results}
    found = {f"{r.unit}:{e.id}": e.max_points for r in results if r.unit for e in r.exercises}
    return [(s.key, found.get(s.key, 1)) for s in exercises.SPECS if s.unit in units]


def by_student(results: list[Result]) -> dict[str, tuple[dict[str, Exercise], list[str]]]:
    """Per student: the exercise results by column (best notebook per unit), and notes."""
    students: dict[str, tuple[dict[str, Exercise], list[str]]] = {}
    for r in sorted(results, key=lambda r: (r.student, r.file)):
        marks, notes = students.setdefault(r.student, ({}, []))
        notes += [f"{r.file}: {note}" for note in r.notes]
        if not r.unit or not r.exercises:
            continue
        mine = {f"{r.unit}:{e.id}": e for e in r.exercises}
        earlier = sum(marks[k].points for k in mine if k in marks)
        if any(k in marks for k in mine):
            notes.append(f"{r.file}: another notebook of {r.unit}; the better one counts")
        if sum(e.points for e in mine.values()) >= earlier:
            marks.update(mine)
    return students


def write_gradebook(results: list[Result], path: Path) -> None:
    """One row per student, one column per exercise, then total, max and notes."""
    cols = columns(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf8") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *[k for k, _ in cols], "total", "max", "notes"])
        for student, (marks, notes) in by_student(results).items():
            points = [marks[k].points if k in marks else 0 for k, _ in cols]
            writer.writerow(
                [student, *points, sum(points), sum(m for _, m in cols), "; ".join(notes)]
            )


def write_feedback(results: list[Result], folder: Path) -> None:
    """A Markdown file per student: per notebook and exercise, points and a message."""
    folder.mkdir(parents=True, exist_ok=True)
    for student in sorted({r.student for r in results}):
        lines = [f"# Feedback for {student}", ""]
        for r in sorted((r for r in results if r.student == student), key=lambda r: r.file):
            most = sum(e.max_points for e in r.exercises)
            lines += [
                f"## {r.unit or 'unknown notebook'} ({r.file})",
                "",
                f"**{r.total} / {most} points**",
                "",
            ]
            lines += [f"- Note: {note}" for note in r.notes]
            for e in r.exercises:
                first, *rest = (e.message or e.status).splitlines() or [""]
                lines.append(f"- `{e.id}` ({e.points}/{e.max_points}): {first}")
                lines += [f"    - {line}" for line in rest]
            lines.append("")
        (folder / f"{safe_name(student)}.md").write_text("\n".join(lines), encoding="utf8")


def gradescope_json(results: list[Result], student: str) -> dict:
    """Gradescope's autograder results: score and one test per exercise of the gradebook."""
    marks, notes = by_student(results)[student]
    tests = []
    for key, most in columns(results):
        e = marks.get(key)
        output = e.message if e else "no notebook of this unit was graded"
        tests.append(
            {"name": key, "score": e.points if e else 0, "max_score": most, "output": output}
        )
    return {
        "score": sum(t["score"] for t in tests),
        "output": "\n".join(notes) or "Graded on hidden inputs, outside your notebook.",
        "tests": tests,
    }


def write_gradescope(results: list[Result], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for student in sorted({r.student for r in results}):
        text = json.dumps(gradescope_json(results, student), indent=1)
        (folder / f"{safe_name(student)}.json").write_text(text, encoding="utf8")


def write_all(results: list[Result], out: Path) -> None:
    write_gradebook(results, out / "gradebook.csv")
    write_feedback(results, out / "feedback")
    write_gradescope(results, out / "gradescope")
    print(f"gradebook: {out / 'gradebook.csv'}; feedback: {out / 'feedback'}")


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "student"


def part_path(out: Path, index: int, count: int) -> Path:
    return out / f"gradebook.part-{index}-of-{count}.json"


def write_part(results: list[Result], seed: int, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"seed": seed, "results": [asdict(r) for r in results]}
    path.write_text(json.dumps(data, indent=1), encoding="utf8")


def read_parts(out: Path) -> list[Result]:
    """The results of every part file in `out`; all parts of one run must be there."""
    parts = sorted(out.glob("gradebook.part-*-of-*.json"))
    if not parts:
        raise SystemExit(f"No gradebook.part-*-of-*.json in {out}.")
    counts = {int(re.search(r"-of-(\d+)", p.name)[1]) for p in parts}
    if len(counts) != 1 or len(parts) != counts.pop():
        raise SystemExit(f"Parts missing or from different runs: {[p.name for p in parts]}")
    data = [json.loads(p.read_text(encoding="utf8")) for p in parts]
    if len({d["seed"] for d in data}) != 1:
        raise SystemExit("The parts were graded with different seeds: use one --seed for all.")
    results = []
    for d in data:
        for r in d["results"]:
            r["exercises"] = [Exercise(**e) for e in r["exercises"]]
            results.append(Result(**r))
    return sorted(results, key=lambda r: (r.student, r.file))
