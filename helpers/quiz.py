"""Knowledge checks: multiple-choice questions from the lectures.

A unit defines its questions once (prompt and choices, in its helpers module) and the
notebook shows them with `show(QUESTIONS)`; the student answers in a dict such as
`{"q1": "b", "q2": "d"}`. The answers are marked by the course's grader, outside the
notebook: `check(QUESTIONS, answers)` only confirms that every question has one valid
letter. The course package ships no answer key; the feedback file that grading writes
says, for each question, whether the answer is right and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from helpers.checks import CheckFailed


@dataclass(frozen=True)
class Question:
    id: str
    prompt: str
    choices: Mapping[str, str]  # letter -> text


def show(questions: Sequence[Question]) -> None:
    """Print the questions and their choices."""
    for q in questions:
        print(f"[{q.id}] {q.prompt}")
        for letter, text in q.choices.items():
            print(f"    {letter}) {text}")
        print()


def normalize(answer: object) -> str:
    """'B', ' b) ' -> 'b'."""
    return str(answer).strip().lower().rstrip(")").strip()


def check(questions: Sequence[Question], answers: Mapping[str, str] | None) -> None:
    """Say whether every question has one valid letter; raise CheckFailed if not."""
    if answers is None:
        raise CheckFailed("no answers yet: fill in the `answers` dict, one letter per question.")
    if not isinstance(answers, Mapping):
        raise CheckFailed(
            f"`answers` should be a dict like {{'q1': 'b'}}, not a {type(answers).__name__}."
        )
    missing = [q.id for q in questions if str(answers.get(q.id) or "").strip() == ""]
    if missing:
        raise CheckFailed(f"no answer yet for {', '.join(missing)}.")
    invalid = [
        f"{q.id}: {answers[q.id]!r} is not one of {', '.join(q.choices)}"
        for q in questions
        if normalize(answers[q.id]) not in q.choices
    ]
    if invalid:
        raise CheckFailed("; ".join(invalid) + ".")
    unknown = sorted(set(map(str, answers)) - {q.id for q in questions})
    if unknown:
        raise CheckFailed(
            f"there is no question {', '.join(unknown)}: check the keys of `answers`."
        )
    print(
        f"Recorded: {len(questions)} answers, one valid letter each. The grader marks them and "
        "your feedback file explains every question."
    )
