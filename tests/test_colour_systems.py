"""Colour that carries: at truecolor, 256 and 16 colours every role keeps its own colour."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text

from bythand import builtin_example, walk
from bythand.render.terminal import render

SGR = re.compile(r"\x1b\[([0-9;]*)m([^\x1b]*)")
# one matrix of each role: features, weights, Q/K/V, Kᵀ, S, scaled, E, A, Z
ROLE_MATRICES = ("X", "WQ", "Q", "KT", "S", "scaled", "E", "A", "Z")


def _runs(color_system: str, **options: object) -> list[tuple[str, str]]:
    """The classic rendered at this colour system, as (SGR parameters, text) runs."""
    console = Console(file=io.StringIO(), force_terminal=True, color_system=color_system, width=120)  # type: ignore[arg-type]
    lines = render(walk(builtin_example()), width=120, color_system=console.color_system, **options)  # type: ignore[arg-type]
    console.print(Text("\n").join(lines), soft_wrap=True)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return [(m[1], m[2]) for m in SGR.finditer(out)]


def _colour(params: str) -> str:
    """The foreground colour of an SGR sequence, without bold or italic."""
    parts = params.split(";")
    for k, p in enumerate(parts):
        if p == "38":
            return ";".join(parts[k : k + (3 if parts[k + 1] == "5" else 5)])
        if p.isdigit() and (30 <= int(p) <= 37 or 90 <= int(p) <= 97):
            return p
    return ""


@pytest.mark.parametrize(
    ("color_system", "pattern"),
    [("truecolor", r"38;2;\d+;\d+;\d+"), ("256", r"38;5;\d+"), ("standard", r"3[0-7]|9[0-7]")],
)
def test_every_role_has_its_own_colour_at_each_colour_system(color_system: str, pattern: str) -> None:
    runs = _runs(color_system)
    titles: dict[str, set[str]] = {}
    for params, text in runs:
        name = text.strip().split(" = ")[0]
        if name in ROLE_MATRICES and "1" in params.split(";"):  # a matrix's bold title
            titles.setdefault(name, set()).add(_colour(params))
    assert set(titles) == set(ROLE_MATRICES)
    for name, found in titles.items():
        assert len(found) == 1, (name, found)  # one colour per matrix, wherever it is drawn
        assert re.fullmatch(pattern, next(iter(found))), (name, found)
    colours = {name: next(iter(found)) for name, found in titles.items()}
    assert len(set(colours.values())) == len(ROLE_MATRICES), colours  # no two roles share a colour
    # the same role keeps the same colour: K and V as Q, sums as E
    again = {text.strip(): _colour(p) for p, text in runs if text.strip() in ("K = W_K·X", "sums")}
    assert again == {"K = W_K·X": colours["Q"], "sums": colours["E"]}


@pytest.mark.parametrize("color_system", ["truecolor", "256", "standard"])
def test_every_step_heading_is_coloured(color_system: str) -> None:
    headings = [(p, t) for p, t in _runs(color_system) if t.startswith(" Step ")]
    assert [t.split(" · ")[0].strip() for _, t in headings] == [f"Step {n}" for n in range(1, 10)]
    assert all(_colour(p) for p, _ in headings), headings
    # the heading wears its result's colour: step 4 as S, step 8 as A, step 9 as Z
    runs = _runs(color_system)
    title = {t.strip().split(" = ")[0]: _colour(p) for p, t in runs if "1" in p.split(";")}
    by_step = {t.split(" · ")[0].strip(): _colour(p) for p, t in headings}
    expected = {"Step 1": "X", "Step 3": "KT", "Step 4": "S", "Step 8": "A", "Step 9": "Z"}
    assert {step: by_step[step] for step in expected} == {step: title[n] for step, n in expected.items()}


def test_masked_cells_are_grey_and_unlike_any_role() -> None:
    from bythand.problem import load_example

    trace = walk(load_example("masked-6x4"))
    for system, grey in (("truecolor", "38;2;128;128;128"), ("256", "38;5;244"), ("standard", "90")):
        console = Console(file=io.StringIO(), force_terminal=True, color_system=system, width=120)  # type: ignore[arg-type]
        lines = render(trace, width=120, color_system=console.color_system, steps=[5])
        console.print(Text("\n").join(lines), soft_wrap=True)
        out = console.file.getvalue()  # type: ignore[attr-defined]
        masked = [_colour(p) for p, t in SGR.findall(out) if t.strip() == "-∞"]
        assert masked and set(masked) == {grey}, (system, masked)


@pytest.mark.parametrize(
    ("term", "pattern"),
    [("xterm-direct", r"38;2;\d+;\d+;\d+"), ("xterm-256color", r"38;5;\d+"), ("xterm", r"3[0-7]|9[0-7]")],
)
def test_check_marks_every_verdict_in_its_own_colour(tmp_path: Path, term: str, pattern: str) -> None:
    """check's report in a terminal of each colour system: ✓ → ✗ · ? never share a colour (in 16 colours
    rich's nearest match made correct grey and wrong the yellow of unreadable)."""
    import os
    import subprocess
    import sys
    from fractions import Fraction

    from bythand.problem import builtin_example as classic

    import student

    lines = student.toml(student.work(classic(), {"Q": (0, 0, Fraction(99))})).splitlines()  # then carried
    k = next(k for k, line in enumerate(lines) if line.startswith("V = "))
    cells = re.findall(r'"[^"]*"', lines[k])
    lines[k] = lines[k].replace(cells[0], '"abc"', 1).replace(cells[1], '"?"', 1)  # unreadable, blank
    text = "\n".join(lines) + "\n"
    path = tmp_path / "a.toml"
    path.write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLORTERM", "TERM", "COLUMNS")}
    env.update(FORCE_COLOR="1", TERM=term, COLUMNS="200")
    if term == "xterm-direct":
        env["COLORTERM"] = "truecolor"
    out = subprocess.run(
        [sys.executable, "-m", "bythand", "check", str(path)],
        capture_output=True, text=True, env=env, check=False,
    ).stdout  # fmt: skip
    marks: dict[str, set[str]] = {}
    for params, run in SGR.findall(out):
        cell = run.strip()
        if "(from your own" in cell or "(not a number" in cell:
            continue  # the legend, dim
        if cell[:1] in ("✓", "→", "✗", "·", "?") and (len(cell) == 1 or cell[1] == " "):  # a marked cell
            marks.setdefault(cell[0], set()).add(_colour(params))
    assert set(marks) == set("✓→✗·?"), marks
    for mark, found in marks.items():
        assert len(found) == 1 and re.fullmatch(pattern, next(iter(found))), (mark, found)
    assert len({next(iter(f)) for f in marks.values()}) == 5, marks
