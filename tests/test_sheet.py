"""The sheet on screen: `run --layout sheet` draws the whole exercise where the layout model puts it."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from rich.cells import cell_len
from test_code import WORDS

from bythand.layout import layout
from bythand.problem import Convention, load_example, load_problem
from bythand.render.canvas import _title
from bythand.walk import Trace, walk

from conftest import Runner
from test_cli import snapshot

EXAMPLES = {
    "classic": "self-attention-6x4",
    "masked": "masked-6x4",
    "cross": "cross-attention-6x4",
    "two-head": "multi-head-2x4",
}
SIZES = [(160, 50), (200, 60)]


def _terminal(monkeypatch: pytest.MonkeyPatch, columns: int, lines: int) -> None:
    """A terminal of this size, as rich sees one (FORCE_COLOR: a terminal even when captured)."""
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("LINES", str(lines))
    monkeypatch.setenv("FORCE_COLOR", "1")


@pytest.mark.parametrize(("key", "size"), list(itertools.product(EXAMPLES, SIZES)))
def test_sheet_snapshots(
    cli: Runner, monkeypatch: pytest.MonkeyPatch, key: str, size: tuple[int, int]
) -> None:
    columns, lines = size
    _terminal(monkeypatch, columns, lines)
    result = cli("run", "--example", EXAMPLES[key], "--layout", "sheet", "-f", "plain")
    assert result.code == 0, result.err
    snapshot(f"sheet-{key}.txt", result.out)  # the same picture at either size: it is placed, not wrapped
    assert max(cell_len(line) for line in result.out.splitlines()) <= columns
    assert "Step 1 ·" not in result.out and "[4] " in result.out and "[9] " in result.out


def test_the_readme_says_how_big_the_classic_sheet_is() -> None:
    from pathlib import Path

    from bythand.render.canvas import sheet_size

    columns, lines = sheet_size(walk(load_example("self-attention-6x4")))
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert f"(the classic needs {columns} columns and {lines} lines)" in readme.replace("\n", " ")


def test_sheet_in_colour_snapshot(cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    _terminal(monkeypatch, 160, 50)
    monkeypatch.setenv("COLORTERM", "truecolor")
    result = cli("run", "--layout", "sheet")
    snapshot("sheet-classic-truecolor.txt", result.out)
    assert "\x1b[1;38;2;142;68;173m[4] S = Kᵀ·Q" in result.out  # S's purple, as in the steps view


def _view(result_out: str) -> str:
    return "sheet" if "[4] S = Kᵀ·Q" in result_out and "Step 4 ·" not in result_out else "steps"


@pytest.mark.parametrize(
    ("columns", "lines", "expected"),
    [(80, 50, "steps"), (120, 50, "sheet"), (160, 50, "sheet"), (200, 60, "sheet"), (200, 35, "steps")],
)
def test_auto_layout_picks_the_sheet_where_it_fits(
    cli: Runner, monkeypatch: pytest.MonkeyPatch, columns: int, lines: int, expected: str
) -> None:
    _terminal(monkeypatch, columns, lines)  # the classic's sheet is 103 columns and 40 lines
    assert _view(cli("run").out) == expected
    assert _view(cli("run", "-f", "plain").out) == expected
    assert _view(cli("run", "--layout", "steps").out) == "steps"


def test_auto_layout_elsewhere_is_the_steps(cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    _terminal(monkeypatch, 200, 60)
    assert "Step 1 ·" in cli("run", "--example", "multi-head-2x4").out  # 74 lines: taller than 60
    assert "Step 4 ·" in cli("run", "--step", "4").out  # some steps: the step view
    assert "Step 4 ·" in cli("run", "--show-work").out
    monkeypatch.delenv("FORCE_COLOR")  # a pipe or a file: always the steps, however wide
    assert "Step 4 ·" in cli("run").out


def test_html_svg_and_plain_files_follow_the_layout(cli: Runner, tmp_path: object) -> None:
    html = cli("run", "--layout", "sheet", "-f", "html").out
    assert "[4] S = Kᵀ·Q" in html and "Step 4 ·" not in html
    assert "Step 4 ·" in cli("run", "-f", "html").out  # auto, not on a terminal: the steps
    svg = cli("run", "--layout", "sheet", "-f", "svg").out
    assert svg.startswith("<svg") and "[8]" in svg and "Step" not in svg


SHEET_FORMATS = "Error: --layout sheet draws the terminal, plain, html and svg views, not json"
SHEET_STEPS = "Error: --layout sheet shows the whole exercise; --step goes with --layout steps"
SHEET_WORK = "Error: --show-work writes its working under each step; use it with --layout steps"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--layout", "grid"), "Error: --layout: unknown value 'grid' (choose auto, sheet, steps)"),
        (("--layout", "sheet", "-f", "json"), SHEET_FORMATS),
        (("--layout", "sheet", "--step", "4"), SHEET_STEPS),
        (("--layout", "sheet", "--show-work"), SHEET_WORK),
    ],
)
def test_layout_errors(cli: Runner, args: tuple[str, ...], message: str) -> None:
    result = cli("run", *args)
    assert (result.code, result.out, result.err) == (2, "", message + "\n")


@pytest.mark.parametrize(("key", "convention"), list(itertools.product(EXAMPLES, ("columns", "rows"))))
def test_the_screen_keeps_the_models_placement(cli: Runner, key: str, convention: Convention) -> None:
    """Every matrix's title sits where the layout model puts the matrix, relative to every other."""
    args = ("run", "--example", EXAMPLES[key], "--convention", convention, "--layout", "sheet", "-f", "plain")
    _same_placement(cli(*args).out, walk(load_example(EXAMPLES[key]).in_convention(convention)))


@pytest.mark.parametrize("convention", ["columns", "rows"])
def test_step_zero_keeps_the_models_placement(cli: Runner, tmp_path: Path, convention: Convention) -> None:
    path = tmp_path / "words.toml"
    path.write_text(WORDS, encoding="utf-8")
    out = cli("run", str(path), "--convention", convention, "--layout", "sheet", "-f", "plain").out
    assert "[0] X = embed + P" in out and "X (copy)" in out
    _same_placement(out, walk(load_problem(path).in_convention(convention)))


def _same_placement(out: str, trace: Trace) -> None:
    lines = out.splitlines()
    items = layout(trace).items()
    found = {}
    for it in items:
        full, short = _title(trace, it)
        hits = [(n, line.index(full)) for n, line in enumerate(lines) if _at_word(line, full)]
        if not hits:  # a title too long for its matrix is cut to the short one
            hits = [(n, line.index(short)) for n, line in enumerate(lines) if _at_word(line, short)]
        assert len(hits) == 1, (it.name, full, hits)
        found[id(it)] = hits[0]
    for a, b in itertools.combinations(items, 2):
        (ya, xa), (yb, xb) = found[id(a)], found[id(b)]
        assert (a.top > b.top) == (ya > yb) and (a.top == b.top) == (ya == yb), (a.name, b.name)
        assert (a.left > b.left) == (xa > xb) and (a.left == b.left) == (xa == xb), (a.name, b.name)


def _at_word(line: str, title: str) -> bool:
    """The title stands on its own in the line (not part of a longer title)."""
    k = line.find(title)
    if k < 0:
        return False
    after = line[k + len(title) : k + len(title) + 1]
    inside = line[max(0, k - 2) : k] in ("] ", "= ", "+ ")  # part of another title: "[2] h1.Q", "= embed"
    return (k == 0 or line[k - 1] == " ") and after in ("", " ") and not inside
