"""Rubric YAML (DESIGN 3.4) -> validated frozen dataclasses, patterns compiled once.

Validation is strict: unknown keys, wrong types, duplicate criterion ids, negative points,
malformed patterns, ``best`` beyond the number of criteria and criteria that can never reach
the part's points are all AuthoringErrors naming the file and the part. (Unreachable points
are an error, not a warning: such a rubric silently caps every student below full marks.)
Criteria that can give *more* than the part's points are fine: the score is capped, which is
how "any two of these three" rubrics are written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from grader.errors import AuthoringError
from grader.model import ORIGINAL_SIBLING, PART_KINDS
from grader.rubric.matcher import Matcher
from grader.rubric.mistakes import MISTAKE_KEYS, Mistake, parse_mistake
from grader.rubric.patterns import (
    Node,
    Pattern,
    PatternError,
    compile_pattern,
    compile_synonyms,
    describing_pattern,
)


@dataclass(frozen=True)
class Criterion:
    """One keyword concept of a text part: met when an `any` pattern matches, no `deny` does."""

    id: str
    points: Fraction
    any: tuple[Pattern, ...]
    deny: tuple[Pattern, ...] = ()
    # More than a mention: an `any` match counts only in a sentence where a `require`
    # pattern (the describing phrase) also matches.
    require: tuple[Pattern, ...] = ()
    group: str | None = None
    negation: str = "deny"  # "allow": matches after a negation count too
    feedback: str = ""
    # More than a mention, without writing the describing phrase: the match counts only in a
    # sentence that also holds a describing word (lexicon.describing_words) of its own.
    explain: bool = False


@dataclass(frozen=True)
class PartRubric:
    part: str
    kind: str
    points: Fraction
    exact: bool = False
    rtol: Fraction | None = None
    atol: Fraction | None = None
    # significant figures / decimal places the answer must agree to (compare_number)
    sig_figs: int | None = None
    decimals: int | None = None
    per_item: Fraction | None = None  # points per arrow (YAML per_arrow) or value (per_value)
    follow_through: bool = False
    follow_through_credit: Fraction = Fraction(1)  # fraction of the arrow's points
    model_answer: str = ""
    criteria: tuple[Criterion, ...] = ()
    best: int | None = None
    count_points: Mapping[int, Fraction] | None = None
    mistakes: tuple[Mistake, ...] = ()
    allow_percent: bool = False
    symbols: tuple[str, ...] = ()  # expression parts: the names a student may use
    # Pooled text parts (grader.pools): sibling id -> its own rubric (same kind and points).
    siblings: Mapping[str, PartRubric] = field(default_factory=dict)
    matcher: Matcher | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Rubric:
    version: int
    synonyms: Mapping[str, tuple[str, ...]]
    parts: Mapping[str, PartRubric]
    source: str = ""


_COMMON = {"kind", "points", "model_answer"}
_DIGITS = {"sig_figs", "decimals"}  # tolerances as digits (number, arrows, values parts)
_KEYS = {
    "number": _COMMON | _DIGITS | {"exact", "rtol", "atol", "mistakes", "allow_percent"},
    "expression": _COMMON | {"symbols", "mistakes"},
    "arrows": _COMMON | _DIGITS | {"per_arrow", "rtol", "atol", "follow_through",
                                   "follow_through_credit", "mistakes"},
    "values": _COMMON | _DIGITS | {"per_value", "rtol", "atol", "exact", "mistakes"},
    "text": _COMMON | {"criteria", "best", "count_points", "siblings"},
    "choice": _COMMON,
}
_PER_ITEM = {"arrows": "per_arrow", "values": "per_value"}  # YAML key of the points per item
_CRITERION_KEYS = {"id", "points", "any", "deny", "require", "group", "negation", "feedback",
                   "explain"}
_SIBLING_KEYS = {"model_answer", "criteria", "best", "count_points"}


@dataclass(frozen=True)
class _Ctx:
    """Where we are, for error messages."""

    file: str
    part: str | None = None

    def error(self, message: str) -> AuthoringError:
        return AuthoringError(message, file=self.file, part=self.part)


def load_rubric(path: str | Path) -> Rubric:
    """Read and validate a rubric YAML file (raises AuthoringError)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthoringError(f"cannot read rubric: {exc}", file=source) from exc
    except yaml.YAMLError as exc:
        raise AuthoringError(f"rubric is not valid YAML: {exc}", file=source) from exc
    return rubric_from_mapping(data, source)


