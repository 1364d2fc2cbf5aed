"""The grader: static policy, sandbox, finding answers, jobs, shards and output formats."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest

from helpers.notebooks import read
from instructor.answer_keys import ANSWERS
from instructor.grading import __main__ as cli
from instructor.grading import exercises, grader, policy, report, sandbox
from instructor.student_versions import answer_id, student_version

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CLIP = """def clip_by_global_norm(grads, clip_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g * min(1.0, clip_norm / norm) for g in grads], norm"""


def unit_submission(unit: str, answers: dict[str, str]):
    nb = student_version(read(NOTEBOOKS / f"{unit}.ipynb"), unit)
    for cell in nb.cells:
        if answer_id(cell) in answers:
            cell.source = answers[answer_id(cell)]
    return nb


def solution_answer(unit: str, answer: str) -> str:
    """The instructor's source of one answer cell of a unit."""
    nb = read(NOTEBOOKS / f"{unit}.ipynb")
    return next(c.source for c in nb.cells if answer_id(c) == answer)


def grade_class(tmp_path: Path, unit: str, students: dict[str, dict[str, str]]) -> dict:
    """Grade one submission of `unit` per student ({student: {answer id: source}}); returns
    {student: {exercise id: its mark}}."""
    for student, answers in students.items():
        folder = tmp_path / "class" / student
        folder.mkdir(parents=True)
        nbformat.write(unit_submission(unit, answers), str(folder / f"{unit}.ipynb"))
    results, _ = grader.grade(tmp_path / "class", tmp_path / "out", jobs=2, seed=1)
    return {r.student: {e.id: e for e in r.exercises} for r in results}


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    key = [entry[0] for entry in ANSWERS["02_vanishing_gradients"].values()]
    wrong = next(letter for letter in "abcd" if letter != key[1])
    quiz = f"answers = {{'q1': '{key[0]}', 'q2': '{wrong})', 'q3': ' {key[2].upper()} '}}"
    cases = {
        "ann": {"clip": CLIP, "quiz": quiz},
        "bob": {"clip": "def clip_by_global_norm(grads, clip_norm):\n    return grads, 1.0"},
        "cat": {},
        "dan": {"clip": CLIP.replace("min(1.0", "max(1.0")},
    }
    for student, answers in cases.items():
        (folder / student).mkdir()
        nb = unit_submission("02_vanishing_gradients", answers)
        nbformat.write(nb, str(folder / student / "02_vanishing_gradients.ipynb"))
    return folder


def run_cli(folder: Path, out: Path, *extra: str) -> str:
    assert cli.main([str(folder), "--out", str(out), "--seed", "3", "--timeout", "60", *extra]) == 0
    return (
        (out / "gradebook.csv").read_text(encoding="utf8")
        if (out / "gradebook.csv").exists()
        else ""
    )


def test_policy_names_what_is_not_allowed():
    numpy = exercises.NUMPY_MODULES
    assert policy.violation("import numpy as np\nx = np.tanh(1)", numpy) is None
    assert "course package" in policy.violation("from helpers import memory_cell", numpy)
    assert "course package" in policy.violation("x = instructor", numpy)
    assert "may import only math, numpy" in policy.violation("import pandas", numpy)
    assert policy.violation("import keras", exercises.KERAS_MODULES) is None
    for source in ("eval('1')", "open('f')", "x.__globals__", "np.loadtxt('f')", "import os"):
        assert "not allowed" in policy.violation(source, numpy), source
    assert "not valid Python" in policy.violation("def f(:", numpy)


def test_jobs_give_identical_gradebooks_and_submissions_are_untouched(class_folder, tmp_path):
    before = {p: p.read_bytes() for p in class_folder.rglob("*.ipynb")}
    one = run_cli(class_folder, tmp_path / "one", "--jobs", "1")
    two = run_cli(class_folder, tmp_path / "two", "--jobs", "2")
    assert one == two
    assert {p: p.read_bytes() for p in class_folder.rglob("*.ipynb")} == before
    rows = {r["student"]: r for r in csv.DictReader(one.splitlines())}
    assert list(rows["ann"])[1:3] == ["02_vanishing_gradients:clip", "02_vanishing_gradients:quiz"]
    assert (rows["ann"]["total"], rows["ann"]["max"]) == ("3", "4")  # quiz: 2 of 3 right
    assert rows["bob"]["02_vanishing_gradients:clip"] == "0"
    assert rows["cat"]["total"] == "0" and rows["dan"]["total"] == "0"
    feedback = (tmp_path / "one" / "feedback" / "cat.md").read_text()
    assert "not answered yet" in feedback
    assert "wrong values" in (tmp_path / "one" / "feedback" / "dan.md").read_text()


