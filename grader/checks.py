"""Consistency checks between an exam and its rubric, and the model-answer self-test."""

from __future__ import annotations

from collections.abc import Iterator

from grader.errors import AuthoringError
from grader.model import Exam, PartScore, Variant
from grader.rubric.engine import score_part
from grader.rubric.loader import Rubric


def check_rubric_covers(exam: Exam, rubric: Rubric) -> None:
    """Every exam part has a rubric of the same kind and points, and the rubric has no extras.

    Raises:
        AuthoringError: naming the rubric file and the part.
    """
    exam_parts = {p.id: p for p in exam.parts}
    for part_id in rubric.parts:
        if part_id not in exam_parts:
            raise AuthoringError(f"rubric has a part that exam '{exam.id}' does not have",
                                 file=rubric.source, part=part_id)
    for part in exam.parts:
        found = rubric.parts.get(part.id)
        if found is None:
            raise AuthoringError("exam part has no rubric", file=rubric.source, part=part.id)
        if found.kind != part.kind:
            raise AuthoringError(f"rubric kind '{found.kind}' differs from the exam's "
                                 f"'{part.kind}'", file=rubric.source, part=part.id)
        if found.points != part.points:
            raise AuthoringError(f"rubric gives {found.points} points, the exam {part.points}",
                                 file=rubric.source, part=part.id)


def model_answer(rubric: Rubric, variant: Variant, part_id: str):
    """The answer a perfect student gives: the key's exact answer, or the rubric's model text."""
    expected = variant.part(part_id).answer
    if expected is None:
        return rubric.parts[part_id].model_answer
    return dict(expected) if not isinstance(expected, str) else expected


def model_answer_scores(rubric: Rubric, variant: Variant) -> Iterator[PartScore]:
    """Grade every part's model answer (each must score full marks)."""
    for part in variant.parts:
        yield score_part(rubric, rubric.parts[part.part_id], part,
                         model_answer(rubric, variant, part.part_id), student="(model answer)")
