"""The number domain: exact Fractions where the hand is exact, floats where it is not."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any, Literal

import numpy as np

Matrix = np.ndarray[Any, np.dtype[Any]]
"""An exact matrix is an object array of Fractions; a float matrix is float64."""

Number = Fraction | float
NumberMode = Literal["auto", "fraction", "decimal"]

# auto shows an exact value as a fraction while its denominator is at most this.
SMALL_DENOMINATOR = 1000
MAX_DIGITS, MAX_EXPONENT = 60, 400  # a number written with more, or 1e400, is refused when parsed
MINUS = "-"
MIXED = re.compile(r"([+-]?)(\d+)[ \u2009]+(\d+)\s*/\s*(\d+)")  # a mixed number: "1 1/7"


class NumberError(ValueError):
    """A value that is not a number bythand can use; the caller adds where it was."""


def parse_number(value: object) -> tuple[Fraction, bool]:
    """Parse an int, float or string ("3", "-0.5", "1/3") exactly; also say if it was a decimal."""
    if isinstance(value, bool):
        raise NumberError(f"{str(value).lower()} is not a number")
    if isinstance(value, int):
        return Fraction(value), False
    if isinstance(value, float):
        value = float(value)  # np.float64 is a float too, but its repr ("np.float64(0.5)") is not a number
        if not math.isfinite(value):
            raise NumberError(f"{value} is not allowed (only finite numbers)")
        frac = Fraction(repr(value))  # the decimal as written, not its binary approximation
        return frac, frac.denominator != 1 or "." in repr(value)
    if isinstance(value, np.integer):
        return Fraction(int(value)), False
    if isinstance(value, np.floating):
        return parse_number(float(value))
    if not isinstance(value, str):
        raise NumberError(f"{value!r} is not a number")
    mixed = MIXED.fullmatch(value.strip().replace("−", "-"))
    if mixed:  # "1 1/7" as a student writes 8/7; "-1 1/7" is -(1 + 1/7)
        whole, part, parts = int(mixed[2]), int(mixed[3]), int(mixed[4])
        if parts == 0:
            raise NumberError(f"{value!r} divides by zero")
        magnitude = whole + Fraction(part, parts)
        return (-magnitude if mixed[1] == "-" else magnitude), False
    text = value.strip().replace("−", "-").replace("\u2009", "")  # a thin space groups digits: 1 000
    text = re.sub(r"\s*/\s*", "/", re.sub(r"^([+-])\s+", r"\1", text))  # "- 1" and "1 / 3" are fine
    if not text:
        raise NumberError("an empty entry is not a number")
    if len(text) > MAX_DIGITS:
        # Fraction("1" * 10**6) would take seconds: refuse before it starts
        raise NumberError(f"{_clip(value)} is too long to work by hand (at most {MAX_DIGITS} characters)")
    lowered = text.lower()
    if any(word in lowered for word in ("nan", "inf")):
        raise NumberError(f"{value!r} is not allowed (only finite numbers)")
    if not text.isascii() or not re.fullmatch(r"[0-9+\-./eE]+", text):
        # a blank inside ("1 2") is two numbers, never glued into 12; ² or ٣ are not the digits 0-9
        raise NumberError(f"{value!r} is not a number")
    exponent = re.search(r"e([+-]?[0-9]+)", lowered)
    if exponent and abs(int(exponent[1])) > MAX_EXPONENT:  # the whole exponent: 1e0000999 is 1e999
        # Fraction("1e999999999") would build a billion-digit integer: refuse before it hangs
        raise NumberError(f"{value!r} is too large or too small to work by hand (at most 1e±{MAX_EXPONENT})")
    decimal = any(c in text for c in ".eE")
    top, slash, bottom = text.partition("/")
    if "/" in bottom:
        raise NumberError(f"{value!r} is not a number")  # 1/2/3: never read as 1/(2/3)
    try:
        num, den = Fraction(top), Fraction(bottom) if slash else Fraction(1)
    except (ValueError, ZeroDivisionError):
        raise NumberError(f"{value!r} is not a number") from None
    if den == 0:
        raise NumberError(f"{value!r} divides by zero")
    return num / den, decimal


def _clip(value: str) -> str:
    """A long value, shortened for an error line."""
    return repr(value) if len(value) <= 40 else repr(value[:20] + "…" + value[-8:])


def exact_matrix(rows: list[list[Fraction]]) -> Matrix:
    """Build an exact (object, Fraction) matrix from rows of Fractions."""
    out = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            out[i, j] = v
    return out


def is_exact(m: Matrix) -> bool:
    """True for an exact matrix of Fractions."""
    return bool(m.dtype == object)


def to_float(m: Matrix) -> Matrix:
    """The float64 view of a matrix, exact or not (a Fraction past the float range becomes ±inf, which
    walk() then reports as a sentence)."""
    if not is_exact(m):
        return m
    try:
        return np.asarray(m, dtype=np.float64)
    except OverflowError:
        out = np.empty(m.shape, dtype=np.float64)
        for idx, v in np.ndenumerate(m):
            try:
                out[idx] = float(v)
            except OverflowError:
                out[idx] = math.inf if v > 0 else -math.inf
        return out


def as_fraction_matrix(m: Matrix) -> Matrix:
    """Turn an integer-valued or Fraction array into an exact matrix."""
    out = np.empty(m.shape, dtype=object)
    for idx, v in np.ndenumerate(m):
        out[idx] = Fraction(v) if not isinstance(v, Fraction) else v
    return out


def fraction_text(v: Fraction) -> str:
    """Lowest terms, as a student writes it: "9/46", "-1"."""
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


BIG = 10**15  # past this a value is shown in scientific notation: 3^200 as 2.66e95


def scientific_text(v: Number, precision: int) -> str:
    """A huge value, short and exact in its shown digits: 3^200 as 2.66e95."""
    frac = v if isinstance(v, Fraction) else Fraction(repr(v))
    exponent = len(str(abs(frac.numerator) // frac.denominator)) - 1
    mantissa = _rounded(abs(frac) / 10**exponent, max(precision, 1))
    if mantissa.startswith("10"):  # 9.999 rounded up to 10.00
        exponent += 1
        mantissa = _rounded(abs(frac) / 10**exponent, max(precision, 1))
    return f"{'-' if frac < 0 else ''}{mantissa}e{exponent}"


def _rounded(frac: Fraction, precision: int) -> str:
    """|frac| rounded half away from zero to `precision` places, as taught in school."""
    scale = 10**precision
    rounded = math.floor(abs(frac) * scale + Fraction(1, 2))
    if precision == 0:
        return str(rounded)
    whole, part = divmod(rounded, scale)
    return f"{whole}.{part:0{precision}d}"


def decimal_text(v: Number, precision: int) -> str:
    """Round half away from zero to `precision` places (0.125 -> 0.13); huge values in e-notation."""
    frac = v if isinstance(v, Fraction) else Fraction(repr(v))
    if abs(frac) >= BIG:
        return scientific_text(frac, precision)
    text = _rounded(frac, precision)
    negative = frac < 0 and any(c not in "0." for c in text)  # never "-0.00"
    return f"{'-' if negative else ''}{text}"


def format_number(v: Number, mode: NumberMode = "auto", precision: int = 2) -> str:
    """Show one value: integers as integers, exact values as fractions where that reads well."""
    if isinstance(v, float):
        if math.isinf(v):
            return "-∞" if v < 0 else "∞"
        if math.isnan(v):
            return "NaN"  # never produced by walk(); shown rather than hidden if it ever is
        if v.is_integer() and abs(v) < BIG:
            return str(int(v))
        return decimal_text(v, precision)
    if v.denominator == 1:
        return str(v.numerator) if abs(v) < BIG else scientific_text(v, precision)
    if mode == "fraction" or (mode == "auto" and v.denominator <= SMALL_DENOMINATOR):
        return fraction_text(v)
    return decimal_text(v, precision)


def cell(m: Matrix, i: int, j: int) -> Number:
    """One cell as a Fraction (exact matrix) or a float."""
    v = m[i, j]
    return v if isinstance(v, Fraction) else float(v)


def _lcm_of(values: Any) -> int:
    out = 1
    for v in values:
        out = math.lcm(out, v.denominator)
    return out


INT64_SAFE = 2**62  # |a·b| summed over k stays below this: int64 products are exact


def matmul(left: Matrix, right: Matrix) -> Matrix:
    """left · right; exact matrices through whole numbers (no per-cell Fraction arithmetic), same result.

    Each row of `left` and each column of `right` is scaled to integers by its common denominator, the
    integer product is taken (by int64 when it cannot overflow, else by Python ints), and every cell is
    divided back once: n² Fractions instead of n³ Fraction multiplications and additions.
    """
    fractions = is_exact(left) and is_exact(right)
    if not fractions or not all(isinstance(v, Fraction) for m in (left, right) for v in m.flat):
        out: Matrix = left @ right  # floats, or an object matrix holding a float (a student's −∞)
        return out
    rows, inner = left.shape
    cols = right.shape[1]
    row_den = [_lcm_of(left[i, :]) for i in range(rows)]
    col_den = [_lcm_of(right[:, j]) for j in range(cols)]
    a = [[int(v.numerator * (row_den[i] // v.denominator)) for v in left[i, :]] for i in range(rows)]
    b = [[int(v.numerator * (col_den[j] // v.denominator)) for v in right[:, j]] for j in range(cols)]
    big_a = max((abs(v) for row in a for v in row), default=0)
    big_b = max((abs(v) for col in b for v in col), default=0)
    if max(big_a, 1) * max(big_b, 1) * max(inner, 1) < INT64_SAFE:  # a zero side can hide a huge other
        product = (np.array(a, dtype=np.int64) @ np.array(b, dtype=np.int64).T).tolist()
    else:  # huge numerators: Python ints, still summed in numpy's C loop rather than by Fraction
        a_obj = np.empty((rows, inner), dtype=object)
        b_obj = np.empty((inner, cols), dtype=object)
        for i, row in enumerate(a):
            a_obj[i, :] = row
        for j, col in enumerate(b):
            b_obj[:, j] = col
        product = (a_obj @ b_obj).tolist()
    result = np.empty((rows, cols), dtype=object)
    for i in range(rows):
        for j in range(cols):
            result[i, j] = Fraction(int(product[i][j]), row_den[i] * col_den[j])
    return result
