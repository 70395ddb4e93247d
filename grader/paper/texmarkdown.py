"""Markdown (CommonMark + tables + $math$) to LaTeX, through markdown-it's token stream.

The same parser as the HTML papers reads the exam texts (so both formats agree on what the
Markdown means); this module only writes the tokens as LaTeX. Math is passed through as
written: exam texts are LaTeX math already. Text is escaped, so nothing an exam text says
can become a TeX command.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from markdown_it.token import Token

from grader.paper.mathml import _parser

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
            "#": r"\#", "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%",
            "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
            "|": r"\textbar{}", "\u2212": r"\textminus{}", "\u2013": "--", "\u2014": "---",
            "\u00d7": r"\texttimes{}", "\u2192": r"\textrightarrow{}", "\u03b5": r"$\varepsilon$",
            "\u03b8": r"$\theta$", "\u2264": r"$\leq$", "\u2265": r"$\geq$", "\u2260": r"$\neq$",
            "\u2248": r"$\approx$", "\u00b7": r"\textperiodcentered{}"}


def escape_tex(text: str) -> str:
    r"""Plain text for LaTeX: special characters escaped; characters outside what pdflatex's
    T1 fonts print (Latin scripts and a few symbols) become ``[U+XXXX]`` rather than an error.

    >>> escape_tex("50% of {x} & y_1 – é")
    '50\\% of \\{x\\} \\& y\\_1 -- é'
    """
    out = []
    for ch in text:
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ord(ch) < 0x250 or ch in "\u2018\u2019\u201c\u201d\u2026":
            out.append(ch)
        else:
            out.append(f"[U+{ord(ch):04X}]")
    return "".join(out)


def _inline(children: Sequence[Token]) -> str:
    out = []
    for tok in children:
        kind = tok.type
        if kind == "text":
            out.append(escape_tex(tok.content))
        elif kind == "math_inline":
            out.append(f"${tok.content}$")
        elif kind == "code_inline":
            out.append(rf"\texttt{{{escape_tex(tok.content)}}}")
        elif kind in _INLINE_MARKS:
            out.append(_INLINE_MARKS[kind])
        elif kind == "softbreak":
            out.append("\n")
        elif kind == "hardbreak":
            out.append("\\\\\n")
        elif tok.children:  # image: its alt text
            out.append(_inline(tok.children))
    return "".join(out)


_INLINE_MARKS = {"strong_open": r"\textbf{", "strong_close": "}", "em_open": r"\emph{",
                 "em_close": "}", "link_open": "", "link_close": "", "s_open": "", "s_close": ""}


def _verbatim(text: str) -> str:
    body = text.replace(r"\end{verbatim}", r"\end {verbatim}")
    return f"\\begin{{verbatim}}\n{body.rstrip()}\n\\end{{verbatim}}\n"


def _table(tokens: Sequence[Token], start: int) -> tuple[str, int]:
    """A table as a booktabs tabular; returns the LaTeX and the index after table_close."""
    rows: list[list[str]] = []
    head = 0
    i = start
    while tokens[i].type != "table_close":
        tok = tokens[i]
        if tok.type == "tr_open":
            rows.append([])
        elif tok.type == "inline":
            rows[-1].append(_inline(tok.children or []))
        elif tok.type == "thead_close":
            head = len(rows)
        i += 1
    columns = max((len(r) for r in rows), default=1)
    lines = [rf"\begin{{tabular}}{{{'l' * columns}}}", r"\toprule"]
    for n, row in enumerate(rows):
        lines.append(" & ".join(row) + r" \\")
        if n + 1 == head:
            lines.append(r"\midrule")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\\begin{center}\n" + "\n".join(lines) + "\n\\end{center}\n", i + 1


_BLOCKS: dict[str, Callable[[Token], str]] = {
    "paragraph_open": lambda t: "" if t.hidden else "\n",
    "paragraph_close": lambda t: "" if t.hidden else "\n",
    "bullet_list_open": lambda t: "\\begin{itemize}\n",
    "bullet_list_close": lambda t: "\\end{itemize}\n",
    "ordered_list_open": lambda t: "\\begin{enumerate}\n",
    "ordered_list_close": lambda t: "\\end{enumerate}\n",
    "list_item_open": lambda t: r"\item ",
    "list_item_close": lambda t: "\n",
    "blockquote_open": lambda t: "\\begin{quote}\n",
    "blockquote_close": lambda t: "\\end{quote}\n",
    "heading_open": lambda t: "\n\\paragraph{",
    "heading_close": lambda t: "}\n",
    "fence": lambda t: _verbatim(t.content),
    "code_block": lambda t: _verbatim(t.content),
    "math_block": lambda t: f"\\[\n{t.content.strip()}\n\\]\n",
    "hr": lambda t: "\n\\medskip\\hrule\\medskip\n",
}


@lru_cache(maxsize=16384)  # the same texts recur in every variant and paper
def markdown_to_latex(text: str) -> str:
    r"""Render Markdown to a LaTeX fragment (no preamble).

    >>> markdown_to_latex("**Note:** $x^2$ costs 5%")
    '\\textbf{Note:} $x^2$ costs 5\\%\n'
    """
    tokens = _parser().parse(text)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "table_open":
            table, i = _table(tokens, i)
            out.append(table)
            continue
        if tok.type == "inline":
            out.append(_inline(tok.children or []))
        elif tok.type in _BLOCKS:
            out.append(_BLOCKS[tok.type](tok))
        i += 1
    return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip("\n") + "\n"
