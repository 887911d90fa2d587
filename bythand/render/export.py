"""The coloured terminal view recorded as HTML, SVG or text, through rich's own export."""

from __future__ import annotations

import io
from collections.abc import Iterable

from rich.console import Console
from rich.text import Text

from ..numbers import NumberMode
from ..walk import Trace
from .terminal import min_width, render

EXPORT_WIDTH = 100  # wide enough for most crosses side by side, narrow enough for a page
FRAGMENT = '<pre style="font-family: Menlo, Consolas, monospace; line-height: 1.25">{code}</pre>'


def _record(
    trace: Trace,
    *,
    steps: Iterable[int] | None = None,
    numbers: NumberMode = "auto",
    precision: int = 2,
    plain: bool = False,
    full: bool = False,
    show_work: bool = False,
    sheet: bool = False,
) -> Console:
    """A recording console that has printed the view (the steps, or the sheet) once."""
    if sheet:
        from .canvas import sheet_lines

        lines = sheet_lines(trace, numbers=numbers, precision=precision, plain=plain)
    else:
        lines = render(
            trace, steps=steps, numbers=numbers, precision=precision, plain=plain, width=EXPORT_WIDTH,
            full=full, show_work=show_work,
        )  # fmt: skip
    console = Console(
        record=True,
        file=io.StringIO(),
        width=max(EXPORT_WIDTH, min_width(lines)),
        color_system=None if plain else "truecolor",
        force_terminal=not plain,
        highlight=False,
        markup=False,
        emoji=False,
    )
    console.print(Text("\n").join(lines), soft_wrap=True)
    return console


def to_html(
    trace: Trace,
    *,
    steps: Iterable[int] | None = None,
    numbers: NumberMode = "auto",
    precision: int = 2,
    full: bool = False,
    show_work: bool = False,
    fragment: bool = False,
    sheet: bool = False,
) -> str:
    """A standalone HTML page of the coloured view (or just its <pre>, for a notebook)."""
    console = _record(
        trace, steps=steps, numbers=numbers, precision=precision, full=full, show_work=show_work, sheet=sheet
    )
    if fragment:
        return console.export_html(inline_styles=True, code_format=FRAGMENT)
    return console.export_html(inline_styles=True)


def to_svg(
    trace: Trace,
    *,
    steps: Iterable[int] | None = None,
    numbers: NumberMode = "auto",
    precision: int = 2,
    full: bool = False,
    show_work: bool = False,
    sheet: bool = False,
) -> str:
    """An SVG picture of the coloured view."""
    console = _record(
        trace, steps=steps, numbers=numbers, precision=precision, full=full, show_work=show_work, sheet=sheet
    )
    return console.export_svg(title=trace.problem.title)


def to_text(
    trace: Trace,
    *,
    steps: Iterable[int] | None = None,
    numbers: NumberMode = "auto",
    precision: int = 2,
    plain: bool = False,
    full: bool = False,
    show_work: bool = False,
    sheet: bool = False,
) -> str:
    """The view as text without colour codes (for a file)."""
    console = _record(
        trace, steps=steps, numbers=numbers, precision=precision, plain=plain, full=full, show_work=show_work,
        sheet=sheet,
    )  # fmt: skip
    return console.export_text(styles=False)
