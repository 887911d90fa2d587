"""The number domain: exact parsing and the way numbers are shown."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bythand.numbers import (
    NumberError,
    as_fraction_matrix,
    cell,
    decimal_text,
    exact_matrix,
    format_number,
    fraction_text,
    is_exact,
    matmul,
    parse_number,
    scientific_text,
    to_float,
)

import reference as ref
from conftest import Runner


@pytest.mark.parametrize(
    ("raw", "value", "decimal"),
    [
        (3, Fraction(3), False),
        (-2, Fraction(-2), False),
        ("1/3", Fraction(1, 3), False),
        (" -0.5 ", Fraction(-1, 2), True),
        ("−4", Fraction(-4), False),  # a typographic minus, as pasted from a PDF
        (0.1, Fraction(1, 10), True),  # the decimal as written, not 0.1000000000000000055...
        ("18/92", Fraction(9, 46), False),
        ("1.5/3", Fraction(1, 2), True),
        ("+7", Fraction(7), False),
    ],
)
def test_parse_number(raw: object, value: Fraction, decimal: bool) -> None:
    assert parse_number(raw) == (value, decimal)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc", "'abc' is not a number"),
        ("", "an empty entry is not a number"),
        ("1/0", "'1/0' divides by zero"),
        ("nan", "'nan' is not allowed (only finite numbers)"),
        (float("inf"), "inf is not allowed (only finite numbers)"),
        (True, "true is not a number"),
        ([1], "[1] is not a number"),
    ],
)
def test_parse_number_rejects(raw: object, message: str) -> None:
    with pytest.raises(NumberError) as info:
        parse_number(raw)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("value", "mode", "precision", "text"),
    [
        (Fraction(9, 46), "auto", 2, "9/46"),
        (Fraction(46, 3), "auto", 2, "46/3"),
        (Fraction(-3), "auto", 2, "-3"),
        (Fraction(9, 46), "decimal", 2, "0.20"),
        (Fraction(9, 46), "decimal", 4, "0.1957"),
        (Fraction(1, 8), "decimal", 2, "0.13"),  # half away from zero, as taught
        (Fraction(-1, 8), "decimal", 2, "-0.13"),
        (Fraction(-1, 1000), "decimal", 2, "0.00"),  # never "-0.00"
        (Fraction(1, 1001), "auto", 3, "0.001"),  # a large denominator reads better as a decimal
        (Fraction(1, 1001), "fraction", 3, "1/1001"),
        (2.0, "auto", 2, "2"),
        (2.8867513459481287, "auto", 2, "2.89"),
        (17.94, "fraction", 2, "17.94"),  # a float cannot be shown as a fraction
        (float("-inf"), "auto", 2, "-∞"),
    ],
)
def test_format_number(value: Fraction | float, mode: str, precision: int, text: str) -> None:
    assert format_number(value, mode, precision) == text  # type: ignore[arg-type]


def test_decimal_text_zero_places() -> None:
    assert decimal_text(Fraction(5, 2), 0) == "3"
    assert decimal_text(Fraction(-5, 2), 0) == "-3"


# Edges: what a user sees when a number is huge, a float sits on a rounding edge, or arrives from numpy


@pytest.mark.parametrize(
    ("raw", "value", "decimal"),
    [
        (2.0, Fraction(2), True),  # a float written with a point is a decimal, even when whole
        (0.5, Fraction(1, 2), True),
        (np.int64(-4), Fraction(-4), False),
        (np.float64(0.25), Fraction(1, 4), True),  # a float subclass whose repr is "np.float64(0.25)"
        (np.float32(0.5), Fraction(1, 2), True),
        ("1\u20092", Fraction(12), False),  # a thin space between digit groups
        ("1e3", Fraction(1000), True),
        ("2E-1", Fraction(1, 5), True),
        ("-1/-2", Fraction(1, 2), False),
        (1e-05, Fraction(1, 100000), True),  # a float whose repr has no point is still a decimal
        ("−1 1/7", Fraction(-8, 7), False),  # a mixed number with a typographic minus
        ("2 1/2", Fraction(5, 2), False),
    ],
)
def test_parse_number_edges(raw: object, value: Fraction, decimal: bool) -> None:
    got = parse_number(raw)
    assert got == (value, decimal) and type(got[0]) is Fraction


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("inf", "'inf' is not allowed (only finite numbers)"),
        ("-Infinity", "'-Infinity' is not allowed (only finite numbers)"),
        ("NaN", "'NaN' is not allowed (only finite numbers)"),
        (float("nan"), "nan is not allowed (only finite numbers)"),
        (np.float64("inf"), "inf is not allowed (only finite numbers)"),
        (None, "None is not a number"),
        (False, "false is not a number"),
        ("1" * 61, f"'{'1' * 20}…{'1' * 8}' is too long to work by hand (at most 60 characters)"),
        ("1e401", "'1e401' is too large or too small to work by hand (at most 1e±400)"),
        ("1e-401", "'1e-401' is too large or too small to work by hand (at most 1e±400)"),
        ("1 000", "'1 000' is not a number"),  # a blank parts two numbers (a thin space groups digits)
        ("1/0.0", "'1/0.0' divides by zero"),
        ("1/2/3", "'1/2/3' is not a number"),
        ("   ", "an empty entry is not a number"),
        ("1 1/0", "'1 1/0' divides by zero"),
    ],
)
def test_parse_number_rejects_edges(raw: object, message: str) -> None:
    with pytest.raises(NumberError) as info:
        parse_number(raw)
    assert str(info.value) == message


def test_the_longest_and_largest_numbers_accepted() -> None:
    assert parse_number("1" * 60) == (Fraction(int("1" * 60)), False)
    assert parse_number("1e400") == (Fraction(10) ** 400, True)
    assert parse_number("1e-400") == (Fraction(1, 10**400), True)


@pytest.mark.parametrize(
    ("value", "precision", "text"),
    [
        (Fraction(3) ** 200, 2, "2.66e95"),
        (-(Fraction(3) ** 200), 2, "-2.66e95"),
        (Fraction(3) ** 200, 0, "2.7e95"),  # at least one place in e-notation
        (Fraction(9999, 1) * 10**15, 2, "1.00e19"),  # 9.999 rounds up to 10.00: the exponent moves
        (Fraction(10) ** 15, 3, "1.000e15"),
        (1.5e20, 1, "1.5e20"),
        (Fraction(123456789, 1000) * 10**20, 4, "1.2346e25"),
    ],
)
def test_scientific_text(value: Fraction | float, precision: int, text: str) -> None:
    assert scientific_text(value, precision) == text


@pytest.mark.parametrize(
    ("value", "mode", "precision", "text"),
    [
        (float("inf"), "auto", 2, "∞"),
        (float("nan"), "auto", 2, "NaN"),
        (-0.5, "auto", 2, "-0.50"),
        (-2.0, "auto", 2, "-2"),
        (1e15, "auto", 2, "1.00e15"),  # a whole float at BIG is shown short
        (1e15 - 1, "auto", 2, "999999999999999"),
        (Fraction(10**15), "auto", 2, "1.00e15"),
        (Fraction(10**15 - 1), "auto", 2, "999999999999999"),
        (-Fraction(10**15), "auto", 1, "-1.0e15"),
        (Fraction(1, 1000), "auto", 2, "1/1000"),  # the largest denominator still shown as a fraction
        (Fraction(1, 1000), "decimal", 3, "0.001"),
        (Fraction(7, 2), "fraction", 2, "7/2"),
        (Fraction(-7, 2), "decimal", 0, "-4"),
        (Fraction(10**16, 3), "decimal", 2, "3.33e15"),
    ],
)
def test_format_number_edges(value: Fraction | float, mode: str, precision: int, text: str) -> None:
    assert format_number(value, mode, precision) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "precision", "text"),
    [
        (1.005, 2, "1.01"),  # the decimal as written: 1.005 in binary is 1.00499..., still rounded up
        (-1.005, 2, "-1.01"),
        (0.145, 2, "0.15"),
        (Fraction(10**15), 2, "1.00e15"),
        (Fraction(10**15 - 1, 1), 2, "999999999999999.00"),
        (-0.004, 2, "0.00"),
        (-0.005, 2, "-0.01"),
        (Fraction(0), 3, "0.000"),
        (Fraction(1, 3), 0, "0"),
        (Fraction(2, 3), 0, "1"),
    ],
)
def test_decimal_text_edges(value: Fraction | float, precision: int, text: str) -> None:
    assert decimal_text(value, precision) == text


def test_matrices_between_domains() -> None:
    exact = as_fraction_matrix(np.array([[1, 2], [3, -4]]))
    assert is_exact(exact) and exact.tolist() == [[1, 2], [3, -4]]
    assert all(type(v) is Fraction for v in exact.flat)
    kept = as_fraction_matrix(np.array([[Fraction(1, 3)]], dtype=object))
    assert kept[0, 0] == Fraction(1, 3) and kept.shape == (1, 1)
    floats = to_float(exact)
    assert floats.dtype == np.float64 and floats.tolist() == [[1.0, 2.0], [3.0, -4.0]]
    already = np.array([[0.5]])
    assert to_float(already) is already
    assert cell(exact, 1, 1) == Fraction(-4) and type(cell(exact, 1, 1)) is Fraction
    assert cell(floats, 0, 1) == 2.0 and type(cell(floats, 0, 1)) is float
    assert fraction_text(Fraction(-9, 46)) == "-9/46" and fraction_text(Fraction(5)) == "5"
    built = exact_matrix([[Fraction(1), Fraction(2)]])
    assert built.shape == (1, 2) and is_exact(built)
    assert exact_matrix([]).shape == (0, 0)


def test_numpy_scalars_in_nested_lists_are_read_exactly() -> None:
    """A problem built from numpy scalars (rows of an array) reads them as the decimals they print as."""
    from bythand import Problem, ProblemError

    p = Problem(X=[[np.float64(0.5), np.int64(2)]], WQ=[[1]], WK=[[1]], WV=[[1]])
    assert p.X.tolist() == [[Fraction(1, 2), Fraction(2)]] and p.decimal_input
    with pytest.raises(ProblemError) as info:
        Problem(X=[["1/2/3"]], WQ=[[1]], WK=[[1]], WV=[[1]])
    assert str(info.value) == "<python>: X row 1, column 1: '1/2/3' is not a number"


def test_format_number_defaults_are_auto_and_two_places() -> None:
    assert format_number(Fraction(1, 3)) == "1/3"
    assert format_number(Fraction(1, 1001)) == "0.00"
    assert format_number(2.0 / 3.0) == "0.67"


def test_a_huge_value_rounding_up_moves_its_exponent_at_any_precision() -> None:
    from fractions import Fraction

    from bythand.numbers import scientific_text

    assert scientific_text(Fraction(999, 100) * 10**15, 0) == "1.0e16"  # 9.99 → 10.0 → 1.0, one place
    assert scientific_text(Fraction(999, 100) * 10**15, 1) == "1.0e16"


@pytest.mark.parametrize("zeros_on", ["left", "right"])
def test_an_exact_product_with_a_zero_side_and_huge_numbers_on_the_other(zeros_on: str) -> None:
    """A zero matrix times one of 3^100-sized numerators: the int64 shortcut must not be taken (it was,
    as 0 · huge < 2^62, and numpy raised OverflowError: exit 3 on a problem with W_V all zeros)."""
    huge: ref.Mat = [[Fraction(3**100 + k, 3**90 + j) for k in range(3)] for j in range(3)]
    zeros: ref.Mat = [[Fraction(0)] * 3]
    left, right = (zeros, huge) if zeros_on == "left" else (ref.transpose(huge), ref.transpose(zeros))

    def obj(m: ref.Mat) -> np.ndarray[Any, Any]:
        out = np.empty((len(m), len(m[0])), dtype=object)
        for i, row in enumerate(m):
            out[i, :] = row
        return out

    got = matmul(obj(left), obj(right))
    assert got.tolist() == ref.matmul(left, right) and all(v == 0 for v in got.flat)


def test_a_problem_whose_values_are_all_zero_runs(cli: Runner, tmp_path: Path) -> None:
    """The fuzz case that found it: W_V = 0 and A holding 3^k denominators, through the CLI."""
    path = tmp_path / "p.toml"
    path.write_text(
        "X = [[-2, 0, 0], [-2, 0, 0], [0, 0, 0]]\nC = [[0, 2, -2], [0, 2, -2], [0, 0, 0]]\n"
        "WQ = [[1, 1, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0]]\n"
        "WK = [[1, 1, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0]]\n"
        'WV = [[0, 0, 0]]\n[options]\nscale = "none"\nexp = "3"\n',
        encoding="utf-8",
    )
    result = cli("run", str(path), "-f", "json")
    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out)["matrices"]["Z"]["exact"] == [["0", "0", "0"]]