def test_shards_merge_into_the_same_gradebook(class_folder, tmp_path):
    whole = run_cli(class_folder, tmp_path / "whole", "--jobs", "2")
    for index in (1, 2, 3):
        run_cli(class_folder, tmp_path / "parts", "--jobs", "2", "--shard", f"{index}/3")
    assert not (tmp_path / "parts" / "gradebook.csv").exists()
    assert cli.main(["merge", str(tmp_path / "parts")]) == 0
    assert (tmp_path / "parts" / "gradebook.csv").read_text() == whole


def test_gradescope_single_student(tmp_path):
    folder = tmp_path / "submission"
    folder.mkdir()
    nb = unit_submission("02_vanishing_gradients", {"clip": CLIP})
    nbformat.write(nb, str(folder / "anything.ipynb"))
    results = tmp_path / "results" / "results.json"
    run_cli(folder, tmp_path / "out", "--gradescope-results", str(results))
    data = json.loads(results.read_text())
    assert data["score"] == 1
    assert [t["name"] for t in data["tests"]] == [
        "02_vanishing_gradients:clip",
        "02_vanishing_gradients:quiz",
    ]
    assert all({"name", "score", "max_score", "output"} <= set(t) for t in data["tests"])
    assert json.loads((tmp_path / "out" / "gradescope" / "student.json").read_text()) == data


@pytest.mark.parametrize("unit", ["05_time_series", "07_music_composition"])
def test_instructor_solutions_get_full_marks(unit, tmp_path):
    nbformat.write(read(NOTEBOOKS / f"{unit}.ipynb"), str(tmp_path / f"{unit}.ipynb"))
    results, _ = grader.grade(tmp_path, tmp_path.parent / f"out-{unit}", jobs=2, seed=1)
    assert all(e.status == "right" for e in results[0].exercises), results[0].exercises


def test_03_gru_cell_is_graded_against_the_instructor_solution(tmp_path):
    right = solution_answer("03_homemade_lstm", "gru-call")
    swapped = right.replace("z * h_prev + (1.0 - z) * h_tilde", "(1.0 - z) * h_prev + z * h_tilde")
    assert swapped != right
    students = {"ann": {"gru-call": right}, "bob": {"gru-call": swapped}}
    marks = grade_class(tmp_path, "03_homemade_lstm", students)
    status = {student: {i: e.status for i, e in m.items()} for student, m in marks.items()}
    assert status["ann"]["gru-call"] == "right" and status["bob"]["gru-call"] == "wrong"
    assert status["ann"]["lstm-call"] == "not answered"  # the stub


def test_sandbox_hides_the_course_and_caps_output():
    probe = exercises.PROBE_HEAD + "def probe(ns, inputs):\n    return ns['found']\n"
    answer = (
        "print('x' * 10_000_000)\n"
        "try:\n    import instructor\n    found = 'instructor importable'\n"
        "except ImportError:\n    found = 'hidden'\n"
    )
    outcome = sandbox.run_job("", answer, probe, {}, timeout=30)
    assert outcome == {"value": "hidden"}
    assert sandbox.run_job("", "", probe, {}, 30)["error"] == "KeyError"


def test_answers_are_found_by_tag_id_or_position():
    instructor = read(NOTEBOOKS / "01_memory_cell.ipynb")
    nb = student_version(instructor, "01_memory_cell")
    for cell in nb.cells:
        cell.metadata.pop("tags", None)
    answers, notes = grader.find_answers(instructor, nb)
    assert set(answers) == {"forward-step", "grad-through-time", "quiz"}
    assert all("raise NotImplementedError" in a or "None" in a for a in answers.values())
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    del nb.cells[first_code]  # another count of code cells, and no ids in common
    for cell in nb.cells:
        cell.id = "x" + cell.id
    answers, notes = grader.find_answers(instructor, nb)
    assert set(answers.values()) == {None} and len(notes) == 3


