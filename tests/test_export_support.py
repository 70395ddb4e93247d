"""Shared helpers for the LMS export tests: build exports once, validate, read the key back."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from fractions import Fraction
from functools import cache
from pathlib import Path

import lxml.html
import pytest

from grader import api, variants
from grader.answers.parse import expected_value
from grader.export.common import ExportQuestion, ExportSet, build_export
from grader.export.package import export_bytes

VALIDATOR = Path(__file__).resolve().parents[2] / "shared" / "tools" / "validate_lms.py"
HOSTILE = "If x < 0 & y > 1 then \"a\" 'b' {c} ~d #e =f :g \\h ]]> <b>not bold</b>"
HOSTILE_MATH = "$x < 0 \\& y > 1$"


@cache
def context(exam: str = "inf5860-2019") -> api.ExamContext:
    return api.load_context(exam)


@cache
def export_set(exam: str = "inf5860-2019", ids: tuple[str, ...] = ("original",)) -> ExportSet:
    ctx = context(exam)
    built = [variants.build_variant(ctx.exam, v, ctx.families) for v in ids]
    return build_export(ctx.exam, built, ctx.rubric)


@cache
def export_file(target: str, exam: str = "inf5860-2019",
                ids: tuple[str, ...] = ("original",)) -> bytes:
    return export_bytes(export_set(exam, ids), target)


def key_answer(part_id: str, exam: str = "inf5860-2019", variant: str = "original"):
    """The frozen exact answer of a part (a string or a mapping of strings)."""
    ctx = context(exam)
    return variants.build_variant(ctx.exam, variant, ctx.families).part(part_id).answer


def as_float(exact: str) -> float:
    return float(expected_value(exact))


def unzip(data: bytes, folder: Path) -> list[Path]:
    """Extract a package; returns the files written."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
        return [folder / name for name in archive.namelist()]


def validate(paths: list[Path]) -> str:
    """Run ../shared/tools/validate_lms.py on XML files; fail the test on any invalid file."""
    if not VALIDATOR.is_file():
        pytest.skip("../shared/tools/validate_lms.py is not available")
    xml = [str(p) for p in paths if p.suffix == ".xml"]
    done = subprocess.run([sys.executable, str(VALIDATOR), *xml], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and "INVALID" not in done.stdout, done.stdout + done.stderr
    assert done.stdout.count(": VALID") == len(xml), done.stdout
    return done.stdout


def html_text(fragment: str) -> str:
    """The text a browser shows for an HTML fragment."""
    return lxml.html.fragment_fromstring(fragment, create_parent="div").text_content()


def hostile_set() -> ExportSet:
    """One question of each style whose text, model answer and criteria are hostile."""
    base = export_set()
    picked = {}
    for question in base.questions:
        picked.setdefault(question.style, question)
    changed = []
    for question in picked.values():
        guide = question.guide
        if guide is not None:
            guide = type(guide)(HOSTILE, (("c1", Fraction(1), HOSTILE),), "", HOSTILE)
        changed.append(_replace(question, f"{HOSTILE}\n\n{HOSTILE_MATH}", guide))
    return ExportSet(base.exam_id, HOSTILE, base.ident,
                     tuple((q.category, (q,)) for q in changed))


def _replace(question: ExportQuestion, text_md: str, guide) -> ExportQuestion:
    from dataclasses import replace

    return replace(question, text_md=text_md, guide=guide)
