"""The keyword engine's fast paths give what the general ones give (docs/keyword-grading.md,
Speed): the piecewise scan, the span ranking without Hits, the per-part plan."""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from grader.rubric import criteria, text
from grader.rubric.loader import load_rubric, rubric_from_mapping
from grader.rubric.matcher import search
from grader.rubric.patterns import compile_pattern

ROOT = Path(__file__).resolve().parents[1]

# The scan as it was written before the fast paths: one regex over words and sentence ends,
# a step per token. The oracle the piecewise scan must agree with.
_ORACLE_RE = re.compile(r"([^\W_]+(?:'[^\W_]+)*)|(\.)(?=\s|$)|[.!?]+(?=\s|$)|\n")


def oracle_scan(raw: str) -> tuple[list, list, list, list, list]:
    clean = unicodedata.normalize("NFKC", raw).translate(text._CHAR_MAP)
    surfaces, norms, starts, negations, purposes = [], [], [], [], []
    first = 0
    for match in _ORACLE_RE.finditer(clean):
        surface, dot = match.group(1), match.group(2)
        if not surface:
            if len(norms) > first and not (dot and text._abbreviation(norms, first)):
                first = len(norms)
            continue
        norm, _, role = text.word_entry(surface)
        here = len(norms)
        if here == first:
            starts.append(here)
        if role == text.NEGATION:
            waived = text._purposive(norms, negations, first)
            (purposes if waived else negations).append(here)
        elif role and negations and negations[-1] == here - 1 >= first:
            negations.pop()
        surfaces.append(surface)
        norms.append(norm)
    return surfaces, norms, starts, negations, purposes


TRICKY = [
    "",
    "Dropout.",
    "It doesn't explode. So that it doesn't explode!",
    "Use e.g. dropout. Also i.e. weight decay",
    "so that the gradients do not explode\nnot only that",
    "the value is 3.5. then it grows!? yes...",
    "x_y and __init__ are words? no",
    "over-fitting (not) happens; it is not only big, it is huge",
    "naïve ＡＢ ﬁne θ−ε: the cost doesn’t change",
    "in order not to overfit . . . ",
    "vs. cf. etc. approx. resp. eg ie",
]


@pytest.mark.parametrize("raw", TRICKY)
def test_scan_matches_the_per_token_scan(raw):
    found = text.scan(raw)
    assert tuple(found[:5]) == oracle_scan(raw)
    assert len(found.entries) == len(found.norms)
    assert [e[0] for e in found.entries] == found.norms


@given(st.lists(st.sampled_from(
    ["not", "only", "so", "that", "the", "it", "doesn't", "e.g.", "i.e.", "etc.", ".", "!",
     "?", "...", "\n", " ", ",", "3.5", "x_y", "-", "(", "don't", "cannot", "in", "order", "to",
     "lest", "but", "never", "without", "dropout", "over-fitting", "`", "\t", ". ", "!?",
     "just", "because", "they", "x.y", ".\n", "'", "students'"]), max_size=30))
def test_scan_of_any_ascii_text_matches_the_per_token_scan(pieces):
    raw = "".join(pieces)
    assert tuple(text.scan(raw)[:5]) == oracle_scan(raw)


def test_scan_with_a_callers_word_table_keeps_its_entries():
    table: dict[str, tuple] = {}

    def entry(surface):
        table[surface] = (*text.word_entry(surface), "mine")
        return table[surface]

    found = text.scan("Not only dropout. Dropout!", table, entry)
    assert found.norms == ["not", "only", "dropout", "dropout"]
    assert found.starts == [0, 3] and found.negations == []
    assert [e[3] for e in found.entries] == ["mine"] * 4
    assert set(table) == {"Not", "only", "dropout", "Dropout"}


def test_a_compound_does_not_join_words_of_two_sentences():
    pattern = compile_pattern("overfitting")
    matcher = criteria.Matcher([pattern])
    assert search(pattern, matcher.read("It is over. Fitting is fine.")) == []
    hits = search(pattern, matcher.read("Fine. It is over fitting, not under."))
    assert [(h.words, h.sentence) for h in hits] == [(("over", "fitting"), 1)]


def _class_answers(limit: int = 400) -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "examples" / "submissions").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out.extend((pid, a) for pid, a in (data.get("answers") or {}).items()
                   if isinstance(a, str))
    return out[:limit]


def test_span_ranking_without_hits_agrees_with_the_hit_search():
    rubric = load_rubric(ROOT / "rubrics" / "inf5860_2019.yaml")
    parts = {pid: pr for pid, pr in rubric.parts.items() if pr.kind == "text"}
    compared = 0
    for pid, answer in _class_answers():
        if pid not in parts:
            continue
        for pr in parts.values():  # every part's criteria on every answer: more matches
            doc = pr.matcher.read(answer + " " + answer.upper())
            if doc.negations or doc.purposes:
                continue
            for c in pr.criteria:
                if c.require or c.explain:
                    continue
                assert criteria._evaluate_plain(c, doc) == criteria._evaluate_hits(c, doc)
                compared += 1
    assert compared > 500


