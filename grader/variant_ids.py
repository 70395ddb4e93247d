"""Variant ids: short Crockford base32 codes printed on papers, and the seeds they stand for."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from grader.errors import InputError

ORIGINAL = "original"  # the exam as written in exam.yaml (the 2019 paper for the seed exam)
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 5  # 32**5 = 33,554,432 ids
ID_SPACE = len(ALPHABET) ** LENGTH
MAX_COUNT = ID_SPACE // 2  # so drawing distinct ids never slows to a crawl
_DECODE = {c: i for i, c in enumerate(ALPHABET)} | {"I": 1, "L": 1, "O": 0}
_IDS_TAG = "examgrader-variant-ids-v1"


def encode_variant_id(number: int) -> str:
    """The code of a number in ``[0, 32**5)``, most significant symbol first.

    >>> encode_variant_id(0), encode_variant_id(32**5 - 1), encode_variant_id(666)
    ('00000', 'ZZZZZ', '000MT')

    Raises:
        ValueError: the number is out of range.
    """
    if not 0 <= number < ID_SPACE:
        raise ValueError(f"{number} is not in [0, {ID_SPACE})")
    symbols = []
    for _ in range(LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        symbols.append(ALPHABET[digit])
    return "".join(reversed(symbols))


def decode_variant_id(text: str) -> int:
    """The number a code stands for; case-insensitive, I/L read as 1 and O as 0 (Crockford).

    Hyphens and surrounding spaces are ignored, as Crockford allows (``K7-Q2M``).

    >>> decode_variant_id("000mt"), decode_variant_id("OOOMT"), decode_variant_id("0001l")
    (666, 666, 33)

    Raises:
        InputError: not five Crockford symbols (U, punctuation, other letters, wrong length).
    """
    if not isinstance(text, str):
        raise InputError(f"a variant id must be text, not {type(text).__name__}")
    symbols = text.strip().replace("-", "").upper()
    bad = sorted({c for c in symbols if c not in _DECODE})
    if bad or len(symbols) != LENGTH:
        what = f"has {', '.join(map(repr, bad))}" if bad else f"has {len(symbols)} symbols"
        raise InputError(f"variant id {text[:40]!r} is not valid: it {what}; a variant id is "
                         f"'{ORIGINAL}' or {LENGTH} symbols of {ALPHABET} (e.g. K7Q2M)")
    number = 0
    for c in symbols:
        number = number * len(ALPHABET) + _DECODE[c]
    return number


def normalize_variant_id(text: str) -> str:
    """The canonical form of a variant id: ``original`` or five upper-case Crockford symbols.

    >>> normalize_variant_id(" k7q-2m "), normalize_variant_id("Original")
    ('K7Q2M', 'original')

    Raises:
        InputError: neither ``original`` nor a valid code.
    """
    if isinstance(text, str) and text.strip().lower() == ORIGINAL:
        return ORIGINAL
    return encode_variant_id(decode_variant_id(text))


def variant_seed(exam_id: str, exam_version: int, variant_id: str) -> int:
    """The seed of a variant: the same exam version and id give it on every machine.

    The first 8 bytes of a sha256 (not Python's ``hash``, which is salted per process) of the
    exam id, its version and the canonical variant id, so ``k7q2m`` and ``K7Q2M`` agree.

    >>> variant_seed("demo", 1, "k7q2m") == variant_seed("demo", 1, "K7Q2M")
    True

    Raises:
        InputError: the variant id is not valid.
    """
    canonical = normalize_variant_id(variant_id)
    digest = hashlib.sha256(f"{exam_id}\0{exam_version}\0{canonical}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def iter_variant_ids(seed: int) -> Iterator[str]:
    """Distinct codes drawn from ``seed``, endlessly (counter-mode sha256; no ``random``).

    The first n codes do not depend on how many are drawn after them.
    """
    seen: set[str] = set()
    counter = 0
    while len(seen) < ID_SPACE:
        digest = hashlib.sha256(f"{_IDS_TAG}\0{seed}\0{counter}".encode()).digest()
        counter += 1
        code = encode_variant_id(int.from_bytes(digest[:8], "big") % ID_SPACE)
        if code not in seen:
            seen.add(code)
            yield code


def variant_ids(seed: int, count: int) -> list[str]:
    """``count`` distinct variant ids for ``seed``; the same seed gives the same list everywhere.

    >>> variant_ids(7, 3) == variant_ids(7, 5)[:3], len(set(variant_ids(7, 50)))
    (True, 50)

    Raises:
        InputError: ``count`` is negative or larger than :data:`MAX_COUNT`.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COUNT:
        raise InputError(f"the number of variants must be 0 to {MAX_COUNT}, not {count!r}")
    ids = iter_variant_ids(seed)
    return [next(ids) for _ in range(count)]