def rubric_from_mapping(data: Any, source: str = "<rubric>") -> Rubric:
    """Validate a parsed rubric mapping and compile its patterns."""
    ctx = _Ctx(source)
    data = _mapping(data, "the rubric", ctx)
    _no_unknown(data, {"version", "synonyms", "parts"}, "the rubric", ctx)
    if data.get("version") != 1:
        raise ctx.error(f"unsupported rubric version {data.get('version')!r} (expected 1)")
    synonyms = _synonyms(data.get("synonyms", {}), _Ctx(source, "synonyms"))
    try:
        compiled = compile_synonyms(synonyms)
    except PatternError as exc:
        raise _Ctx(source, "synonyms").error(str(exc)) from exc
    parts: dict[str, PartRubric] = {}
    for part_id, body in _mapping(data.get("parts"), "parts", ctx).items():
        pctx = _Ctx(source, str(part_id))
        parts[str(part_id)] = _part(str(part_id), body, compiled, pctx)
    return Rubric(1, synonyms, parts, source)


def _synonyms(data: Any, ctx: _Ctx) -> dict[str, tuple[str, ...]]:
    out = {}
    for key, values in _mapping(data, "synonyms", ctx).items():
        if not isinstance(key, str) or not isinstance(values, list) or not all(
            isinstance(v, str) and v.strip() for v in values
        ):
            raise ctx.error(f"synonym {key!r} must map a word to a list of words or phrases")
        out[key] = tuple(values)
    return out


def _part(part_id: str, data: Any, synonyms: Mapping[str, tuple[Node, ...]], ctx) -> PartRubric:
    data = _mapping(data, "a part rubric", ctx)
    kind = data.get("kind")
    if kind not in PART_KINDS:
        raise ctx.error(f"kind must be one of {', '.join(PART_KINDS)}, not {kind!r}")
    _no_unknown(data, _KEYS[kind], f"a {kind} part", ctx)
    points = _points(data.get("points"), "points", ctx)
    fields: dict[str, Any] = {
        "exact": _bool(data, "exact", ctx),
        "rtol": _opt_points(data, "rtol", ctx),
        "atol": _opt_points(data, "atol", ctx),
        "sig_figs": _opt_int(data, "sig_figs", 1, ctx),
        "decimals": _opt_int(data, "decimals", 0, ctx),
        "per_item": _opt_points(data, _PER_ITEM.get(kind, "per_arrow"), ctx),
        "follow_through": _bool(data, "follow_through", ctx),
        "follow_through_credit": _opt_points(data, "follow_through_credit", ctx),
        "model_answer": _str(data, "model_answer", ctx),
        "allow_percent": _bool(data, "allow_percent", ctx),
        "symbols": tuple(_str_list(data.get("symbols", []), "symbols", ctx)),
        "mistakes": _mistakes(data, kind, points, ctx),
    }
    if fields["follow_through_credit"] is None:
        fields["follow_through_credit"] = Fraction(1)
    if fields["follow_through_credit"] > 1:
        raise ctx.error("follow_through_credit is a fraction of an arrow's points (at most 1)")
    if kind in _PER_ITEM and fields["per_item"] is None:
        raise ctx.error(f"an {kind} part needs {_PER_ITEM[kind]} (points per item)")
    if kind == "text":
        fields.update(_text_fields(data, points, synonyms, ctx))
    return PartRubric(part_id, kind, points, **fields)


def _text_fields(data, points: Fraction, synonyms, ctx: _Ctx) -> dict[str, Any]:
    raw = _list(data, "criteria", ctx)
    if not raw:
        raise ctx.error("a text part needs at least one criterion")
    criteria = tuple(_criterion(c, synonyms, ctx) for c in raw)
    ids = [c.id for c in criteria]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ctx.error(f"duplicate criterion id {', '.join(dupes)}")
    best = data.get("best")
    if best is not None and (not _is_int(best) or not 1 <= best <= len(criteria)):
        raise ctx.error(f"best must be a whole number from 1 to {len(criteria)}, not {best!r}")
    count_points = _count_points(data.get("count_points"), points, len(criteria), ctx)
    reachable = _reachable(criteria, best, count_points)
    if reachable < points:
        raise ctx.error(f"the criteria can give at most {reachable} of the part's {points} points")
    return {"criteria": criteria, "best": best, "count_points": count_points,
            "matcher": Matcher(criteria_patterns(criteria)),
            "siblings": _siblings(data.get("siblings"), points, synonyms, ctx)}


