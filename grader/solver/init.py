"""Exact weight-initialization scales: Glorot/Xavier, He and LeCun, normal and uniform."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class Scheme:
    """One initialization rule: scale = sqrt(numerator / fan), fan = fan_in or fan_in + fan_out."""

    name: str
    label: str  # as a teacher says it
    distribution: str  # "normal" (the scale is the std) or "uniform" (the limit a of U(-a, a))
    numerator: int
    uses_fan_out: bool
    reference: str


# Published definitions. Glorot & Bengio (2010), eq. 16, the "normalized initialization"
# W ~ U[-sqrt(6)/sqrt(n_j + n_{j+1}), +...], i.e. Var(W) = 2/(n_in + n_out); He et al. (2015),
# eq. 10, std sqrt(2/n_l) with n_l = k^2 c the fan-in; LeCun et al. (1998), Var(W) = 1/fan_in.
# A uniform U(-a, a) has variance a^2/3, so each uniform limit is sqrt(3) times its normal std.
SCHEMES: dict[str, Scheme] = {s.name: s for s in (
    Scheme("glorot_normal", "Xavier/Glorot normal", "normal", 2, True, "Glorot & Bengio 2010"),
    Scheme("glorot_uniform", "Xavier/Glorot uniform", "uniform", 6, True, "Glorot & Bengio 2010"),
    Scheme("he_normal", "He (Kaiming) normal", "normal", 2, False, "He et al. 2015"),
    Scheme("he_uniform", "He (Kaiming) uniform", "uniform", 6, False, "He et al. 2015"),
    Scheme("lecun_normal", "LeCun normal", "normal", 1, False, "LeCun et al. 1998"),
    Scheme("lecun_uniform", "LeCun uniform", "uniform", 3, False, "LeCun et al. 1998"),
)}


@dataclass(frozen=True)
class WeightScale:
    """The scale of one scheme for one layer, exact (``sqrt`` stays symbolic)."""

    scheme: Scheme
    fan_in: int
    fan_out: int | None
    fan: int  # the denominator used: fan_in, or fan_in + fan_out
    value: sp.Expr  # the std (normal) or the limit a (uniform)

    @property
    def variance(self) -> sp.Rational:
        """Var(W): value^2 for a normal, a^2/3 for U(-a, a)."""
        square = self.value ** 2
        return square if self.scheme.distribution == "normal" else square / 3

    @property
    def std(self) -> sp.Expr:
        return sp.sqrt(self.variance)


def conv_fans(kernel: int | Sequence[int], in_channels: int, out_channels: int | None = None
              ) -> tuple[int, int | None]:
    """Fans of a conv layer: fan_in = kh*kw*C_in, fan_out = kh*kw*C_out (as Keras and PyTorch).

    >>> conv_fans(3, 64, 128), conv_fans((1, 5), 3)
    ((576, 1152), (15, None))
    """
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else tuple(kernel)
    fan_out = None if out_channels is None else kh * kw * out_channels
    return kh * kw * in_channels, fan_out


def _positive_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer, not {value!r}")
    return value


def weight_scale(scheme: str, fan_in: int, fan_out: int | None = None) -> WeightScale:
    """The std (normal schemes) or the uniform limit (uniform schemes), exactly.

    >>> weight_scale("glorot_uniform", 300, 100).value, weight_scale("he_normal", 50).value
    (sqrt(6)/20, 1/5)

    Raises:
        ValueError: an unknown scheme, a fan that is not a positive integer, or a Glorot
            scheme without fan_out.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r} (known: {', '.join(SCHEMES)})")
    rule = SCHEMES[scheme]
    fan_in = _positive_int(fan_in, "fan_in")
    if rule.uses_fan_out:
        if fan_out is None:
            raise ValueError(f"{scheme} needs fan_out")
        fan_out = _positive_int(fan_out, "fan_out")
    elif fan_out is not None:
        fan_out = _positive_int(fan_out, "fan_out")
    fan = fan_in + fan_out if rule.uses_fan_out else fan_in
    value = sp.sqrt(sp.Rational(rule.numerator, fan))
    return WeightScale(rule, fan_in, fan_out, fan, value)
