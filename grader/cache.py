"""Per-submission results cache (OUT/.partial/): an interrupted or repeated batch resumes.

A cache entry holds what grading one submission produced, *before* the teacher's overrides,
keyed by a hash of the submission's content and of everything the score depends on: the
rubric file, the frozen key (or the bank's fingerprint), and the source of the grading code.
Change any of them and the entry is simply not found; nothing stale is ever reused.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import fields, replace
from fractions import Fraction
from pathlib import Path

from grader.grading import StudentResult
from grader.ingest.submissions import IngestProblem
from grader.model import CriterionResult, PartScore, Submission

CACHE_DIR = ".partial"
FORMAT = "examgrader-cache-1"
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


def submission_key(sub: Submission, context: str) -> str:
    """The cache key of one submission graded under `context` (a fingerprint).

    Every field but `source` counts (a moved CSV row or renamed file is still a hit; the
    cached outcome then gets the new source, see :func:`with_source`).
    """
    content = {f.name: getattr(sub, f.name) for f in fields(sub) if f.name != "source"}
    return fingerprint(context, json.dumps(content, sort_keys=True, ensure_ascii=False))


def with_source(outcome: Outcome, source: str) -> Outcome:
    """A cached outcome with the submission's current source (file and row)."""
    return [replace(item, source=source) for item in outcome]


def _frac(value: Fraction) -> str:
    return str(value)


def _score_json(score: PartScore) -> dict:
    return {"part": score.part, "score": _frac(score.score), "max": _frac(score.max),
            "criteria": [[c.id, _frac(c.points), _frac(c.max), c.met, list(c.matched),
                          c.feedback] for c in score.criteria],
            "notes": list(score.notes), "flags": list(score.flags), "answer": score.answer}


def _score_from(data: dict, student: str) -> PartScore:
    criteria = tuple(CriterionResult(i, Fraction(p), Fraction(m), bool(met), tuple(matched), fb)
                     for i, p, m, met, matched, fb in data["criteria"])
    return PartScore(student, data["part"], Fraction(data["score"]), Fraction(data["max"]),
                     criteria, tuple(data["notes"]), tuple(data["flags"]), data["answer"])


def outcome_json(outcome: Sequence[StudentResult | IngestProblem]) -> str:
    """An outcome (results and problems of one submission) as JSON text."""
    items = []
    for item in outcome:
        if isinstance(item, StudentResult):
            items.append({"result": [item.student, item.variant, item.source,
                                     [_score_json(s) for s in item.scores]]})
        else:
            items.append({"problem": [item.source, item.problem, item.student, item.part,
                                      item.fatal]})
    return json.dumps({"format": FORMAT, "items": items}, ensure_ascii=False)


def outcome_from_json(text: str) -> Outcome:
    """Read back :func:`outcome_json`'s text.

    Raises:
        ValueError: the text is not a complete entry of this format (e.g. a torn write).
    """
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError("other cache format")
        outcome: Outcome = []
        for item in data["items"]:
            if "result" in item:
                student, variant, source, scores = item["result"]
                outcome.append(StudentResult(student, variant, source,
                                             tuple(_score_from(s, student) for s in scores)))
            else:
                outcome.append(IngestProblem(*item["problem"]))
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"unreadable cache entry: {exc}") from None
    return outcome


class ResultCache:
    """A folder of outcome files named by key; a missing or torn entry is a miss.

    Entries are written to a temporary file and renamed (no fsync: losing an entry in a power
    cut only costs a regrade of that submission).
    """

    def __init__(self, folder: Path, enabled: bool = True) -> None:
        self.folder = folder
        self.enabled = enabled

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> Outcome | None:
        """The cached outcome for `key`, or None."""
        if not self.enabled:
            return None
        try:
            return outcome_from_json(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return None

    def put(self, key: str, outcome: Sequence[StudentResult | IngestProblem]) -> None:
        """Store an outcome (best effort: a cache that cannot be written only costs time)."""
        path = self._path(key)
        tmp = path.with_name(f".{key}.{os.getpid()}.tmp")  # one writer per process and key
        text = outcome_json(outcome)
        try:
            try:
                tmp.write_text(text, encoding="utf-8")
            except FileNotFoundError:  # the first entry: make the folder
                self.folder.mkdir(parents=True, exist_ok=True)
                tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)

    def prune(self, keep: Iterable[str]) -> int:
        """Remove entries whose key is not in `keep` (stale rubric, key or code); their count."""
        wanted = set(keep)
        removed = 0
        for path in self.folder.glob("*.json"):
            if path.stem not in wanted:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