def test_units_are_detected_and_rows_join_per_student():
    units = grader.instructor_notebooks(NOTEBOOKS)
    nb = student_version(read(NOTEBOOKS / "05_time_series.ipynb"), "05_time_series")
    assert grader.detect_unit(nb, Path("x.ipynb"), units) == "05_time_series"
    nb.metadata.clear()
    assert grader.detect_unit(nb, Path("x.ipynb"), units) == "05_time_series"  # its title
    a = grader.Result("s", "a.ipynb", "05_time_series", grader.zero_exercises("05_time_series"))
    b = grader.Result("s", "b.ipynb", None, notes=["unreadable"])
    marks, notes = report.by_student([a, b])["s"]
    assert len(marks) == 5 and notes == ["b.ipynb: unreadable"]
    assert report.columns([a, b])[-1] == ("05_time_series:quiz", 4)


def test_music_exercises_name_typical_mistakes(tmp_path):
    """07: a step that resets the state each time, and a 'chorale' copied from training."""
    step = solution_answer("07_music_composition", "compose-step")
    reset = step.replace("lstm_step([recent, h, c]", "lstm_step([recent, 0 * h, 0 * c]")
    assert reset != step
    copied = (
        'my_chorale = chorales.by_name(split["train"][0])\n'
        'my_midi = music.notes_to_midi(grid_to_notes(my_chorale, STEP_SECONDS), "bach.mid")'
    )
    eve = {"compose-step": reset, "own-chorale": copied}
    marks = grade_class(tmp_path, "07_music_composition", {"eve": eve})["eve"]
    assert marks["compose-step"].status == "wrong"
    assert marks["own-chorale"].status == "wrong"
    assert "steps in a row" in marks["own-chorale"].message


def test_04_own_model_is_trained_and_judged_on_made_up_reviews(tmp_path):
    """04: the instructor's model learns the hidden reviews; one that cannot learn fails."""
    right = solution_answer("04_sentiment_lstm", "my-model")
    frozen = right.replace("keras.optimizers.Adam(1e-3)", "keras.optimizers.SGD(1e-6)")
    assert frozen != right
    students = {"ann": {"my-model": right}, "bob": {"my-model": frozen}}
    marks = grade_class(tmp_path, "04_sentiment_lstm", students)
    assert marks["ann"]["my-model"].status == "right", marks["ann"]["my-model"]
    assert marks["bob"]["my-model"].status == "wrong"
    assert "below 0.85" in marks["bob"]["my-model"].message


def test_06_chat_bot_is_graded_on_its_answers_and_names_typical_mistakes(tmp_path):
    """06: a plain model trained two epochs is wrong, with its score and what to try; a
    function that returns None is an error that says so. (The solution is the reference each
    grading run trains, and passes against itself by construction.)"""
    right = solution_answer("06_seq2seq_translation", "chat-bot")
    brief = right.replace("attention=True", "attention=False").replace("epochs=12", "epochs=2")
    assert "attention=False" in brief and "epochs=2," in brief
    nothing = "def train_chat_bot(train_data, val_data, source_vocabulary, target_vocabulary):\n"
    nothing += "    return None"
    students = {"bob": {"chat-bot": brief}, "cat": {"chat-bot": nothing}}
    graded = grade_class(tmp_path, "06_seq2seq_translation", students)
    marks = {student: m["chat-bot"] for student, m in graded.items()}
    assert marks["bob"].status == "wrong", marks["bob"]
    assert "held-out questions exactly right" in marks["bob"].message
    assert "try attention" in marks["bob"].message
    assert marks["cat"].status == "error" and "not a tr.Translator" in marks["cat"].message


def test_05_forecaster_and_threshold_name_typical_mistakes(tmp_path):
    """05: a forecaster that cannot learn (its learning rate is next to zero, so it stays
    persistence) and a threshold taken as a quantile of the scores, blind to the labels."""
    right = solution_answer("05_time_series", "my-forecaster")
    frozen = right.replace("learning_rate=5e-4", "learning_rate=1e-9")
    assert frozen != right
    quantile = "def choose_threshold(scores, labels):\n    return float(np.quantile(scores, 0.995))"
    eve = {"my-forecaster": frozen, "anomaly-threshold": quantile}
    marks = grade_class(tmp_path, "05_time_series", {"eve": eve})["eve"]
    assert marks["my-forecaster"].status == "wrong", marks["my-forecaster"]
    assert "at least 10% lower" in marks["my-forecaster"].message
    assert "persistence" in marks["my-forecaster"].message
    assert marks["anomaly-threshold"].status == "wrong", marks["anomaly-threshold"]
    assert "the best threshold reaches F1" in marks["anomaly-threshold"].message
