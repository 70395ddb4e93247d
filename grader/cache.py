"""Per-submission results cache (OUT/.partial/results.log): an interrupted or repeated batch
resumes.

A cache entry holds what grading one submission produced, *before* the teacher's overrides,
keyed by a hash of the submission's content and of everything the score depends on: the
rubric file, the frozen key (or the bank's fingerprint), and the source of the grading code.
Change any of them and the entry is simply not found; nothing stale is ever reused.

The cache is one append-only log, one line per entry: ``<key>\\t<JSON>\\n``. Only the main
process reads or writes it (workers receive the cached text with their task and return the text
of what they graded), so `--jobs` cannot interleave lines. Each entry is written with one
`write` call as soon as it comes back, so an interrupted run (Ctrl-C, kill -9, a crash) keeps
every entry written before; a line without its newline (torn by the interruption) is cut off
when the log is next opened. The log is indexed once at the start (key -> where its JSON is;
the text is read only for the keys a run asks for, so memory stays ~200 bytes per entry) and
compacted at the end of a complete run: rewritten, atomically, with only the keys of that run.

Why a log rather than one file per entry (the first design): creating, writing and renaming a
file cost ~250-400 us per student and reading one back ~350 us, more than rendering its
feedback; an appended line costs a few us and a positioned read about as much.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from fractions import Fraction
from pathlib import Path

from grader.bounded import BoundedDict
from grader.content_ids import content_id, remember_content_id
from grader.grading import StudentResult
from grader.ingest.submissions import IngestProblem
from grader.model import CriterionResult, PartScore, Submission

CACHE_DIR = ".partial"
LOG_NAME = "results.log"
OLD_RESULTS_DIR = "results"  # examgrader-cache-1: one JSON file per entry; removed by compact
FORMAT = "examgrader-cache-3"
# The code a score depends on; its source is part of every key (engineers change it often).
_CODE_PACKAGES = ("answers", "rubric")
_CODE_FILES = ("grading.py", "model.py", "cache.py")

Outcome = list[StudentResult | IngestProblem]


def code_fingerprint() -> str:
    """sha256 of the grading code's source files (grader/answers, grader/rubric, grading.py)."""
    root = Path(__file__).resolve().parent
    files = [root / name for name in _CODE_FILES]
    for package in _CODE_PACKAGES:
        files.extend(sorted((root / package).glob("*.py")))
    digest = hashlib.sha256(FORMAT.encode())
    for path in files:
        data = path.read_bytes() if path.is_file() else b""
        digest.update(f"{path.relative_to(root)}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def fingerprint(*parts: str | bytes) -> str:
    """One hex digest of several inputs (length-prefixed, so boundaries cannot collide)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------- keys

# Every field but `source` counts (a moved CSV row or renamed file is still a hit: the cached
# outcome is decoded with the submission's current source). Read from the dataclass so that a
# field added to Submission is hashed too.
_KEY_FIELDS = tuple(f.name for f in fields(Submission) if f.name != "source")


def submission_key(sub: Submission, context: str) -> str:
    """The cache key of one submission graded under `context` (a fingerprint).

    The fields are written as length-prefixed tokens (``s<len>:<text>``, ``m<count>:`` then the
    items of a mapping, ``n`` for None), so two different submissions never give the same text;
    mappings in their own order (a file whose answers are reordered is merely a miss). ~9 us a
    student, where json.dumps(sort_keys=True) of the fields took ~18 us.
    """
    tokens = [f"{len(context)}:{context}"]
    for name in _KEY_FIELDS:
        _append_tokens(getattr(sub, name), tokens)
    return hashlib.sha256("".join(tokens).encode("utf-8", "surrogatepass")).hexdigest()


def _append_tokens(value: object, tokens: list[str]) -> None:
    if type(value) is str:
        tokens.append(f"s{len(value)}:{value}")
    elif value is None:
        tokens.append("n")
    elif isinstance(value, Mapping):
        tokens.append(f"m{len(value)}:")
        for name, item in value.items():
            if type(item) is str:  # the common case, inline: one token per answer
                tokens.append(f"{len(name)}:{name}s{len(item)}:{item}")
            else:
                tokens.append(f"{len(name)}:{name}")
                _append_tokens(item, tokens)
    else:  # not produced by our readers; JSON is unambiguous for what it accepts
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
        tokens.append(f"j{len(text)}:{text}")


# ------------------------------------------------------------------------ entry encoding
#
# An entry is a JSON list of items, each a list (no dict keys to write and parse):
#   ["r", student, variant, [[content, answer], ...]]   a graded student, a pair per part
#   ["p", problem, student, part, fatal]                 a problem
# A part's `content` is the compact JSON text, as a JSON string, of what it says but its answer:
#   [part, score, max, [[id, points, max, met, matched, feedback], ...], notes, flags]
# with Fractions as "n" or "n/d". Its `answer` is null when exactly what the student typed
# (most text answers: ~30 % of the bytes). The source (file, row) is not stored: the current
# one is used.
#
# Why content as a string: a class repeats the same outcomes (the memo's numeric scores, the
# same missed concepts and matched words), and a string is a key as json.loads hands it over:
# each distinct content is parsed and built into objects once per process (`_Contents`) and
# shared by every part score that says it. Written the same way, a part's text but its answer
# is encoded once per distinct outcome (`content_id`). Measured on the 2,000-student reference
# class (CPU per student of 19 parts, 45 criteria): encoding ~65 -> ~20 us and decoding
# ~65 -> ~25 us, where the nested lists of examgrader-cache-2 needed ~128 str(Fraction) and
# ~110 objects built per entry.

_encode_json = json.JSONEncoder(ensure_ascii=False, check_circular=False,
                                separators=(",", ":")).encode  # the C encoder


def encode_outcome(outcome: Sequence[StudentResult | IngestProblem], sub: Submission) -> str:
    """The outcome (results and problems) of grading `sub`, as one line of JSON.

    The same text as `_encode_json` of the lists above (tests compare them), assembled from
    pieces.
    """
    items: list[str] = []
    for item in outcome:
        if isinstance(item, StudentResult):
            answers = sub.answers
            parts = ",".join([_part_text(score, answers.get(score.part))
                              for score in item.scores])
            items.append(f'["r",{_encode_json(item.student)},{_encode_json(item.variant)},'
                         f'[{parts}]]')
        else:
            items.append(_encode_json(["p", item.problem, item.student, item.part, item.fatal]))
    return f"[{','.join(items)}]"


# content id -> '[<content as a JSON string>,' (~5 MB at most)
_BEFORE_ANSWER: dict[int, str] = BoundedDict(4_096)


def _part_text(score: PartScore, typed: object) -> str:
    """A part's [content, answer] pair as JSON."""
    answer = "null" if score.answer == typed else _encode_json(score.answer)
    ident = content_id(score)
    before = _BEFORE_ANSWER.get(ident) if ident is not None else None
    if before is None:
        before = f"[{_encode_json(part_content_text(score))},"
        if ident is not None:
            _BEFORE_ANSWER[ident] = before
    return f"{before}{answer}]"


def part_content_text(score: PartScore) -> str:
    """The compact JSON of [part, score, max, criteria, notes, flags] (see above)."""
    return _encode_json([score.part, str(score.score), str(score.max),
                         [[c.id, str(c.points), str(c.max), c.met, c.matched, c.feedback]
                          for c in score.criteria],
                         score.notes, score.flags])


def decode_outcome(text: str, sub: Submission) -> Outcome:
    """Read back :func:`encode_outcome`'s text, for `sub` (the same content, any source).

    Raises:
        ValueError: the text is not a complete entry of this format (e.g. a garbled line).
    """
    try:
        items = json.loads(text)
        if not isinstance(items, list) or not items:  # grading always yields something
            raise ValueError("no items")
        outcome: Outcome = []
        for item in items:
            if item[0] == "r":
                _, student, variant, parts = item
                outcome.append(StudentResult(student, variant, sub.source, tuple(
                    [_part_score_from(content, answer, student, sub.answers)
                     for content, answer in parts]),
                    part_variants=sub.part_variants))  # in the key: the same as when graded
            elif item[0] == "p":
                _, problem, student, part, fatal = item
                outcome.append(IngestProblem(sub.source, problem, student, part, fatal))
            else:
                raise ValueError(f"unknown item {item[0]!r}")
    except (KeyError, TypeError, IndexError, ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"unreadable cache entry: {exc!r}") from None
    return outcome


def _part_score_from(content: str, answer: str | None, student: str,
                     typed: Mapping) -> PartScore:
    part, score, top, criteria, notes, flags, ident = _CONTENTS[content]
    built = _part_score(student, part, score, top, criteria, notes, flags,
                        typed[part] if answer is None else answer)
    if ident is not None:  # the writers need it next: no need to hash the content again
        remember_content_id(built, ident)
    return built


class _Contents(BoundedDict):
    """A part's content text -> its fields as objects (and its content id), built once.

    Shared by every part score with that content (all immutable: tuples, Fractions, frozen
    criteria); cleared when full, as only a class's distinct outcomes are expected.
    """

    def __missing__(self, text: str) -> tuple:
        if type(text) is not str:
            raise TypeError("a part's content is not a string")
        part, score, top, criteria, notes, flags = json.loads(text)
        fraction = _FRACTIONS
        fields = (part, fraction[score], fraction[top],
                  tuple([_criterion(i, fraction[p], fraction[m], met, tuple(matched), fb)
                         for i, p, m, met, matched, fb in criteria]),
                  tuple(notes), tuple(flags))
        ident = content_id(_part_score("", *fields, ""))
        value = self[text] = (*fields, ident)
        return value


_CONTENTS = _Contents(4_096)  # ~5 MB at most


class _Fractions(BoundedDict):
    """Text -> Fraction, parsed once: a class has few distinct points (Fraction("1/2") costs
    ~1.2 us)."""

    def __missing__(self, text: str) -> Fraction:
        value = self[text] = Fraction(text)
        return value


_FRACTIONS = _Fractions(10_000)  # only a corrupted log could have more distinct values

# The two constructors below fill a new instance's __dict__ at once, as unpickling does, where
# a frozen dataclass's __init__ calls object.__setattr__ once per field: ~0.25 instead of
# ~0.6 us. They must name every field of their class (tests/test_cache.py checks it against
# the dataclasses).
_new = object.__new__


def _criterion(ident: str, points: Fraction, top: Fraction, met: bool,
               matched: tuple[str, ...], feedback: str) -> CriterionResult:
    obj = _new(CriterionResult)
    obj.__dict__.update(id=ident, points=points, max=top, met=met, matched=matched,
                        feedback=feedback)
    return obj


def _part_score(student: str, part: str, score: Fraction, top: Fraction,
                criteria: tuple[CriterionResult, ...], notes: tuple[str, ...],
                flags: tuple[str, ...], answer: str) -> PartScore:
    obj = _new(PartScore)
    obj.__dict__.update(student=student, part=part, score=score, max=top, criteria=criteria,
                        notes=notes, flags=flags, answer=answer)
    return obj


# ---------------------------------------------------------------------------------- the log

class ResultCache:
    """The append-only log of entries; a missing, torn or garbled entry is a miss.

    Use as a context manager (or call :meth:`open` and :meth:`close`). `enabled=False`
    (`--fresh`) starts a new, empty log: nothing is read, every result is written again.
    Writing is best effort and never fsynced: a cache that cannot be written, or an entry lost
    in a power cut, only costs a regrade.
    """

    def __init__(self, path: Path, enabled: bool = True) -> None:
        self.path = path
        self.enabled = enabled
        self._index: dict[str, tuple[int, int]] = {}  # key -> (offset, length) of its JSON
        self._lines = 0  # complete lines in the log, including unused ones (dups, garbage)
        self._size = 0  # bytes of complete lines: where the next one goes
        self._fd: int | None = None

    def __enter__(self) -> ResultCache:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> None:
        """Index the log (cutting off a torn last line) and open it for appending."""
        self.close()
        self._index, self._lines, self._size = {}, 0, 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.enabled:
                self._read_index()
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
            if os.fstat(self._fd).st_size != self._size:  # torn tail, or --fresh
                os.ftruncate(self._fd, self._size)
        except OSError:
            self.close()  # no cache this run: every submission is graded

    def _read_index(self) -> None:
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return
        with handle:
            for line in handle:
                if not line.endswith(b"\n"):
                    break  # torn by an interruption: cut off by open()
                tab = line.find(b"\t")
                if tab > 0:
                    key = line[:tab].decode("ascii", "replace")
                    self._index[key] = (self._size + tab + 1, len(line) - tab - 2)  # last wins
                self._lines += 1
                self._size += len(line)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def get(self, key: str) -> str | None:
        """The cached entry text for `key` (see :func:`decode_outcome`), or None."""
        where = self._index.get(key)
        if where is None or self._fd is None:
            return None
        offset, length = where
        try:
            return os.pread(self._fd, length, offset).decode("utf-8", "surrogatepass")
        except (OSError, UnicodeDecodeError):
            return None

    def put(self, key: str, text: str) -> None:
        """Append the entry text for `key` (one write: complete unless interrupted)."""
        if self._fd is None:
            return
        line = f"{key}\t{text}\n".encode("utf-8", "surrogatepass")
        try:
            written = os.write(self._fd, line)
        except OSError:
            written = -1
        if written != len(line):  # a full disk: stop; the torn line is cut off next time
            self.close()
            return
        self._index[key] = (self._size + len(key) + 1, len(line) - len(key) - 2)
        self._lines += 1
        self._size += len(line)

    def compact(self, keep: Iterable[str]) -> int:
        """Keep only the entries of `keep` (the keys of a complete run); the number dropped.

        The log is rewritten to a temporary file and renamed over, only when it holds anything
        else (stale keys, superseded or garbled lines). Closes the log.
        """
        self.close()
        shutil.rmtree(self.path.parent / OLD_RESULTS_DIR, ignore_errors=True)
        wanted = set(keep)
        if self._lines == len(self._index) and self._index.keys() <= wanted:
            return 0
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        kept = 0
        try:
            with self.path.open("rb") as source, tmp.open("wb") as target:
                offset = 0
                for line in source:
                    tab = line.find(b"\t")
                    key = line[:tab].decode("ascii", "replace")
                    if (line.endswith(b"\n") and key in wanted
                            and self._index.get(key, (-1,))[0] == offset + tab + 1):
                        target.write(line)
                        kept += 1
                    offset += len(line)
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)
            return 0
        return self._lines - kept
