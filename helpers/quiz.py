"""Knowledge checks: multiple-choice questions from the lectures, checked with explanations.

A unit defines its questions once (in its helpers module) and the notebook shows them with
`show(QUESTIONS)`; the student answers in a dict, and `check(QUESTIONS, answers)` says for
each question whether it is right and explains the right answer either way.
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
    answer: str  # the right letter
    explanation: str  # why it is right (and the others are not)

    def __post_init__(self):
        if self.answer not in self.choices:
            raise ValueError(f"Question {self.id}: answer {self.answer!r} is not a choice.")


def show(questions: Sequence[Question]) -> None:
    """Print the questions and their choices."""
    for q in questions:
        print(f"[{q.id}] {q.prompt}")
        for letter, text in q.choices.items():
            print(f"    {letter}) {text}")
        print()


def check(questions: Sequence[Question], answers: Mapping[str, str] | None) -> None:
    """Explain every answer; raise CheckFailed unless all are right."""
    if answers is None:
        raise CheckFailed("no answers yet: fill in the `answers` dict, one letter per question.")
    if not isinstance(answers, Mapping):
        raise CheckFailed(
            f"`answers` should be a dict like {{'q1': 'b'}}, not a {type(answers).__name__}."
        )
    wrong, missing = [], []
    for q in questions:
        given = answers.get(q.id)
        if given is None or str(given).strip() == "":
            missing.append(q.id)
            continue
        letter = str(given).strip().lower().rstrip(")")
        if letter not in q.choices:
            wrong.append(q.id)
            print(f"[{q.id}] {given!r} is not one of the choices {', '.join(q.choices)}.")
        elif letter == q.answer:
            print(f"[{q.id}] right: {q.explanation}")
        else:
            wrong.append(q.id)
            print(f"[{q.id}] not {letter}: {q.explanation}")
    if missing:
        raise CheckFailed(f"no answer yet for {', '.join(missing)}.")
    if wrong:
        raise CheckFailed(
            f"{len(wrong)} of {len(questions)} answers to revisit: {', '.join(wrong)}."
        )
    print(f"Passed: all {len(questions)} answers are right.")
