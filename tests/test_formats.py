"""Markdown, LaTeX, HTML, SVG and CSV output, --output files, and the notebook view."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bythand import builtin_example, walk
from bythand.render.palette import ROLES

from conftest import Runner
from test_cli import snapshot


def test_markdown_snapshot(cli: Runner) -> None:
    result = cli("run", "--format", "markdown")
    assert result.code == 0, result.err
    snapshot("classic.md", result.out)
    assert "## Step 8 · Softmax: 1/sum" in result.out
    assert "| k2 | 27/46 | 9/28 | 3/22 | 3/4 |" in result.out


def test_markdown_escapes_a_hostile_title(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('title = "*bold* | #import"\nX = [[1]]\nWQ = [[1]]\nWK = [[1]]\nWV = [[1]]\n', "utf-8")
    out = cli("run", str(path), "-f", "markdown").out
    assert out.startswith("# \\*bold\\* \\| \\#import\n")


def test_latex_snapshot_and_structure(cli: Runner) -> None:
    out = cli("run", "--format", "latex").out
    snapshot("classic.tex", out)
    assert out.count("\\begin{bmatrix}") == out.count("\\end{bmatrix}") == 15
    assert out.count("\\[") == out.count("\\]") == 15
    fracs = re.findall(r"\\frac(\S*)", out)
    assert fracs and all(re.fullmatch(r"\{\d+\}\{\d+\}", f.rstrip("&\\")) for f in fracs)
    assert "\\frac{9}{46}" in out and "\\frac{180}{23}" in out
    assert "- \\frac" not in out and "-\\frac{1}{3}" not in out  # E has 1/3, never negative


def test_latex_masks_and_heads(cli: Runner) -> None:
    out = cli("run", "--mask", "causal", "--heads", "3", "-f", "latex", "--step", "5").out
    assert "-\\infty" in out
    assert "\\mathrm{scaled}^{(2)} = \\begin{bmatrix}" in out
    assert "a key after its query is masked with $-\\infty$" in out


@pytest.mark.skipif(
    shutil.which("pdflatex") is None, reason="pdflatex is not installed (.ci/run installs texlive-latex-base)"
)
def test_latex_compiles_with_amsmath_alone(cli: Runner, tmp_path: Path) -> None:
    body = cli("run", "--no-approx", "--mask", "causal", "-f", "latex").out
    (tmp_path / "body.tex").write_text(body, encoding="utf-8")
    doc = (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n\\input{body}\n\\end{document}\n"
    )
    (tmp_path / "doc.tex").write_text(doc, encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]


def test_csv_blocks(cli: Runner) -> None:
    out = cli("run", "--format", "csv").out
    snapshot("classic.csv", out)
    blocks = out.split("\n\n")
    assert [b.split(",", 1)[0] for b in blocks] == [
        "X", "WQ", "WK", "WV", "Q", "K", "V", "KT", "S", "scaled", "E", "sums", "A", "Z",
    ]  # fmt: skip
    rows = list(csv.reader(io.StringIO(blocks[12])))
    assert rows[0] == ["A", "q1", "q2", "q3", "q4"]
    assert rows[2] == ["k2", "27/46", "9/28", "3/22", "3/4"]
    masked = cli("run", "--mask", "causal", "-f", "csv", "--step", "5").out
    assert masked.splitlines()[2] == "k2,-inf,1,0,2"


def test_csv_floats_keep_full_precision(cli: Runner) -> None:
    out = cli("run", "--no-approx", "-f", "csv", "--step", "5").out
    first = out.splitlines()[1].split(",")[1]
    assert first == repr(3 / 3**0.5)  # S[1,1] = 3, divided by √3, written with every digit


@pytest.mark.parametrize("fmt", ["html", "svg"])
def test_html_and_svg_carry_the_palette(cli: Runner, fmt: str) -> None:
    out = cli("run", "--format", fmt).out
    assert out.lstrip().startswith("<!DOCTYPE html>" if fmt == "html" else "<svg")
    for role, hex_colour in ROLES.items():
        assert hex_colour.lower() in out.lower(), role
    assert "27/46" in out


def test_output_file_is_written_atomically_and_never_clobbered(cli: Runner, tmp_path: Path) -> None:
    target = tmp_path / "trace.md"
    result = cli("run", "-f", "markdown", "-o", str(target))
    assert (result.code, result.out) == (0, f"Wrote {target} (markdown)\n")
    assert target.read_text(encoding="utf-8") == cli("run", "-f", "markdown").out
    result = cli("run", "-f", "csv", "-o", str(target))
    assert (result.code, result.err) == (2, f"Error: {target}: already exists; use --force to overwrite it\n")
    assert target.read_text(encoding="utf-8").startswith("# Self-attention")
    assert cli("run", "-f", "csv", "-o", str(target), "--force").code == 0
    assert target.read_text(encoding="utf-8").startswith("X,x1,x2,x3,x4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.md"]
    missing = tmp_path / "nowhere" / "t.txt"
    result = cli("run", "-o", str(missing))
    assert (result.code, result.err) == (2, f"Error: {missing}: the folder {missing.parent} does not exist\n")


def test_terminal_view_to_a_file_has_no_colour_codes(cli: Runner, tmp_path: Path) -> None:
    target = tmp_path / "trace.txt"
    assert cli("run", "-o", str(target)).code == 0
    text = target.read_text(encoding="utf-8")
    assert "\x1b[" not in text and "╭" in text and "180/23" in text


def test_notebook_view_is_coloured_html() -> None:
    html = walk(builtin_example())._repr_html_()
    assert html.startswith("<pre") and html.rstrip().endswith("</pre>")
    assert ROLES["output"].lower() in html and "180/23" in html
