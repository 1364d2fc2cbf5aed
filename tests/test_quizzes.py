"""Knowledge checks: the questions (shipped) and the answer keys (instructor-only) agree."""

from __future__ import annotations

from collections import Counter

import pytest

from helpers import gradients, lstm_cells, memory_cell, music, quiz, sentiment, translation
from helpers import timeseries as ts
from helpers.checks import CheckFailed
from helpers.notebooks import read
from instructor.answer_keys import ANSWERS
from instructor.check_values import ROOT, solution_namespace

QUESTIONS = {
    "01_memory_cell": memory_cell.QUESTIONS,
    "02_vanishing_gradients": gradients.QUESTIONS,
    "03_homemade_lstm": lstm_cells.QUESTIONS,
    "04_sentiment_lstm": sentiment.QUESTIONS,
    "05_time_series": ts.QUESTIONS,
    "06_seq2seq_translation": translation.QUESTIONS,
    "07_music_composition": music.QUESTIONS,
}


def test_every_unit_with_a_quiz_has_its_key():
    assert set(ANSWERS) == set(QUESTIONS)
    with_quiz = {
        p.stem
        for p in (ROOT / "notebooks").glob("[0-9]*.ipynb")
        if any("answer:quiz" in c.metadata.get("tags", []) for c in read(p).cells)
    }
    assert with_quiz == set(QUESTIONS)


@pytest.mark.parametrize("unit", sorted(QUESTIONS))
def test_key_matches_questions_and_solution(unit, capsys):
    questions = QUESTIONS[unit]
    assert 2 <= len(questions) <= 4
    assert [q.id for q in questions] == list(ANSWERS[unit]), "same ids, same order"
    for q in questions:
        right, why, *rest = ANSWERS[unit][q.id]
        assert right in q.choices and why.strip()
        why_not = rest[0] if rest else {}
        assert set(why_not) <= set(q.choices) - {right}, f"{unit} {q.id}: why_not letters"
    solution = solution_namespace(unit, "quiz", "")["answers"]
    assert {k: quiz.normalize(v) for k, v in solution.items()} == {
        k: v[0] for k, v in ANSWERS[unit].items()
    }, f"{unit}: the notebook's solution and the answer key disagree"
    quiz.check(questions, {q.id: next(iter(q.choices)) for q in questions})
    assert "Recorded" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match=questions[0].id):
        quiz.check(questions, {q.id: "z" for q in questions})


def test_right_letters_are_balanced():
    """No letter is the right answer much more often than the others (students notice)."""
    letters = Counter(entry[0] for unit in ANSWERS.values() for entry in unit.values())
    total = sum(letters.values())
    assert max(letters.values()) <= 0.4 * total, letters