def _part(criteria_list, points=1, **extra):
    data = {"version": 1, "parts": {"p": {"kind": "text", "points": points,
                                          "criteria": criteria_list, **extra}}}
    return rubric_from_mapping(data).parts["p"]


def test_a_missing_criterion_shares_one_result_and_the_total_is_capped():
    pr = _part([{"id": "drop", "points": 1, "any": ["dropout"]},
                {"id": "reg", "points": "1/2", "any": ["regulari*"], "feedback": "Say why."}])
    met = criteria.score_text(pr, "Dropout is a regularization.")
    assert met.total == Fraction(3, 2)  # uncapped: the caller caps, the note says so
    assert met.notes == ["capped at the part's 1 points"]
    assert [r.met for r in met.criteria] == [True, True]
    one = criteria.score_text(pr, "Weight decay.")
    two = criteria.score_text(pr, "Early stopping.")
    assert one.criteria[1] is two.criteria[1]  # frozen: one object for every answer
    assert one.criteria[1].feedback == "Say why." and one.criteria[1].max == pr.criteria[1].points
    assert one.total == 0 and one.notes == [] and one.flags == []
    half = criteria.score_text(pr, "We regularise.")
    assert half.total == pr.criteria[1].points and half.notes == []


def test_the_plan_follows_a_new_rubric_object():
    first = _part([{"id": "a", "points": 1, "any": ["dropout"]}])
    second = _part([{"id": "a", "points": 1, "any": ["augment*"]}])
    assert criteria.score_text(first, "dropout").total == 1
    assert criteria.score_text(second, "dropout").total == 0
    assert criteria.score_text(second, "augmentation").total == 1


def _rubric_words(pr) -> list[str]:
    """The words the part's patterns are written with (the vocabulary that matches)."""
    words = set()
    for c in pr.criteria:
        for p in (*c.any, *c.deny, *c.require):
            words.update(w.text for w in p.words if len(w.text) > 1)
    return sorted(words)


_INF5860 = load_rubric(ROOT / "rubrics" / "inf5860_2019.yaml")
_GROUPED = _INF5860.parts["ex4b"]  # groups and best 2: the general path
_PLAIN = _INF5860.parts["ex2c"]  # no groups: the plain path
_TYPO = {"swap": lambda w: w[:2] + w[3] + w[2] + w[4:] if len(w) > 5 else w,
         "same": lambda w: w, "upper": str.upper}


@st.composite
def _answers(draw, pr):
    vocabulary = _rubric_words(pr)
    words = draw(st.lists(st.one_of(
        st.sampled_from(vocabulary).map(lambda w: _TYPO[draw(st.sampled_from(sorted(_TYPO)))](w)),
        st.sampled_from(["not", "no", "so that it does not", "the", "and", "is", ".", "but",
                         "to not", "doesn't", "\n"])), min_size=1, max_size=25))
    return " ".join(words)


def _fresh(pr, answer):
    """score_text with a new plan (no remembered results)."""
    criteria._PLANS.clear()
    return criteria.score_text(pr, answer)


@given(_answers(_PLAIN), _answers(_GROUPED))
def test_remembered_results_and_the_counting_shortcut_change_nothing(plain, grouped):
    for pr, answer in ((_PLAIN, plain), (_GROUPED, grouped)):
        first = _fresh(pr, answer)
        again = criteria.score_text(pr, answer)  # the remembered results
        assert again == first and repr(again) == repr(first)
        # the general path's results are the ones _counted gives, however many are met
        plan = criteria._plan(pr)
        doc = plan.matcher.read(answer)
        evals = {c.id: criteria._evaluate(c, doc) for c in pr.criteria}
        counted = criteria._counted(pr.criteria, evals, pr.best)
        for c, result in zip(pr.criteria, first.criteria, strict=True):
            if evals[c.id].met or evals[c.id].why != "missing":
                assert result.points == counted[c.id][0]


def test_a_met_criterion_shares_its_result_between_answers_with_the_same_words():
    criteria._PLANS.clear()
    one = criteria.score_text(_PLAIN, "Dropout is a regularization technique.")
    two = criteria.score_text(_PLAIN, "I think dropout is a kind of regularization.")
    purpose = [r for r in one.criteria if r.id == "purpose"]
    assert purpose and purpose[0].met and purpose[0].matched == ("regularization",)
    assert [r for r in two.criteria if r.id == "purpose"][0] is purpose[0]
    typo = criteria.score_text(_PLAIN, "Dropout reduces overfittnig.")
    result = [r for r in typo.criteria if r.id == "purpose"][0]
    assert result.met and "despite the spelling" in result.feedback
    assert "borderline" in typo.flags
