"""The number domain: exact parsing and the way numbers are shown."""

from __future__ import annotations

from fractions import Fraction

import pytest

from bythand.numbers import NumberError, decimal_text, format_number, parse_number


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
