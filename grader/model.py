"""Frozen value types shared by every stage: exam, variants, submissions and scores."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

PART_KINDS = ("number", "expression", "arrows", "values", "text", "choice")
ORIGINAL_SIBLING = "original"  # the sibling of a pooled part that is the part's own text

# An expected answer: one exact string (number/expression/choice), one exact string per arrow id
# (arrows) or per named value (values: e.g. v1, theta1 of a momentum run), or None (text parts:
# the rubric holds the model answer).
Expected = str | Mapping[str, str] | None

# A student's raw answer to one part: free text, or arrow id -> text for arrows parts.
RawAnswer = str | Mapping[str, str]


@dataclass(frozen=True)
class Part:
    """One gradable part of an exercise, as written in exam.yaml."""

    id: str
    exercise: str
    points: Fraction
    kind: str
    text: str  # Markdown with $math$; {placeholders} are filled by the family
    family: str | None = None  # omitted for fixed parts
    params: Mapping[str, Any] = field(default_factory=dict)  # the original exam's parameters
    answer: str | None = None  # fixed number/expression parts: the exact answer
    solution: str = ""  # fixed parts: the solution sketch (Markdown)
    # Text parts: the other siblings a random variant may ask instead (grader.pools); the
    # part's own text and solution are the sibling "original".
    pool: tuple[Sibling, ...] = ()


@dataclass(frozen=True)
class Sibling:
    """One alternative of a pooled text part: another wording, or a sibling question."""

    id: str
    text: str
    solution: str = ""
    rubric: str | None = None  # None: its own rubric; else the sibling whose rubric it shares


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    parts: tuple[Part, ...]
    intro: str = ""  # Markdown shown before the first part
    audience: str = ""  # e.g. "INF9860 only"; empty for everyone
    # exam.yaml `shared:`: a family whose parameters all parts of the exercise share (drawn once
    # per variant, passed to each part's sample as `fixed`); its placeholders fill the intro.
    shared_family: str | None = None
    shared_params: Mapping[str, Any] = field(default_factory=dict)  # the original's


@dataclass(frozen=True)
class Exam:
    id: str
    version: int
    title: str
    course: str
    date: str
    duration: str
    aids: str
    instructions: str
    exercises: tuple[Exercise, ...]
    assumptions: str = ""  # what the authors assumed where the original text was silent
    source: str = ""  # the exam.yaml it was read from

    @property
    def parts(self) -> tuple[Part, ...]:
        return tuple(p for ex in self.exercises for p in ex.parts)

    def part(self, part_id: str) -> Part:
        for p in self.parts:
            if p.id == part_id:
                return p
        raise KeyError(part_id)

    @property
    def total_points(self) -> Fraction:
        return sum((p.points for p in self.parts), Fraction(0))


@dataclass(frozen=True)
class Figure:
    """A figure as data; grader.paper draws it (kind 'graph': a DESIGN 3.1 graph mapping)."""

    id: str
    kind: str
    data: Mapping[str, Any]
    caption: str = ""


@dataclass(frozen=True)
class Solved:
    """What a question family returns for one set of parameters."""

    placeholders: Mapping[str, str]  # values for the {names} in the part text
    answer: Expected  # exact answer(s) as strings (SymPy srepr-free, e.g. "23", "-3/2")
    solution: str  # worked solution, Markdown
    figures: tuple[Figure, ...] = ()
    # common mistakes of this variant: mistake id -> the exact value a student who makes it
    # writes (e.g. "stride-forgotten" -> "13"); never equal to the answer (rubric `family:`)
    mistakes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Family:
    """A randomized question family (question_bank/families/<module>.py).

    solve(params) must be pure. sample(rng, params, fixed) draws new parameters with a local
    random.Random: `params` are the part's own base parameters (the original exam's), `fixed` the
    parameters its exercise shares and already drew (e.g. the kernels of a CNN that 3a, 3b and
    3c all ask about); it returns the part's own new parameters, JSON-safe (ints, exact strings
    such as "1/2", lists, dicts), and the part is solved on {**fixed, **returned}.
    """

    name: str
    solve: Callable[[Mapping[str, Any]], Solved]
    sample: Callable[[Any, Mapping[str, Any], Mapping[str, Any]], Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class PartVariant:
    """One part as it appears on one variant's paper, with its frozen answer."""

    part_id: str
    kind: str
    points: Fraction
    text: str  # placeholders filled
    params: Mapping[str, Any]  # frozen parameters (for arrows: the graph, used by follow-through)
    answer: Expected
    solution: str
    figures: tuple[Figure, ...] = ()
    mistakes: Mapping[str, str] = field(default_factory=dict)  # Solved.mistakes, frozen


@dataclass(frozen=True)
class Variant:
    exam_id: str
    exam_version: int
    variant_id: str  # "original" or a Crockford base32 code
    parts: tuple[PartVariant, ...]
    intros: Mapping[str, str] = field(default_factory=dict)  # exercise id -> filled intro
    # exercise id -> the figures of its shared family (e.g. the CNN stack of 3a-3c), shown
    # after the intro; like the intro they hold no answer
    intro_figures: Mapping[str, tuple[Figure, ...]] = field(default_factory=dict)

    def part(self, part_id: str) -> PartVariant:
        for p in self.parts:
            if p.part_id == part_id:
                return p
        raise KeyError(part_id)


@dataclass(frozen=True)
class Submission:
    """One student's answers, as read from a file or a CSV row."""

    student: str
    variant: str
    answers: Mapping[str, RawAnswer]
    source: str  # file (and row) it came from, for messages
    exam: str | None = None
    course: str | None = None  # e.g. "INF5860": exercises for another audience do not count
    # LMS quizzes draw each part's variant on its own: part id -> variant where it differs
    # from `variant` (grader.ingest.lms; grading looks each such part up in its own variant).
    part_variants: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CriterionResult:
    """One criterion (a keyword concept, an arrow, a numeric check) with what it matched."""

    id: str
    points: Fraction  # awarded
    max: Fraction
    met: bool
    matched: tuple[str, ...] = ()  # the words or values that matched
    feedback: str = ""  # shown when not met (or how it was met, e.g. follow-through)


@dataclass(frozen=True)
class PartScore:
    student: str
    part: str
    score: Fraction
    max: Fraction
    criteria: tuple[CriterionResult, ...] = ()
    notes: tuple[str, ...] = ()  # parse notes, tolerance used, "blank", ...
    flags: tuple[str, ...] = ()  # review reasons: "unparseable", "ambiguous", "follow-through", ...
    answer: str = ""  # the student's answer as text, for feedback and review
