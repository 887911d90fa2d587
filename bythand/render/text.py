"""Markdown, LaTeX and CSV views of a Trace: plain strings, one function per format."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable

from ..numbers import NumberMode, fraction_text, is_exact
from ..walk import MASKED, Step, Trace
from .labels import cell_text, display_mode, labels, matrix_mode, method_text, step_heading


def chosen_steps(trace: Trace, steps: Iterable[int] | None) -> list[Step]:
    """The trace's steps, or only those numbered in `steps`."""
    wanted = set(steps) if steps is not None else None
    return [s for s in trace.steps if wanted is None or s.number in wanted]


def _cells(trace: Trace, name: str, numbers: NumberMode, precision: int) -> list[list[str]]:
    m = trace[name]
    mode = matrix_mode(m, display_mode(trace, numbers))
    return [[cell_text(m, i, j, mode, precision) for j in range(m.shape[1])] for i in range(m.shape[0])]


# Markdown

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def to_markdown(
    trace: Trace,
    *,
    steps: Iterable[int] | None = None,
    numbers: NumberMode = "auto",
    precision: int = 2,
    show_work: bool = False,
) -> str:
    """A heading per step, its formula as code, a GitHub table per matrix, and any work in code blocks."""
    out = [f"# {_md(trace.problem.title)}", "", method_text(trace), ""]
    out += [f"> Note: {_md(note)}" for note in trace.notes]
    work = _markdown_work(trace, precision) if show_work else None
    for step in chosen_steps(trace, steps):
        out += ["", f"## {step_heading(step)}", "", f"`{step.formula}`"]
        for name in step.names:
            rows, cols = labels(trace, name)
            out += ["", f"**{_md(name)}**", "", "| " + " | ".join([name, *cols]) + " |"]
            out.append("|" + "|".join(["---"] + ["---:"] * len(cols)) + "|")
            for label, row in zip(rows, _cells(trace, name, numbers, precision), strict=True):
                out.append("| " + " | ".join([label, *row]) + " |")
        if work is not None:
            out += work(step)
    return "\n".join(out) + "\n"


def _markdown_work(trace: Trace, precision: int) -> Callable[[Step], list[str]]:
    """--show-work's lines under each step, from one budget; the explanations load only when asked for."""
    from .work import WorkBudget, step_work

    budget = WorkBudget()

    def lines(step: Step) -> list[str]:
        work = step_work(trace, step, budget, precision)
        if work is None:
            return []
        out = []
        if work.cells:
            out += [
                "",
                "**Work:**",
                "",
                "```text",
                *(line for _, lines in work.cells for line in lines),
                "```",
            ]
        return out + (["", f"*{_md(work.stop)}*"] if work.stop is not None else [])

    return lines


# LaTeX (a document body: needs only amsmath)

_TEX_SPECIAL = {c: "\\" + c for c in "&%$#_{}"} | {
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
}
_TEX_NAMES = {
    "WQ": "W_Q", "WK": "W_K", "WV": "W_V", "WO": "W_O", "KT": "K^{\\top}",
    "scaled": "\\mathrm{scaled}", "sums": "\\mathrm{sums}", "concat": "\\mathrm{concat}",
}  # fmt: skip
_TEX_NAMES["embed"] = "\\mathrm{embed}"  # step 0


def _tex_text(text: str) -> str:
    return "".join(_TEX_SPECIAL.get(c, c) for c in text)


def tex_name(name: str) -> str:
    """A matrix name in maths: "h2.KT" -> K^{\\top (2)}."""
    head, _, base = name.rpartition(".")
    tex = _TEX_NAMES.get(base, base)
    if not head:
        return tex
    index = head[1:]
    return tex[:-1] + f" ({index})}}" if tex.endswith("}") and "^" in tex else f"{tex}^{{({index})}}"


def tex_cell(text: str) -> str:
    """One shown value in maths: "9/46" -> \\frac{9}{46}, "-∞" -> -\\infty."""
    if text in ("-∞", "∞"):
        return "-\\infty" if text.startswith("-") else "\\infty"
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("-")
    if "/" in body:
        top, bottom = body.split("/")
        return f"{sign}\\frac{{{top}}}{{{bottom}}}"
    return text


