"""The results cache (grader.cache): keys, entry encoding, the append-only log, resume."""

from __future__ import annotations

import shutil
from dataclasses import fields, replace
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from grader import api, batch, cache
from grader.cache import ResultCache, decode_outcome, encode_outcome, submission_key
from grader.content_ids import content_id
from grader.grading import StudentResult, grade_submission
from grader.ingest.submissions import IngestProblem, read_submissions
from grader.model import CriterionResult, PartScore, Submission
from tests.test_grading_batch import tree

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "submissions"


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> Path:
    """The examples plus 12 generated students, one with an unknown part (a warning)."""
    folder = tmp_path_factory.mktemp("class")
    for path in EXAMPLES.iterdir():
        shutil.copy(path, folder / path.name)
    base = yaml.safe_load((EXAMPLES / "s100003.yaml").read_text("utf-8"))
    for i in range(12):
        answers = {**base["answers"], "ex3b": ("23", "13", "1 + 2")[i % 3]}
        answers["ex2c"] = f"{answers['ex2c']} Example {i}, θ." if i % 4 else ""
        if i == 5:
            answers["ex9z"] = "an unknown part"
        doc = {**base, "student": f"c{i:03d}", "answers": answers}
        (folder / f"c{i:03d}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return folder


@pytest.fixture(scope="module")
def graded(klass):
    """(submission, outcome) for every student of the class, graded afresh."""
    ctx = api.grading_context("inf5860-2019")
    subs = [s for s in read_submissions([klass]) if isinstance(s, Submission)]
    return [(sub, list(grade_submission(sub, ctx))) for sub in subs]


def grade(inputs, out, **options):
    return api.grade("inf5860-2019", [Path(p) for p in inputs], out, progress=False, **options)


@pytest.fixture(scope="module")
def reference(klass, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref")
    grade([klass], out, use_cache=False)
    return out


def log_lines(out: Path) -> list[bytes]:
    return (out / cache.CACHE_DIR / cache.LOG_NAME).read_bytes().splitlines(keepends=True)


# ---------------------------------------------------------------------------------- keys

def test_the_key_ignores_the_source_and_follows_every_other_field():
    sub = Submission("s1", "original", {"ex3a": "13", "ex1a": {"a1": "1", "a2": "2"}},
                     "a.yaml", exam="inf5860-2019", course="INF5860",
                     part_variants={"ex2a": "K7Q2M"})
    key = submission_key(sub, "ctx")
    assert submission_key(replace(sub, source="b.csv:3"), "ctx") == key
    assert submission_key(sub, "ctx2") != key
    changed = [replace(sub, student="s2"), replace(sub, variant="K7Q2M"),
               replace(sub, exam=None), replace(sub, course="INF9860"),
               replace(sub, course=""), replace(sub, part_variants={}),
               replace(sub, answers={**sub.answers, "ex3a": "13 "}),
               replace(sub, answers={**sub.answers, "ex1a": {"a1": "1", "a2": "3"}}),
               replace(sub, answers={**sub.answers, "ex2a": None})]
    keys = {submission_key(s, "ctx") for s in changed}
    assert len(keys) == len(changed) and key not in keys


def test_the_key_covers_every_submission_field_but_the_source():
    assert set(cache._KEY_FIELDS) == {f.name for f in fields(Submission)} - {"source"}


def test_field_boundaries_cannot_collide():
    def key(answers, student="s", context="c"):
        return submission_key(Submission(student, "v", answers, "x"), context)

    assert key({"ab": "c"}) != key({"a": "bc"})
    assert key({"a": "b", "c": "d"}) != key({"a": "b2:cs1:d"})
    assert key({"a": ""}) != key({"a": None}) != key({})
    assert key({"a": {"b": "c"}}) != key({"a": "m1:1:bs1:c"})
    assert key({}, student="s1:v", context="c") != key({}, student="s", context="c")
    assert key({}, context="cs1:s") != key({}, context="c")


answer_values = st.recursive(st.none() | st.text(max_size=5),
                             lambda inner: st.dictionaries(st.text(max_size=3), inner,
                                                           max_size=3), max_leaves=6)


@given(answer_values, answer_values)
def test_distinct_values_give_distinct_key_texts(a, b):
    tokens_a, tokens_b = [], []
    cache._append_tokens(a, tokens_a)
    cache._append_tokens(b, tokens_b)
    if "".join(tokens_a) == "".join(tokens_b):
        assert a == b


# ------------------------------------------------------------------------ entry encoding

def test_entries_decode_to_the_same_outcome_with_the_current_source(graded):
    problems = 0
    for sub, outcome in graded:
        text = encode_outcome(outcome, sub)
        assert "\n" not in text and "\t" not in text.replace("\\t", "")  # one log line
        assert decode_outcome(text, sub) == outcome
        moved = replace(sub, source="moved.csv:7")
        assert all(item.source == "moved.csv:7" for item in decode_outcome(text, moved))
        problems += sum(isinstance(item, IngestProblem) for item in outcome)
    assert problems == 1  # c005's unknown part, a non-fatal problem, is kept too


def test_decoded_objects_have_every_field(graded):
    sub, outcome = next((s, o) for s, o in graded if s.student == "c001")
    (result,) = decode_outcome(encode_outcome(outcome, sub), sub)
    assert isinstance(result, StudentResult)
    score = result.scores[0]
    assert set(vars(score)) == {f.name for f in fields(PartScore)}
    assert set(vars(score.criteria[0])) == {f.name for f in fields(CriterionResult)}
    assert result.total == outcome[0].total and hash(score) == hash(outcome[0].scores[0])


def test_typed_answers_are_not_stored_twice(graded):
    sub, outcome = next((s, o) for s, o in graded if s.student == "c001")
    text = encode_outcome(outcome, sub)
    assert sub.answers["ex2a"] not in text  # the decoder takes it from the submission
    assert "a1: " in text  # arrows: the answer as text differs from the typed mapping


@pytest.mark.parametrize("text", ["", "[", "{}", "[]", '[["x"]]', '[["r","s","v",[["ex1a"]]]]',
                                  '[["r","s","v",[["ex1a","1/0","1",[],[],[],""]]]]',
                                  '[["r","s","v",[["ex9","1","1",[],[],[],null]]]]',
                                  '[["r","s","v",[[["ex1a","1","1",[],[],[]],null]]]]',
                                  '[["r","s","v",[["[\\"ex1a\\",\\"1/0\\",\\"1\\",[],[],[]]",""]]]]',
                                  '[["r","s","v",[["[\\"ex9\\",\\"1\\",\\"1\\",[],[],[]]",null]]]]',
                                  '[["r","s","v",[["[\\"ex1a\\",\\"1\\"]",""]]]]'])
def test_a_garbled_entry_is_a_value_error(text, graded):
    with pytest.raises(ValueError, match="unreadable cache entry"):
        decode_outcome(text, graded[0][0])


def reference_entry(outcome, sub) -> str:
    """An entry as the plain encoder writes the nested lists (the format the pieces equal)."""
    items = []
    for item in outcome:
        if isinstance(item, StudentResult):
            items.append(["r", item.student, item.variant, [
                [cache._encode_json([s.part, str(s.score), str(s.max),
                                     [[c.id, str(c.points), str(c.max), c.met, c.matched,
                                       c.feedback] for c in s.criteria],
                                     s.notes, s.flags]),
                 None if s.answer == sub.answers.get(s.part) else s.answer]
                for s in item.scores]])
        else:
            items.append(["p", item.problem, item.student, item.part, item.fatal])
    return cache._encode_json(items)


def test_entries_equal_the_plain_encoder(graded):
    for _ in range(2):  # the second time from the pieces cached by content id
        for sub, outcome in graded:
            assert encode_outcome(outcome, sub) == reference_entry(outcome, sub)


# every code point: controls, quotes, backslashes, U+2028, non-BMP, lone surrogates
_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=8)
_WORDS = st.lists(_TEXT, max_size=3).map(tuple)
_POINTS = (st.builds(Fraction, st.integers(-10**20, 10**20), st.integers(1, 10**6))
           | st.integers(-3, 3))  # an int is a Rational too
_CRITERION = st.builds(CriterionResult, _TEXT | st.sampled_from(["a1", "value"]), _POINTS,
                       _POINTS, st.booleans(), _WORDS, _TEXT | st.just(""))


@st.composite
def _scores(draw):
    """Part scores of distinct parts, each answer typed as is, typed otherwise, or not typed."""
    parts = draw(st.lists(_TEXT, max_size=4, unique=True))
    scores, typed = [], {}
    for part in parts:
        answer = draw(_TEXT)
        scores.append(PartScore("s", part, draw(_POINTS), draw(_POINTS),
                                tuple(draw(st.lists(_CRITERION, max_size=3))), draw(_WORDS),
                                draw(_WORDS), answer))
        how = draw(st.sampled_from(["same", "other", "none"]))
        if how != "none":
            typed[part] = answer if how == "same" else {"a1": answer}
    return scores, typed


@given(_TEXT, _scores())
def test_generated_entries_equal_the_plain_encoder_and_decode_back(student, drawn):
    scores, typed = drawn
    sub = Submission(student, "v", typed, "f.yaml")
    outcome = [StudentResult(student, "v", "f.yaml", tuple(replace(s, student=student)
                                                           for s in scores)),
               IngestProblem("f.yaml", "a warning", student, "p", False)]
    for _ in range(2):  # the second time from the cached pieces and contents
        text = encode_outcome(outcome, sub)
        assert text == reference_entry(outcome, sub)
        assert decode_outcome(text, sub) == outcome


def test_decoded_equal_contents_share_their_objects(graded):
    """c000, c003, c006, c009 typed the same ex3b: one content, built once, shared."""
    subs = {s.student: (s, o) for s, o in graded}
    decoded = [decode_outcome(encode_outcome(o, s), s)[0] for s, o in
               (subs["c000"], subs["c003"])]
    first, second = (next(p for p in r.scores if p.part == "ex3b") for r in decoded)
    assert first.criteria is second.criteria and first.student != second.student
    assert content_id(first) == content_id(second) is not None


def test_content_ids_follow_every_field_but_student_and_answer():
    c = CriterionResult("c", Fraction(1), Fraction(2), True, ("w",), "fb")
    score = PartScore("s", "p", Fraction(1), Fraction(2), (c,), ("n",), ("f",), "answer")
    ident = content_id(score)
    assert ident is not None
    assert content_id(replace(score, student="t", answer="other")) == ident
    changed_scores = [replace(score, **{f.name: value}) for f, value in zip(
        [f for f in fields(PartScore) if f.name not in ("student", "answer")],
        ["q", Fraction(1, 2), Fraction(3), (), ("m",), ("g",)], strict=True)]
    changed_criteria = [replace(score, criteria=(replace(c, **{f.name: value}),))
                        for f, value in zip(fields(CriterionResult),
                                            ["d", Fraction(0), Fraction(1), 1, (), ""],
                                            strict=True)]
    others = {content_id(s) for s in changed_scores + changed_criteria}
    assert ident not in others and len(others) == len(changed_scores) + len(changed_criteria)
    assert content_id(replace(score, score=0.5)) is None  # a float: the writers' plain path


# ---------------------------------------------------------------------------------- the log

def test_the_log_keeps_entries_across_opens(tmp_path):
    path = tmp_path / ".partial" / "results.log"
    with ResultCache(path) as log:
        assert log.get("k1") is None
        log.put("k1", '["one"]')
        log.put("k2", '["twö"]')
    with ResultCache(path) as log:
        assert (log.get("k1"), log.get("k2"), log.get("k3")) == ('["one"]', '["twö"]', None)
        log.put("k1", '["newer"]')
    with ResultCache(path) as log:
        assert log.get("k1") == '["newer"]'  # the last line of a key wins
    with ResultCache(path, enabled=False) as log:  # --fresh: a new log
        assert log.get("k2") is None
    assert path.read_bytes() == b""


def test_a_torn_last_line_is_a_miss_and_cut_off(tmp_path):
    path = tmp_path / "results.log"
    with ResultCache(path) as log:
        log.put("k1", '["one"]')
    with path.open("ab") as handle:
        handle.write(b'k2\t["tw')  # killed mid-write
    with ResultCache(path) as log:
        assert log.get("k1") == '["one"]' and log.get("k2") is None
        log.put("k3", '["three"]')
    assert path.read_bytes() == b'k1\t["one"]\nk3\t["three"]\n'


def test_compaction_keeps_only_the_keys_of_the_run(tmp_path):
    path = tmp_path / "results.log"
    old_folder = tmp_path / "results"  # the previous format: one file per entry
    old_folder.mkdir()
    (old_folder / "abc.json").write_text("{}", "utf-8")
    with ResultCache(path) as log:
        for key in ("k1", "k2", "k1", "k3"):
            log.put(key, f'["{key}"]')
    with path.open("ab") as handle:
        handle.write(b"no tab: garbage\n")
    log = ResultCache(path)
    log.open()
    assert log.compact({"k1", "k3", "k4"}) == 3  # k2, the first k1, the garbage line
    assert path.read_bytes() == b'k1\t["k1"]\nk3\t["k3"]\n'
    assert not old_folder.exists()
    inode = path.stat().st_ino
    log.open()
    assert log.compact({"k1", "k3"}) == 0 and path.stat().st_ino == inode  # nothing to drop


def test_an_unwritable_cache_only_costs_time(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", "utf-8")
    with ResultCache(blocked / "results.log") as log:
        log.put("k1", "[]")
        assert log.get("k1") is None
        assert log.compact({"k1"}) == 0


# ------------------------------------------------------------------------ resume, batches

def test_cached_and_fresh_runs_write_the_same_bytes(klass, reference, tmp_path):
    out = tmp_path / "out"
    assert grade([klass], out, jobs=2).cached == 0
    assert len(log_lines(out)) == 20  # one line per student, written by the main process only
    assert grade([klass], out).cached == 20
    assert tree(out) == tree(reference)
    assert grade([klass], out, jobs=2).cached == 20
    assert tree(out) == tree(reference)


def test_a_garbled_line_is_regraded(klass, reference, tmp_path):
    out = tmp_path / "out"
    grade([klass], out)
    lines = log_lines(out)
    lines[3] = lines[3].replace(b'"r"', b'"r', 1)
    (out / cache.CACHE_DIR / cache.LOG_NAME).write_bytes(b"".join(lines))
    assert grade([klass], out).cached == 19
    assert tree(out) == tree(reference)
    assert len(log_lines(out)) == 20  # compacted: the garbled line is gone


def test_a_changed_code_fingerprint_is_a_miss(klass, tmp_path, monkeypatch):
    out = tmp_path / "out"
    grade([klass], out)
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "other code")
    assert grade([klass], out).cached == 0
    assert len(log_lines(out)) == 20  # the old entries were dropped at the end


def test_the_old_results_folder_is_removed(klass, tmp_path):
    out = tmp_path / "out"
    old = out / cache.CACHE_DIR / "results"
    old.mkdir(parents=True)
    (old / ("0" * 64 + ".json")).write_text("{}", "utf-8")
    grade([klass], out)
    assert not old.exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_interrupted_run_keeps_what_it_graded(klass, reference, tmp_path, monkeypatch,
                                                 jobs):
    out = tmp_path / "out"
    real_add = batch.BatchWriter.add
    added = []

    def interrupted(self, rendered):
        if len(added) == 7:
            raise KeyboardInterrupt  # Ctrl-C while the 8th student is being written
        added.append(rendered.student)
        real_add(self, rendered)

    monkeypatch.setattr(batch.BatchWriter, "add", interrupted)
    with pytest.raises(KeyboardInterrupt):
        grade([klass], out, jobs=jobs)
    assert len(log_lines(out)) == 8  # the 8th was graded and logged before it was written
    monkeypatch.setattr(batch.BatchWriter, "add", real_add)
    resumed = grade([klass], out, jobs=jobs)
    assert (resumed.cached, resumed.students) == (8, 20)
    assert tree(out) == tree(reference)
