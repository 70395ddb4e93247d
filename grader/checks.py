"""Consistency checks between an exam and its rubric, and the model-answer self-test."""

from __future__ import annotations

from collections.abc import Iterator

from grader.errors import AuthoringError
from grader.model import Exam, PartScore, PartVariant, Variant
from grader.pools import pool_variant, sibling_ids
from grader.rubric.engine import score_part
from grader.rubric.loader import Rubric, sibling_rubric


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
    check_pool_rubrics(exam, rubric)


def model_answer(rubric: Rubric, variant: Variant, part_id: str):
    """The answer a perfect student gives: the key's exact answer, or the rubric's model text."""
    expected = variant.part(part_id).answer
    if expected is None:  # a pooled part: the model answer of the sibling the variant asks
        return sibling_rubric(rubric.parts[part_id], variant.part(part_id).params).model_answer
    return dict(expected) if not isinstance(expected, str) else expected


def model_answer_scores(rubric: Rubric, variant: Variant) -> Iterator[PartScore]:
    """Grade every part's model answer (each must score full marks)."""
    for part in variant.parts:
        yield score_part(rubric, rubric.parts[part.part_id], part,
                         model_answer(rubric, variant, part.part_id), student="(model answer)")


def check_pool_rubrics(exam: Exam, rubric: Rubric) -> None:
    """Every sibling of the exam has a rubric of its own or shares one; the rubric names no
    other siblings (call after the parts themselves were checked).

    Raises:
        AuthoringError: naming the rubric file, the part and the sibling.
    """
    for part in exam.parts:
        have = set(rubric.parts[part.id].siblings)
        own = {s.id for s in part.pool if s.rubric is None}
        for missing in sorted(own - have):
            raise AuthoringError(f"sibling {missing} has no rubric: add it under 'siblings', or "
                                 "give it 'rubric: same' in exam.yaml if it is a rewording",
                                 file=rubric.source, part=part.id)
        for extra in sorted(have - own):
            shared = next((s.rubric for s in part.pool if s.id == extra), None)
            reason = (f"shares the rubric of {shared} in exam.yaml" if shared else
                      f"is not in the exam's pool ({', '.join(sibling_ids(part))})")
            raise AuthoringError(f"rubric has sibling {extra}, which {reason}",
                                 file=rubric.source, part=part.id)


def sibling_model_scores(exam: Exam, rubric: Rubric) -> Iterator[tuple[str, PartScore]]:
    """Grade the model answer of every sibling but the original: ("ex2b (sigmoid)", score)."""
    for part in exam.parts:
        for sibling in part.pool:
            asked = pool_variant(part, None, sibling.id)
            part_rubric = rubric.parts[part.id]
            model = sibling_rubric(part_rubric, asked.params).model_answer
            yield (f"{part.id} ({sibling.id})",
                   score_part(rubric, part_rubric, asked, model, student="(model answer)"))


def model_answers(rubric: Rubric, parts: tuple[PartVariant, ...]) -> dict[str, str]:
    """Part id -> the text model answer for the sibling each part asks (for feedback)."""
    out = {}
    for part in parts:
        found = rubric.parts.get(part.part_id)
        if found is not None and found.kind == "text":
            model = sibling_rubric(found, part.params).model_answer
            if model:
                out[part.part_id] = model
    return out
