"""The precedence-climbing parser: tokens in, an exact value (grader.answers.arith) out.

It is the grammar of an answer (sums, products, implied products like '2x', signs, powers,
'%' and function calls) and nothing else: grader.answers.tokens splits the text into tokens
and grader.answers.parse does normalization, length limits, '=' chains and caching around it.
The parser is kept apart so that the grammar can be read in one place.
"""

# Security note: student text is data, never code. Nothing here calls eval, exec, sympify,
# parse_expr, lambdify or ast.literal_eval; values are built only through grader.answers.arith,
# whose operations check bounds before computing.
from __future__ import annotations

from fractions import Fraction

import sympy

from grader.answers import arith
from grader.answers.tokens import MAX_DEPTH, Token
from grader.errors import AnswerError


class Parser:
    """Precedence climbing: expr > term (* / implied) > sign > power > postfix > atom."""

    def __init__(
        self, tokens: list[Token], names: dict[str, sympy.Symbol], allow_percent: bool
    ) -> None:
        self.tokens = tokens
        self.names = names
        self.allow_percent = allow_percent
        self.pos = 0
        self.depth = 0
        self.notes: list[str] = []
        self.flags: list[str] = []

    def peek(self, ops: str = "") -> Token | None:
        """The next token; with `ops` (one-character operators), only if it is one of them."""
        tok = self.tokens[self.pos] if self.pos < len(self.tokens) else None
        if ops and (tok is None or tok.kind != "op" or tok.text not in ops):
            return None
        return tok

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise AnswerError("the answer ends too early (something is missing at the end)")
        self.pos += 1
        return tok

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.kind != "op" or tok.text != text:
            raise AnswerError(f"expected '{text}' but found '{tok.text}'")

    def flag(self, note: str) -> None:
        self.notes.append(note)
        if "ambiguous" not in self.flags:
            self.flags.append("ambiguous")

    def parse(self) -> arith.Value:
        value = self.expr()
        tok = self.peek()
        if tok is not None:
            raise AnswerError(f"could not read the answer from '{tok.text}' on")
        return value

    def expr(self) -> arith.Value:
        value = self.term()
        while (tok := self.peek("+-")) is not None:
            self.pos += 1
            rhs = self.term()
            value = arith.add(value, rhs) if tok.text == "+" else arith.sub(value, rhs)
        return value

    def term(self) -> arith.Value:
        value = self.unary()
        divided = False
        while True:
            tok = self.peek("*/")
            if tok is not None:
                self.pos += 1
                rhs = self.unary()
                value = arith.mul(value, rhs) if tok.text == "*" else arith.div(value, rhs)
                divided = divided or tok.text == "/"
            elif self.implied():
                start = self.tokens[self.pos - 1]
                value = arith.mul(value, self.power())
                if divided:
                    self.flag(
                        f"read '/' before '{start.canon}{self.tokens[self.pos - 1].canon}'"
                        " as dividing only by what comes right after it; add parentheses"
                        " if you meant otherwise"
                    )
            else:
                return value

    def implied(self) -> bool:
        """Is there an implied multiplication here ('2x', '2(3+4)', '(a+b)(a-b)')?"""
        nxt = self.peek()
        if self.pos == 0 or nxt is None or not (nxt.kind != "op" or nxt.text == "("):
            return False
        prev = self.tokens[self.pos - 1]
        if prev.kind == "op" and prev.text != ")":
            return False
        if nxt.kind == "num":
            shown = f"{prev.text} {nxt.text}"
            raise AnswerError(
                f"two numbers or values next to each other ('{shown}'): write an operator such"
                " as * or + between them (and use one decimal mark, like 2.5 or 2,5)"
            )
        return True

    def unary(self) -> arith.Value:
        self.depth += 1
        if self.depth > 2 * MAX_DEPTH:
            raise AnswerError(f"the answer is nested too deeply (more than {MAX_DEPTH} levels)")
        tok = self.peek("-+")
        if tok is not None:
            self.pos += 1
            value = self.unary()
            value = arith.neg(value) if tok.text == "-" else value
        else:
            value = self.power()
        self.depth -= 1
        return value

    def power(self) -> arith.Value:
        base = self.postfix()
        if self.peek("^") is None:
            return base
        self.pos += 1
        return arith.power(base, self.unary())

    def postfix(self) -> arith.Value:
        value = self.atom()
        while (tok := self.peek("!%")) is not None:
            self.pos += 1
            if tok.text == "!":
                raise AnswerError("factorials ('!') are not accepted; write the number itself")
            if not self.allow_percent:
                raise AnswerError("a percent sign is not accepted here: write 0.5 rather than 50 %")
            value = arith.div(value, Fraction(100))
            self.notes.append("read '%' as 1/100 (percent)")
        return value

    def atom(self) -> arith.Value:
        tok = self.take()
        if tok.kind == "num":
            if tok.note:
                (self.flag if tok.ambiguous else self.notes.append)(tok.note)
            assert tok.value is not None
            return tok.value
        if tok.kind == "name":
            return self.name(tok)
        if tok.text == "(":
            value = self.expr()
            self.expect(")")
            return value
        raise AnswerError(f"unexpected '{tok.text}' (position {tok.pos + 1})")

    def name(self, tok: Token) -> arith.Value:
        if tok.text in self.names:
            return self.names[tok.text]
        key = tok.text.lower()
        if key in arith.FUNCTIONS:
            if self.peek("(") is None:
                raise AnswerError(f"write {key}(...) with parentheses around its argument")
            return self.call(key)
        if key in arith.CONSTANTS:
            return arith.CONSTANTS[key]
        hint = ""
        if len(tok.text) > 1 and all(c in self.names for c in tok.text):
            hint = f"; for a product write {'*'.join(tok.text)}"
        elif not self.names:
            hint = "; write only the number"
        raise AnswerError(f"'{tok.text}' is not a known name or function{hint}")

    def call(self, name: str) -> arith.Value:
        self.expect("(")
        args = [self.expr()]
        while (comma := self.peek(",")) is not None:
            before = self.tokens[self.pos - 1]
            self.pos += 1
            after = self.peek()
            if before.kind == "num" and after is not None and after.kind == "num":
                if before.pos + len(before.text) == comma.pos == after.pos - 1:
                    self.flag(
                        f"read '{before.text},{after.text}' in {name}(...) as two"
                        " arguments, not a decimal comma"
                    )
            args.append(self.expr())
        self.expect(")")
        fn, arity = arith.FUNCTIONS[name]
        if arity is not None and len(args) != arity:
            raise AnswerError(f"{name}(...) takes {arity} argument, not {len(args)}")
        return fn(*args)
