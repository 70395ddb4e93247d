"""How exported questions are named in an LMS, so that response exports map back to part ids.

One convention for every target (Moodle, QTI 2.1, Canvas, GIFT), agreed in docs/DESIGN.md:

- a question (one pre-computed variant of one part) is named ``<exam id> <part id> <variant id>``,
  e.g. ``inf5860-2019 ex3b K7Q2M``;
- the category / section / question group holding a part's variants is ``<exam id> <part id>``;
- the question text ends with a visible line ``Variant K7Q2M · ex3b`` (the variant tag), because
  some response exports carry only the question text, never its name;
- the blanks of a multi-value question (arrows, values) come in the order of the key's answer
  mapping and are labelled with their ids (a1, a2, ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"^(?P<exam>[\w.-]+) (?P<part>[\w.-]+) (?P<variant>original|[0-9A-Z]{5})$")
_TAG = re.compile(r"Variant (?P<variant>original|[0-9A-Z]{5}) · (?P<part>[\w.-]+)")


@dataclass(frozen=True)
class QuestionRef:
    exam: str
    part: str
    variant: str


def question_name(exam_id: str, part_id: str, variant_id: str) -> str:
    """The name of one variant of one part.

    >>> question_name("inf5860-2019", "ex3b", "K7Q2M")
    'inf5860-2019 ex3b K7Q2M'
    """
    return f"{exam_id} {part_id} {variant_id}"


def category_name(exam_id: str, part_id: str) -> str:
    """The category (Moodle), section (QTI) or question group (Canvas) of a part's variants."""
    return f"{exam_id} {part_id}"


def variant_tag(part_id: str, variant_id: str) -> str:
    """The visible line that ends every exported question text.

    >>> variant_tag("ex3b", "K7Q2M")
    'Variant K7Q2M · ex3b'
    """
    return f"Variant {variant_id} · {part_id}"


def parse_question_name(name: str) -> QuestionRef | None:
    """Read a question name back; None when it is not one of ours.

    >>> parse_question_name("inf5860-2019 ex3b K7Q2M")
    QuestionRef(exam='inf5860-2019', part='ex3b', variant='K7Q2M')
    """
    match = _NAME.match(name.strip())
    return QuestionRef(**match.groupdict()) if match else None


def find_variant_tag(text: str) -> tuple[str, str] | None:
    """(part id, variant id) from a question text that carries our tag, else None.

    >>> find_variant_tag("What is ...? Variant K7Q2M · ex3b")
    ('ex3b', 'K7Q2M')
    """
    match = _TAG.search(text)
    return (match["part"], match["variant"]) if match else None
