"""Write every variant's student paper and answer key (Markdown, HTML, LaTeX, PDF), atomically."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from grader.atomic import write_bytes_atomic, write_text_atomic
from grader.errors import InputError
from grader.model import Exam, Variant
from grader.paper.html import key_html, student_html
from grader.paper.latex import PaperSpec, key_latex, latex_document, student_latex
from grader.paper.markdown import key_markdown, student_markdown

FORMATS = ("md", "html", "tex", "pdf")
DEFAULT_FORMATS = ("md", "html")  # need nothing installed; `--format all` adds tex and pdf

Render = Callable[..., str]  # (exam, variant); a key's also takes the tolerances
_TEXT: Mapping[str, tuple[Render, Render]] = {
    "md": (student_markdown, key_markdown),
    "html": (student_html, key_html),
    "tex": (student_latex, key_latex),
}


def parse_formats(text: str) -> tuple[str, ...]:
    """``"pdf,html"`` -> ``("html", "pdf")`` (in :data:`FORMATS` order); ``"all"``: every one.

    A PDF always comes with its LaTeX source, so ``pdf`` implies ``tex``.

    >>> parse_formats("pdf, md")
    ('md', 'tex', 'pdf')

    Raises:
        InputError: an unknown format.
    """
    asked = {f.strip().lower() for f in text.split(",") if f.strip()}
    if "all" in asked:
        asked = set(FORMATS)
    unknown = sorted(asked - set(FORMATS))
    if unknown or not asked:
        raise InputError(f"unknown format {', '.join(unknown) or '(none)'}: choose from "
                         f"{', '.join(FORMATS)} or all")
    if "pdf" in asked:
        asked.add("tex")
    return tuple(f for f in FORMATS if f in asked)


def write_papers(out_dir: str | Path, exam: Exam, variants: Iterable[Variant],
                 formats: Sequence[str] = DEFAULT_FORMATS,
                 tolerances: Mapping[str, str] | None = None) -> list[Path]:
    """Write ``paper-<variant>.<ext>`` and ``key-<variant>.<ext>`` for every variant.

    Variant ids are ``original`` or Crockford base32 codes, so they are safe in file names.
    PDFs are built from one LaTeX document for all papers and one for all keys.
    ``tolerances`` (part id -> how exact an answer must be, from
    grader.rubric.tolerances.tolerance_texts) is shown on the keys only.

    Returns:
        The files written, in order: per variant paper then key, per format; then the PDFs.
    """
    out = Path(out_dir)
    variants = list(variants)
    written = []
    for variant in variants:
        for kind, index in (("paper", 0), ("key", 1)):
            for fmt in (f for f in formats if f in _TEXT):
                render = _TEXT[fmt][index]
                text = render(exam, variant, tolerances) if index else render(exam, variant)
                written.append(write_text_atomic(out / f"{kind}-{variant.variant_id}.{fmt}",
                                                 text))
    if "pdf" in formats and variants:
        written += _write_variant_pdfs(out, exam, variants, tolerances)
    return written


CHUNK = 20  # papers per LaTeX document: the chunks compile in parallel, one per CPU


def _jobs(exam: Exam, specs: Sequence[PaperSpec], name: str, key: bool = False,
          duplex: bool = False,
          tolerances: Mapping[str, str] | None = None) -> dict[str, tuple[str, int]]:
    """The LaTeX documents (``<name>-<n>``) that typeset ``specs`` in chunks of CHUNK."""
    return {f"{name}-{n // CHUNK}": (latex_document(exam, specs[n:n + CHUNK], key, duplex,
                                                    tolerances),
                                     len(specs[n:n + CHUNK]))
            for n in range(0, len(specs), CHUNK)}


def _split(built: Mapping[str, Any], name: str, titles: Sequence[str]) -> list[bytes]:
    """Per-paper PDFs of the chunks ``<name>-0``, ``<name>-1``, ... in order."""
    from grader.paper.pdf import split_pdf

    out: list[bytes] = []
    for n in range(0, len(titles), CHUNK):
        out += split_pdf(built[f"{name}-{n // CHUNK}"], titles[n:n + CHUNK])
    return out


def _title(exam: Exam, variant_id: str, key: bool = False) -> str:
    return (f"{exam.course}: {exam.title}" + (" (answer key)" if key else "")
            + f", variant {variant_id}")


def _write_variant_pdfs(out: Path, exam: Exam, variants: Sequence[Variant],
                        tolerances: Mapping[str, str] | None) -> list[Path]:
    from grader.paper.pdf import build_pdfs

    specs = [PaperSpec(v) for v in variants]
    built = build_pdfs({**_jobs(exam, specs, "papers"),
                        **_jobs(exam, specs, "keys", key=True, tolerances=tolerances)}, out)
    written = []
    for kind, name in (("paper", "papers"), ("key", "keys")):
        titles = [_title(exam, v.variant_id, kind == "key") for v in variants]
        for variant, data in zip(variants, _split(built, name, titles), strict=True):
            written.append(write_bytes_atomic(out / f"{kind}-{variant.variant_id}.pdf", data))
    return written


STUDENT_DIR = "students"
COMBINED = "students"  # students.pdf / students.tex: every student's paper, for printing


def write_student_papers(out_dir: str | Path, exam: Exam, variants: Mapping[str, Variant],
                         students: Iterable[tuple[str, str, str]],
                         formats: Sequence[str] = DEFAULT_FORMATS) -> list[Path]:
    """Write ``students/<stem>.<ext>``: each student's paper, their id and variant on the cover.

    With pdf: also ``students.tex`` and ``students.pdf``, every paper in roster order in one
    document for printing (each padded to an even page count, for two-sided printing).

    Args:
        out_dir: the output folder.
        exam: the exam.
        variants: variant id -> Variant.
        students: (file stem, student id, variant id) per student; the caller makes the stems
            safe file names (distinct, also on case-insensitive file systems).
        formats: md, html (one file each per student) and pdf.

    Returns:
        The files written, in order.
    """
    out = Path(out_dir)
    students = list(students)
    written = []
    for stem, student, variant_id in students:
        variant = variants[variant_id]
        if "md" in formats:
            written.append(write_text_atomic(out / STUDENT_DIR / f"{stem}.md",
                                             student_markdown(exam, variant, student)))
        if "html" in formats:
            written.append(write_text_atomic(out / STUDENT_DIR / f"{stem}.html",
                                             student_html(exam, variant, student)))
    if "pdf" in formats and students:
        written += _write_student_pdfs(out, exam, variants, students)
    return written


def _write_student_pdfs(out: Path, exam: Exam, variants: Mapping[str, Variant],
                        students: Sequence[tuple[str, str, str]]) -> list[Path]:
    from grader.paper.pdf import build_pdfs, merge_pdfs

    specs = [PaperSpec(variants[v], student) for _, student, v in students]
    jobs = _jobs(exam, specs, COMBINED, duplex=True)
    built = build_pdfs(jobs, out)
    combined = merge_pdfs([built[name].pdf for name in jobs], f"{exam.course}: {exam.title}")
    written = [write_text_atomic(out / f"{COMBINED}.tex",
                                 latex_document(exam, specs, duplex=True)),
               write_bytes_atomic(out / f"{COMBINED}.pdf", combined)]
    titles = [_title(exam, v) for _, _, v in students]
    for (stem, _, _), data in zip(students, _split(built, COMBINED, titles), strict=True):
        written.append(write_bytes_atomic(out / STUDENT_DIR / f"{stem}.pdf", data))
    return written
