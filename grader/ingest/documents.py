"""Read one YAML or JSON submission file's text into a Submission (or the problems found).

YAML is loaded with every scalar kept as the string the student typed (_StringLoader), a
duplicate key is an error in both formats, nesting is bounded before libyaml can crash the
process on it, and JSON's lone surrogate escapes are replaced so outputs can be written as
UTF-8. The mapping found is checked by grader.ingest.mapping.submission_from_mapping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import yaml

from grader.ingest.mapping import (
    MAX_NESTING,
    SURROGATE,
    IngestProblem,
    clean_id,
    submission_from_mapping,
)
from grader.model import Submission


class _StringLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: ~10x faster
    """SafeLoader that keeps every scalar as the string the student typed.

    YAML 1.1 would read `no` as False, `0,5` as 5 and `1e3` as a string but `1.0e+3` as a float;
    student answers must reach the answer parser exactly as written. Only null (blank) survives.
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> dict:
        """A mapping; a key given twice is an error (YAML would keep the last silently)."""
        mapping = super().construct_mapping(node, deep=deep)
        if len(mapping) != len(node.value):  # a duplicate key: rare, so found only now
            seen: set = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key '{key}' is given twice (which one counts?)",
                        key_node.start_mark)
                seen.add(key)
        return mapping


_StringLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_document(text: str, source: str, suffix: str) -> Iterator[Submission | IngestProblem]:
    """Yield the submission in one YAML/JSON file's text (`suffix`: .yaml, .yml or .json), or
    the problems found."""
    kind = suffix[1:].upper()
    try:
        if suffix == ".json":
            data = json.loads(text, object_pairs_hook=_unique_keys)
        else:
            depth = _yaml_depth(text)
            if depth > MAX_NESTING:
                yield IngestProblem(source, f"not valid YAML: nested more than {MAX_NESTING} "
                                    "levels deep (a submission needs 4)")
                return
            data = yaml.load(text, Loader=_StringLoader)
    except yaml.MarkedYAMLError as exc:
        where = exc.problem_mark or exc.context_mark
        line = f" (line {where.line + 1})" if where is not None else ""
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        yield IngestProblem(source, f"not valid YAML{line}: "
                            f"{exc.problem or exc.context or type(exc).__name__}{context}")
        return
    except RecursionError:
        yield IngestProblem(source, f"not valid {kind}: nested too deeply")
        return
    except (yaml.YAMLError, ValueError) as exc:  # JSONDecodeError, a duplicate key, a huge int
        yield IngestProblem(source, f"not valid {kind}: {_first_line(exc)}")
        return
    replaced = False
    if suffix == ".json" and _SURROGATE_ESCAPE.search(text):
        try:
            data, replaced = _replace_surrogates(data)
        except RecursionError:
            yield IngestProblem(source, f"not valid {kind}: nested too deeply")
            return
    if replaced:
        student = data.get("student") if isinstance(data, dict) else None
        yield IngestProblem(source, "lone surrogate escapes (\\ud800...) are not characters: "
                            "replaced with \ufffd", fatal=False,
                            student=clean_id(student)[0] if isinstance(student, str) else "")
    yield from submission_from_mapping(data, source)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key '{key}' is given twice (which one counts?)")
            seen.add(key)
    return mapping


def _yaml_depth(text: str) -> int:
    """How deep the YAML text nests collections, without building them (bounded work).

    Every collection needs one of the characters ``[{-?:`` of its own, so a text with few of
    them cannot nest deeply and is not parsed twice (real submissions: ~70 of them).
    """
    if sum(map(text.count, "[{-?:")) <= MAX_NESTING:
        return 0
    depth = deepest = 0
    try:
        for event in yaml.parse(text, Loader=_StringLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_NESTING:
                    return depth
                deepest = max(deepest, depth)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return deepest  # the full load reports the error with its line
    return deepest


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _replace_surrogates(data: Any) -> tuple[Any, bool]:
    """The JSON data with every lone surrogate replaced by U+FFFD (they cannot be written as
    UTF-8, so one would stop the batch when its outputs are written), and whether any was."""
    if isinstance(data, str):
        fixed = SURROGATE.sub("\ufffd", data)
        return fixed, fixed != data
    if isinstance(data, list):
        items = [_replace_surrogates(v) for v in data]
        return [v for v, _ in items], any(r for _, r in items)
    if isinstance(data, dict):
        out, replaced = {}, False
        for key, value in data.items():
            key2, r1 = _replace_surrogates(key)
            value2, r2 = _replace_surrogates(value)
            out[key2] = value2
            replaced = replaced or r1 or r2
        return out, replaced
    return data, False