def _siblings(data: Any, points: Fraction, synonyms, ctx: _Ctx) -> dict[str, PartRubric]:
    """``siblings: {id: {model_answer, criteria, best, count_points}}`` of a pooled part."""
    out: dict[str, PartRubric] = {}
    for sid, body in _mapping(data or {}, "siblings", ctx).items():
        if not isinstance(sid, str) or sid == ORIGINAL_SIBLING:
            raise ctx.error(f"sibling {sid!r}: the original's rubric is the part's own fields")
        sctx = _Ctx(ctx.file, f"{ctx.part} (sibling {sid})")
        body = _mapping(body, f"sibling {sid}", sctx)
        _no_unknown(body, _SIBLING_KEYS, f"sibling {sid}", sctx)
        if not _str(body, "model_answer", sctx):
            raise sctx.error("a sibling needs a model_answer (grader check grades it)")
        fields = _text_fields(body, points, synonyms, sctx)
        out[sid] = PartRubric(ctx.part, "text", points, model_answer=_str(body, "model_answer",
                                                                          sctx), **fields)
    return out


def sibling_rubric(pr: PartRubric, params: Mapping[str, Any]) -> PartRubric:
    """The rubric for the sibling a variant part asks (its params' ``rubric`` or ``sibling``;
    none, or ``original``: the part's own).

    Raises:
        AuthoringError: the variant asks a sibling this rubric does not have.
    """
    key = (params.get("rubric") or params.get("sibling")) if params else None
    if key is None or key == ORIGINAL_SIBLING:
        return pr
    found = pr.siblings.get(key)
    if found is None:
        known = ", ".join([ORIGINAL_SIBLING, *pr.siblings])
        raise AuthoringError(f"the variant asks sibling {key!r}, which the rubric does not "
                             f"have (it has: {known})", part=pr.part)
    return found


def criteria_patterns(criteria) -> list[Pattern]:
    """Every pattern the criteria search for (the describing words too when one asks)."""
    patterns = [p for c in criteria for p in (*c.any, *c.deny, *c.require)]
    if any(c.explain for c in criteria):
        patterns.append(describing_pattern())
    return patterns


def _reachable(criteria, best: int | None, count_points) -> Fraction:
    """The most the criteria can give (groups count once, best N, or the count table)."""
    per_group: dict[str, Fraction] = {}
    for c in criteria:
        key = c.group if c.group is not None else f"\0{c.id}"
        per_group[key] = max(per_group.get(key, Fraction(0)), c.points)
    if count_points is not None:
        n = min(len(per_group), best or len(per_group))
        return max((v for k, v in count_points.items() if k <= n), default=Fraction(0))
    values = sorted(per_group.values(), reverse=True)
    return sum(values[:best] if best else values, Fraction(0))


def _criterion(data: Any, synonyms, ctx: _Ctx) -> Criterion:
    data = _mapping(data, "a criterion", ctx)
    cid = data.get("id")
    if isinstance(cid, bool):  # YAML 1.1 reads a bare no/yes/on/off as a boolean
        raise ctx.error(f"criterion id {cid!r} is a YAML boolean: quote it (id: 'no')")
    if not isinstance(cid, str) or not cid:
        raise ctx.error(f"every criterion needs an id (a string), got {cid!r}")
    cctx = f"criterion {cid}"
    _no_unknown(data, _CRITERION_KEYS, cctx, ctx)
    negation = data.get("negation", "deny")
    if negation not in ("deny", "allow"):
        raise ctx.error(f"{cctx}: negation must be 'deny' or 'allow', not {negation!r}")
    group = data.get("group")
    if group is not None and not isinstance(group, str):
        raise ctx.error(f"{cctx}: group must be a string")

    def patterns(key: str) -> tuple[Pattern, ...]:
        out = []
        for source in _str_list(data.get(key, []), f"{cctx}: {key}", ctx):
            try:
                out.append(compile_pattern(source, synonyms))
            except PatternError as exc:
                raise ctx.error(f"{cctx}: {exc}") from exc
        return tuple(out)

    any_ = patterns("any")
    if not any_:
        raise ctx.error(f"{cctx}: 'any' needs at least one pattern")
    return Criterion(cid, _points(data.get("points"), f"{cctx}: points", ctx), any_,
                     patterns("deny"), patterns("require"), group, negation,
                     _str(data, "feedback", ctx), _bool(data, "explain", ctx))