def _tex_formula(trace: Trace, step: Step) -> str:
    """The step's rule in LaTeX, per convention and options."""
    o = trace.options
    cols = o.convention == "columns"
    src = "X" if trace.problem.C is None else "C"
    dk = trace.problem.d_k
    number = step.number
    if number == 0:
        return _tex_embed(trace)
    if number == 1:
        where = "columns" if cols else "rows"
        return f"Given: the feature vectors $x_1, \\dots, x_n$ as the {where} of $X$."
    if number == 2:
        if cols:
            return f"$Q = W_Q X,\\quad K = W_K {src},\\quad V = W_V {src}$"
        return f"$Q = X W_Q,\\quad K = {src} W_K,\\quad V = {src} W_V$"
    if number == 3:
        return "Copy $Q$; write $K^{\\top}$, $K$ transposed."
    if number == 4:
        if cols:
            return "$S = K^{\\top} Q,\\quad S_{ij} = k_i \\cdot q_j$"
        return "$S = Q K^{\\top},\\quad S_{ij} = q_i \\cdot k_j$"
    if number == 5:
        rule = {
            "sqrt": f"$S / \\sqrt{{d_k}} = S / \\sqrt{{{dk}}}$",
            "floor-half": "$\\lfloor S/2 \\rfloor$, the hand trick for $S / \\sqrt{3}$",
            "none": "$S$, no scaling",
        }[o.scale]
        return rule + ("; a key after its query is masked with $-\\infty$" if o.mask == "causal" else "")
    if number == 6:
        return f"$E = {'e' if o.base is None else o.base}^{{x}}$"
    if number == 7:
        return "$\\mathrm{sums}_j = \\sum_i E_{ij}$" if cols else "$\\mathrm{sums}_i = \\sum_j E_{ij}$"
    if number == 8:
        return "$A_{ij} = E_{ij} / \\mathrm{sums}_j$" if cols else "$A_{ij} = E_{ij} / \\mathrm{sums}_i$"
    if number == 9:
        return "$Z = V A$" if cols else "$Z = A V$"
    if number == 10:
        parts = ", ".join(f"Z^{{({i + 1})}}" for i in range(len(trace.problem.heads)))
        return f"$\\mathrm{{concat}} = [{parts}]$"
    operand = "\\mathrm{concat}" if "concat" in trace.matrices else "Z"
    return f"$O = W_O {operand}$" if cols else f"$O = {operand} W_O$"


def _tex_embed(trace: Trace) -> str:
    """Step 0's rule: X = embed + P, and the sinusoidal formula when P comes from it."""
    e = trace.problem.embedding
    cols = trace.options.convention == "columns"
    if e is None or e.P is None:
        return "$X = \\mathrm{embed}$: each token's word vector (no positional encoding)."
    rule = "$X = \\mathrm{embed} + P,\\quad " + ("x_j = e(t_j) + p_j$" if cols else "x_i = e(t_i) + p_i$")
    if e.positions != "sinusoidal":
        return rule
    even, odd = ("P_{2i,\\,pos}", "P_{2i+1,\\,pos}") if cols else ("P_{pos,\\,2i}", "P_{pos,\\,2i+1}")
    angle = f"pos / {e.base}^{{2i/d}}"
    return rule + f"; ${even} = \\sin({angle}),\\quad {odd} = \\cos({angle})$"


def to_latex(
    trace: Trace, *, steps: Iterable[int] | None = None, numbers: NumberMode = "auto", precision: int = 2
) -> str:
    """A LaTeX document body: one bmatrix per matrix, fractions as \\frac; needs only amsmath."""
    out = [
        "% Generated by bythand; needs \\usepackage{amsmath}.",
        f"\\section*{{{_tex_text(trace.problem.title)}}}",
        f"\\noindent {_tex_method(trace)}",
        "",
    ]
    for note in trace.notes:
        out += [f"\\noindent Note: {_tex_text(_ascii_method(note))}", ""]
    for step in chosen_steps(trace, steps):
        out += [f"\\subsection*{{{_tex_text(_ascii_method(step_heading(step)))}}}", _tex_formula(trace, step)]
        for name in step.names:
            body = " \\\\\n  ".join(
                " & ".join(tex_cell(t) for t in row) for row in _cells(trace, name, numbers, precision)
            )
            out += ["\\[", f"{tex_name(name)} = \\begin{{bmatrix}}", f"  {body}", "\\end{bmatrix}", "\\]"]
        out.append("")
    return "\n".join(out)


def _tex_method(trace: Trace) -> str:
    """The method line with its symbols as maths."""
    o = trace.options
    scale = {
        "sqrt": f"$\\div\\sqrt{{{trace.problem.d_k}}}$",
        "floor-half": "$\\lfloor x/2 \\rfloor$",
        "none": "no scaling",
    }[o.scale]
    exp = f"${'e' if o.base is None else o.base}^{{x}}$"
    numbers = "exact fractions" if trace.exact else "decimals"
    return f"{o.convention} convention; scale {scale}; {exp}; mask {o.mask}; {numbers}"


_TEX_WORDS = (
    (" · Step", ", Step"), (" · ", ": "), ("·", "-"), ("⌊x/2⌋", "floor(x/2)"), ("÷√", "divide by sqrt "),
    ("√", "sqrt "), ("−∞", "-infinity"), ("Σ", "sum"), ("≈", "~"), ("÷", "/"),
)  # fmt: skip


def _ascii_method(text: str) -> str:
    """Method and heading words with their symbols spelled for LaTeX text mode."""
    for symbol, word in _TEX_WORDS:
        text = text.replace(symbol, word)
    return text


# CSV


def to_csv(trace: Trace, *, steps: Iterable[int] | None = None) -> str:
    """One block per matrix: a header row named after it, then its rows; exact values as "9/46"."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    seen: list[str] = []
    for step in chosen_steps(trace, steps):
        seen += [n for n in step.names if n not in seen]
    for k, name in enumerate(seen):
        m = trace[name]
        rows, cols = labels(trace, name)
        if k:
            writer.writerow([])
        writer.writerow([name, *cols])
        for i, label in enumerate(rows):
            values = []
            for j in range(m.shape[1]):
                v = m[i, j]
                if v == MASKED:
                    values.append("-inf")
                elif is_exact(m):
                    values.append(fraction_text(v))
                else:
                    values.append(repr(float(v)))
            writer.writerow([label, *values])
    return buffer.getvalue()
