"""Build PDFs from LaTeX with pdflatex (temp dir, timeout, no shell escape) and split them.

Many papers go into one LaTeX document and one pdflatex run (two passes, for "Page 2 of 6"):
starting TeX costs ~0.3 s, typesetting a page ~5 ms, so a batch of 300 papers takes seconds
where 300 separate runs would take minutes. The document records each paper's first and last
page (``<job>.pages``); pypdf (a maintained, pure-Python PDF library) cuts it into one PDF per
paper.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from grader.errors import AuthoringError, GraderError

INSTALL = ("apt-get install -y --no-install-recommends texlive-latex-base "
           "texlive-latex-recommended texlive-pictures lmodern")
TIMEOUT_S = 120.0  # per document, plus PER_PAPER_S for every paper in it
PER_PAPER_S = 1.0
_FLAGS = ("-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "-file-line-error")


class ToolMissing(GraderError):
    """A program PDF output needs is not installed; the message says what to install."""

    exit_code = 4


def pdflatex() -> str | None:
    """The pdflatex program, or None when TeX is not installed."""
    return shutil.which("pdflatex")


def require_pdflatex() -> str:
    """The pdflatex program.

    Raises:
        ToolMissing: TeX is not installed (the message gives the Debian install line).
    """
    found = pdflatex()
    if found is None:
        raise ToolMissing("PDF papers need pdflatex (TeX Live), which is not installed. "
                          f"On Debian/Ubuntu: sudo {INSTALL}; or leave pdf out of --format")
    return found


@dataclass(frozen=True)
class Built:
    """A compiled document: its PDF and each paper's (first, last) page, 1-based."""

    pdf: bytes
    pages: tuple[tuple[int, int], ...]


def _first_error(log: str) -> str:
    """The log's first error, as ``file:line: message`` (with -file-line-error) or ``! ...``."""
    for line in log.splitlines():
        if re.match(r"^(.*?):\d+: ", line) or line.startswith("! "):
            return line.strip()
    return "no error line in the log (see the .log file)"


def _page_marks(text: str, papers: int) -> tuple[tuple[int, int], ...]:
    marks: dict[int, dict[str, int]] = {}
    for kind, index, page in re.findall(r"^(start|end) (\d+) (\d+)$", text, flags=re.M):
        marks.setdefault(int(index), {})[kind] = int(page)
    return tuple((marks[i]["start"], marks[i]["end"]) for i in range(1, papers + 1))


def _jobs() -> int:
    """How many pdflatex processes run at once: one per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _fail(folder: Path, name: str, keep: Path, why: str) -> AuthoringError:
    """Keep the source and log next to the outputs and say where the first error is."""
    keep.mkdir(parents=True, exist_ok=True)
    log = folder / f"{name}.log"
    for path in (folder / f"{name}.tex", log):
        if path.is_file():
            shutil.copy(path, keep / path.name)
    text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
    return AuthoringError(f"pdflatex {why}: {_first_error(text)} (log: {keep / log.name})",
                          file=str(keep / f"{name}.tex"))


def _compile(program: str, folder: Path, name: str, papers: int, keep: Path) -> None:
    """Two pdflatex passes over one document (the first in draft mode: no PDF written)."""
    # paranoid file access: exam texts' math goes to TeX as written, so a \input{/etc/...}
    # in a bank must not read (or write) files outside the temporary folder
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1",
           "openin_any": "p", "openout_any": "p", "max_print_line": "1000"}  # unwrapped log
    limit = TIMEOUT_S + PER_PAPER_S * papers
    for flags in (("-draftmode",), ()):
        try:
            done = subprocess.run([program, *_FLAGS, *flags, f"{name}.tex"], cwd=folder, env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, timeout=limit, check=False)
        except subprocess.TimeoutExpired:  # subprocess.run has killed it
            raise _fail(folder, name, keep, f"timed out after {limit:g} s") from None
        if done.returncode != 0:
            raise _fail(folder, name, keep, "failed")


def build_pdfs(documents: Mapping[str, tuple[str, int]], keep: Path) -> dict[str, Built]:
    """Compile LaTeX documents, as many at once as there are CPUs, and return their PDFs.

    Args:
        documents: name -> (LaTeX source, number of papers in it).
        keep: where a failing document's .tex and .log are copied for the teacher to read.

    Raises:
        ToolMissing: no pdflatex. AuthoringError: TeX failed or timed out (file and first
        error line in the message).
    """
    program = require_pdflatex()
    with tempfile.TemporaryDirectory(prefix="grader-tex-") as tmp:
        folder = Path(tmp)
        for name, (source, _) in documents.items():
            (folder / f"{name}.tex").write_text(source, encoding="utf-8")
        with ThreadPoolExecutor(max_workers=_jobs()) as pool:
            futures = [pool.submit(_compile, program, folder, name, count, keep)
                       for name, (_, count) in documents.items()]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        return {name: Built((folder / f"{name}.pdf").read_bytes(),
                            _page_marks((folder / f"{name}.pages").read_text("utf-8"), count))
                for name, (_, count) in documents.items()}


def split_pdf(built: Built, titles: Sequence[str]) -> list[bytes]:
    """One PDF per paper of ``built``, each with its own title and no other metadata."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(built.pdf))
    out = []
    for (first, last), title in zip(built.pages, titles, strict=True):
        writer = PdfWriter()
        for number in range(first - 1, last):
            writer.add_page(reader.pages[number])
        writer.add_metadata({"/Title": title, "/Producer": "examgrader"})
        buffer = io.BytesIO()
        writer.write(buffer)
        out.append(buffer.getvalue())
    return out


def merge_pdfs(pdfs: Sequence[bytes], title: str) -> bytes:
    """One PDF of ``pdfs`` in order (the combined roster for printing)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for data in pdfs:
        writer.append(io.BytesIO(data))
    writer.add_metadata({"/Title": title, "/Producer": "examgrader"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