def _mistakes(data: Mapping, kind: str, points: Fraction, ctx: _Ctx) -> tuple[Mistake, ...]:
    """Common-mistake rules (grader.rubric.mistakes); per item for arrows and values parts."""
    limit = _opt_points(data, _PER_ITEM[kind], ctx) if kind in _PER_ITEM else points
    out = []
    for raw in _list(data, "mistakes", ctx):
        raw = _mapping(raw, "a mistake rule", ctx)
        mid = raw.get("id")
        if not isinstance(mid, str) or not mid:
            raise ctx.error(f"every mistake rule needs an id (a string), got {mid!r}")
        _no_unknown(raw, MISTAKE_KEYS, f"mistake {mid}", ctx)
        out.append(parse_mistake(raw, kind, limit if limit is not None else points,
                                 lambda value, what: _points(value, what, ctx), ctx.error))
    return tuple(out)


def _count_points(data: Any, points: Fraction, n: int, ctx: _Ctx):
    if data is None:
        return None
    table = {}
    for k, v in _mapping(data, "count_points", ctx).items():
        if not _is_int(k) or not 1 <= k <= n:
            raise ctx.error(f"count_points: {k!r} is not a number of criteria from 1 to {n}")
        table[k] = _points(v, f"count_points {k}", ctx)
        if table[k] > points:
            raise ctx.error(f"count_points {k}: gives {table[k]}, more than the part's {points}")
    if not table:
        raise ctx.error("count_points is empty")
    return dict(sorted(table.items()))


# ---------------------------------------------------------------- small readers


def _points(value: Any, what: str, ctx: _Ctx) -> Fraction:
    """1, 0.5 or "1/2" -> Fraction; negatives, booleans and junk are errors."""
    try:
        if isinstance(value, bool):
            raise TypeError
        if isinstance(value, float):
            value = str(value)  # 0.1 means one tenth, not its binary neighbour
        result = Fraction(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, ZeroDivisionError):
        raise ctx.error(f"{what} must be a number such as 1, 0.5 or '1/2', not {value!r}") from None
    if result < 0:
        raise ctx.error(f"{what} must not be negative ({value!r})")
    return result


def _opt_points(data: Mapping, key: str, ctx: _Ctx) -> Fraction | None:
    return None if data.get(key) is None else _points(data[key], key, ctx)


def _opt_int(data: Mapping, key: str, least: int, ctx: _Ctx) -> int | None:
    """A whole-number option such as ``sig_figs: 3`` (at least ``least``), or None."""
    value = data.get(key)
    if value is None:
        return None
    if not _is_int(value) or value < least:
        what = "a positive whole number" if least == 1 else f"a whole number >= {least}"
        raise ctx.error(f"{key} must be {what} (e.g. {key}: {max(least, 3)}), not {value!r}")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bool(data: Mapping, key: str, ctx: _Ctx) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise ctx.error(f"{key} must be true or false, not {value!r}")
    return value


def _str(data: Mapping, key: str, ctx: _Ctx) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise ctx.error(f"{key} must be text, not {value!r}")
    return value.strip()


def _list(data: Mapping, key: str, ctx: _Ctx) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ctx.error(f"{key} must be a list")
    return value


def _str_list(value: Any, what: str, ctx: _Ctx) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ctx.error(f"{what} must be a list of strings")
    return value


def _mapping(value: Any, what: str, ctx: _Ctx) -> Mapping:
    if not isinstance(value, Mapping):
        raise ctx.error(f"{what} must be a mapping, not {type(value).__name__}")
    return value


def _no_unknown(data: Mapping, allowed: set[str], what: str, ctx: _Ctx) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise ctx.error(f"unknown key {', '.join(unknown)} in {what} "
                        f"(allowed: {', '.join(sorted(allowed))})")
