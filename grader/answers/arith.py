"""Bounded exact arithmetic for the parser: Fractions while possible, else whitelisted SymPy."""

# Every operation checks its bounds BEFORE computing (exponent size, size of the result), so no
# answer can make the grader compute 9^9^9. Rational values stay Python Fractions (fast); a value
# becomes a SymPy expression only through the constructors and functions whitelisted here.
from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import sympy

from grader.answers.tokens import MAX_EXPONENT
from grader.errors import AnswerError

Value = Fraction | sympy.Expr

MAX_BITS = 3400  # numerator/denominator of any rational (10^1000 needs 3322 bits)
MAX_ROOT_BITS = 400  # rationals under a root or a fractional power (SymPy factors them)
MAX_ROOT_INDEX = 100  # q in x^(p/q)
MAX_ARGUMENT = 10**6  # |x| in exp, sin, cos, tanh of a number


def check_size(value: Fraction) -> Fraction:
    """Reject a rational too large to work with (the grader's limit, not a maths error)."""
    if max(value.numerator.bit_length(), value.denominator.bit_length()) > MAX_BITS:
        raise AnswerError("a number in the answer is too large to work with (over 1000 digits)")
    return value


# A Fraction is already in lowest terms with a positive denominator, so SymPy (1.13+) can skip
# its gcd; older versions take the general constructor.
_COPRIME = getattr(sympy.Rational, "from_coprime_ints", sympy.Rational)


def to_sympy(value: Value | int) -> sympy.Expr:
    """The value as a SymPy expression (Fractions and ints become sympy.Rational).

    >>> to_sympy(Fraction(-7, 2)), to_sympy(Fraction(4)), to_sympy(3)
    (-7/2, 4, 3)
    """
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return sympy.Integer(value.numerator)
        return _COPRIME(value.numerator, value.denominator)
    if isinstance(value, int):
        return sympy.Integer(value)
    return value


def _settle(expr: sympy.Expr) -> Value:
    """Bring a SymPy result back to a Fraction if it is rational; reject undefined results."""
    if expr.is_Rational:
        return check_size(Fraction(int(expr.p), int(expr.q)))
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise AnswerError("the answer is undefined (a division by zero or similar)")
    return expr


def add(a: Value, b: Value) -> Value:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return check_size(a + b)
    return _settle(sympy.Add(to_sympy(a), to_sympy(b)))


def neg(a: Value) -> Value:
    return -a if isinstance(a, Fraction) else _settle(sympy.Mul(sympy.Integer(-1), a))


def sub(a: Value, b: Value) -> Value:
    return add(a, neg(b))


def mul(a: Value, b: Value) -> Value:
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return check_size(a * b)
    return _settle(sympy.Mul(to_sympy(a), to_sympy(b)))


def div(a: Value, b: Value) -> Value:
    if b == 0:
        raise AnswerError("division by zero")
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return check_size(a / b)
    return _settle(sympy.Mul(to_sympy(a), sympy.Pow(to_sympy(b), sympy.Integer(-1))))


def _magnitude(value: Value) -> float | None:
    """|value| as a float if it is a number (None if it has symbols)."""
    if isinstance(value, Fraction):
        try:
            return abs(float(value))
        except OverflowError:
            return float("inf")
    if value.free_symbols:
        return None
    try:
        return abs(complex(value.evalf(15)))
    except (TypeError, ValueError, OverflowError):
        return float("inf")


def power(base: Value, exponent: Value) -> Value:
    """base^exponent with the exponent's size checked before anything is computed."""
    mag = _magnitude(exponent)
    if mag is not None and mag > MAX_EXPONENT:
        raise AnswerError(f"the power is too large (at most {MAX_EXPONENT} is accepted)")
    if isinstance(exponent, Fraction) and isinstance(base, Fraction):
        if base == 0 and exponent < 0:
            raise AnswerError("division by zero (0 to a negative power)")
        if exponent.denominator == 1:
            bits = math.log2(max(abs(base.numerator), base.denominator))  # exact enough
            if bits * abs(exponent.numerator) > MAX_BITS:
                raise AnswerError("a number in the answer is too large to work with")
            return base**exponent.numerator
        _check_root(base, exponent.denominator)
    elif isinstance(exponent, Fraction) and exponent.denominator != 1:
        if exponent.denominator > MAX_ROOT_INDEX:
            raise AnswerError("the fractional power has too large a denominator")
    return _settle(sympy.Pow(to_sympy(base), to_sympy(exponent)))


def _check_root(base: Fraction, index: int) -> None:
    if index > MAX_ROOT_INDEX:
        raise AnswerError("the fractional power has too large a denominator")
    if max(base.numerator.bit_length(), base.denominator.bit_length()) > MAX_ROOT_BITS:
        raise AnswerError("the number under the root is too large to work with")


def _bounded_arg(name: str, x: Value) -> Value:
    mag = _magnitude(x)
    if mag is not None and mag > MAX_ARGUMENT:
        raise AnswerError(f"the argument of {name} is too large")
    return x


def _sqrt(x: Value) -> Value:
    return power(x, Fraction(1, 2))


def _log(x: Value) -> Value:
    if x == 0:
        raise AnswerError("log(0) is undefined")
    if isinstance(x, Fraction):
        if x < 0:
            raise AnswerError("the logarithm of a negative number is undefined")
        if x == 1:
            return Fraction(0)
        _check_root(x, 1)
    return _settle(sympy.log(to_sympy(x)))


def _exp(x: Value) -> Value:
    return _settle(sympy.exp(to_sympy(_bounded_arg("exp", x))))


def _sigmoid(x: Value) -> Value:
    return div(Fraction(1), add(Fraction(1), _exp(neg(x))))


def _relu(x: Value) -> Value:
    return _max(Fraction(0), x)


def _max(*args: Value) -> Value:
    if all(isinstance(a, Fraction) for a in args):
        return max(args)
    return _settle(sympy.Max(*map(to_sympy, args)))


def _min(*args: Value) -> Value:
    if all(isinstance(a, Fraction) for a in args):
        return min(args)
    return _settle(sympy.Min(*map(to_sympy, args)))


def _abs(x: Value) -> Value:
    return abs(x) if isinstance(x, Fraction) else _settle(sympy.Abs(x))


def _unary(name: str, fn: Callable[[sympy.Expr], sympy.Expr]) -> Callable[[Value], Value]:
    return lambda x: _settle(fn(to_sympy(_bounded_arg(name, x))))


# name -> (function, number of arguments: an int, or None for one or more)
FUNCTIONS: dict[str, tuple[Callable[..., Value], int | None]] = {
    "exp": (_exp, 1),
    "log": (_log, 1),
    "ln": (_log, 1),
    "sqrt": (_sqrt, 1),
    "max": (_max, None),
    "min": (_min, None),
    "abs": (_abs, 1),
    "sigmoid": (_sigmoid, 1),
    "tanh": (_unary("tanh", sympy.tanh), 1),
    "relu": (_relu, 1),
    "sin": (_unary("sin", sympy.sin), 1),
    "cos": (_unary("cos", sympy.cos), 1),
}
CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "e": sympy.E}
