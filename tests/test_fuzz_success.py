"""A fuzz that reaches success: valid problems and answers files, perturbed a little, through the real CLI.

Each draw starts from a valid file and changes one thing (a value, a size, an option, one malformed
cell) or nothing. A run that fails must fail cleanly (one `Error:` line, exit 2); a run that succeeds
must agree with the independent reference, matrix by matrix (run) or cell by cell (check). The share of
draws that end in a result is printed and must be at least half. `pytest -m slow` runs 5,000 draws
per entry point.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import reference as ref
from fuzz import assert_clean, call
from strategies import Drawn, drawn
from student import ORDER, text, work

SHORT = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))

NUMBERS = st.one_of(st.integers(-3, 3), st.sampled_from([0.25, -0.5, 1.5, "1/3", "-2/5", "0.1", "3/4"]))
MALFORMED = st.sampled_from(["x", "", "1/0", "nan", "inf", True, "1..2", [1], "--1", "1e999"])
SCALES = st.sampled_from(["sqrt", "floor-half", "none", "half"])
EXPS = st.sampled_from(["e", "3", "2", 3, "1", "pi"])
MASKS = st.sampled_from(["none", "causal", "future"])
CONVENTIONS = st.sampled_from(["columns", "rows", "diagonal"])
ANY = "*"  # the slip marker of a change to many cells at once
FLAGS = {"scale": SCALES, "exp": EXPS, "mask": MASKS, "convention": CONVENTIONS}


# Writing files


def cell_value(v: ref.Num, as_string: bool) -> Any:
    """A cell as a file holds it: an int, a TOML/JSON float (a quarter), or a string such as "1/3"."""
    assert isinstance(v, Fraction)
    if v.denominator == 1:
        return str(v.numerator) if as_string else v.numerator
    return f"{v.numerator}/{v.denominator}" if as_string else float(v)


def problem_data(d: Drawn, as_string: bool) -> dict[str, Any]:
    """The problem as the dict a TOML or JSON file holds."""

    def m(rows: ref.Mat) -> list[list[Any]]:
        return [[cell_value(v, as_string) for v in row] for row in rows]

    data: dict[str, Any] = {"X": m(d.X)}
    if d.options["convention"] == "rows":
        data["convention"] = "rows"
    if d.C is not None:
        data["C"] = m(d.C)
    if d.listed:
        data["heads"] = [{"WQ": m(q), "WK": m(k), "WV": m(v)} for q, k, v in d.head_weights()]
    else:
        data.update(WQ=m(d.weights[0]), WK=m(d.weights[1]), WV=m(d.weights[2]))
        if d.heads > 1:
            data["heads"] = d.heads
    if d.WO is not None:
        data["WO"] = m(d.WO)
    data["options"] = {k: v for k, v in d.options.items() if k != "convention"}
    return data


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(v)  # ints, floats and strings are written alike in TOML and JSON


def to_toml(data: dict[str, Any]) -> str:
    lines = [f"{k} = {toml_value(v)}" for k, v in data.items() if k not in ("options", "heads")]
    if isinstance(data.get("heads"), int):
        lines.append(f"heads = {data['heads']}")
    if "options" in data:  # a table before [[heads]], so the heads' keys do not land in it
        lines += ["[options]", *(f"{k} = {toml_value(v)}" for k, v in data["options"].items())]
    heads = data.get("heads")
    for head in heads if isinstance(heads, list) else []:
        lines += ["[[heads]]", *(f"{k} = {toml_value(v)}" for k, v in head.items())]
    return "\n".join(lines) + "\n"


def write(folder: Path, name: str, data: dict[str, Any]) -> Path:
    path = folder / name
    body = json.dumps(data) if name.endswith(".json") else to_toml(data)
    path.write_text(body, encoding="utf-8")
    return path


# The reference, from what the file says


def exact(v: Any) -> Fraction:
    """A file's number as bythand is documented to read it: decimals as written, exactly."""
    if isinstance(v, float):
        return Fraction(repr(v))
    return Fraction(v) if isinstance(v, int) else Fraction(str(v).strip())


def readable(v: Any) -> Fraction | None:
    """A written answer as a number, or None for what is not one ("x", true, a list)."""
    try:
        return None if isinstance(v, bool | list) else exact(v)
    except (ValueError, ZeroDivisionError):
        return None


def expected_trace(data: dict[str, Any], flags: dict[str, Any]) -> dict[str, ref.Mat]:
    """The reference's trace of a problem file run with these flags."""
    options = {"scale": "sqrt", "exp": "e", "mask": "none", **data.get("options", {})}
    options = {k: str(v) for k, v in {**options, **flags}.items() if k != "convention"}
    given_in = data.get("convention", "columns")
    convention = flags.get("convention", given_in)
    turn = convention != given_in

    def m(rows: list[list[Any]]) -> ref.Mat:
        out: ref.Mat = [[exact(v) for v in row] for row in rows]
        return ref.transpose(out) if turn else out

    columns = convention == "columns"
    if isinstance(data.get("heads"), list):
        heads = [(m(h["WQ"]), m(h["WK"]), m(h["WV"])) for h in data["heads"]]
    else:
        count = data.get("heads", 1)
        parts = [ref.split(m(data[w]), count, columns) for w in ("WQ", "WK", "WV")]
        heads = list(zip(*parts, strict=True))
    C = m(data["C"]) if "C" in data else None
    WO = m(data["WO"]) if "WO" in data else None
    return ref.trace(m(data["X"]), heads, C=C, WO=WO, convention=convention, **options)


def from_json(entry: dict[str, Any]) -> ref.Mat:
    """A matrix of `run -f json`: exact strings where exact, else floats (None for −∞)."""
    if entry.get("exact"):
        return [[ref.MASKED if s == "-inf" else Fraction(s) for s in row] for row in entry["exact"]]
    return [[ref.MASKED if v is None else float(v) for v in row] for row in entry["values"]]


# Perturbations


@st.composite
def perturbed_problem(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A valid problem file's data with at most one thing changed, the flags to run it with, a suffix."""
    d = draw(drawn(kinds=("int", "decimal")))
    data = problem_data(d, as_string=draw(st.booleans()))
    flags: dict[str, Any] = {}
    how = draw(st.sampled_from(["none", "value", "size", "option", "flag", "malformed"]))
    names = [k for k in ("X", "C", "WQ", "WK", "WV", "WO") if isinstance(data.get(k), list)]
    target = draw(st.sampled_from(names))
    rows = data[target]
    i, j = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, len(rows[0]) - 1))
    if how == "value":
        rows[i][j] = draw(NUMBERS)
    elif how == "malformed":
        rows[i][j] = draw(MALFORMED)
    elif how == "size":
        change = draw(st.sampled_from(["drop row", "add row", "drop column", "add column"]))
        if change == "drop row" and len(rows) > 1:
            del rows[i]
        elif change == "add row":
            rows.append(list(rows[i]))
        elif change == "drop column" and len(rows[0]) > 1:
            for row in rows:
                del row[j]
        elif change == "add column":
            for row in rows:
                row.append(row[j])
    elif how == "option":
        key = draw(st.sampled_from(["scale", "exp", "mask"]))
        data["options"][key] = draw(FLAGS[key])
    elif how == "flag":
        key = draw(st.sampled_from(sorted(FLAGS)))
        flags[key] = draw(FLAGS[key])
    return data, flags, draw(st.sampled_from([".toml", ".json"]))


def run_once(data: dict[str, Any], flags: dict[str, Any], suffix: str) -> bool:
    """Run the file; on success compare every matrix with the reference. True when it ended in a result."""
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), "p" + suffix, data)
        args = [f"--{k}={v}" for k, v in flags.items()]
        code, out, err = call("run", str(path), "-f", "json", *args)
    assert_clean(code, out, err)
    if code != 0:
        return False
    result = json.loads(out)
    got = {name: from_json(entry) for name, entry in result["matrices"].items()}
    expected = expected_trace(data, flags)
    assert result["exact"] == all(ref.is_exact(m) for m in expected.values()), (data, flags)
    for name, entry in result["matrices"].items():
        if not entry.get("exact") and name in expected:  # a decimal trace: every matrix shown as floats
            expected[name] = [[v if v == ref.MASKED else float(v) for v in row] for row in expected[name]]
    assert ref.differences(got, expected) == [], (data, flags)
    return True


@st.composite
def perturbed_answers(draw: st.DrawFn) -> tuple[Drawn, dict[str, Any], str, tuple[str, int, int] | None]:
    """A student's correct answers to a valid problem, with at most one thing changed.

    Returns the problem, the answers' data, the suffix, and the cell given a wrong value (if any).
    """
    d = draw(drawn(kinds=("int", "decimal"), variants=False))
    answers = work(d.problem())
    steps = draw(st.lists(st.sampled_from(ORDER), min_size=1, unique=True))
    data: dict[str, Any] = {"name": "Ada"}
    for name in ORDER:
        if name in steps:
            data[name] = [[json.loads(text(v)) for v in row] for row in answers[name].tolist()]
    how = draw(st.sampled_from(["none", "none", "value", "blank", "malformed", "size", "unknown"]))
    name = draw(st.sampled_from(steps))
    rows = data[name]
    i, j = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, len(rows[0]) - 1))
    slip = None
    if how == "value" and rows[i][j] != "-inf":
        truth = answers[name][i, j]
        changed = truth + draw(st.sampled_from([1, -1, Fraction(1, 2)]))
        rows[i][j] = json.loads(text(changed))
        slip = (name, i, j)
    elif how == "blank":
        rows[i][j] = "?"
    elif how == "malformed":
        rows[i][j] = draw(MALFORMED)
    elif how == "size":  # a square matrix transposed is still a valid shape: many cells change
        data[name] = ref.transpose(rows) if draw(st.booleans()) else rows[:-1] or [[1]]
        slip = (ANY, 0, 0)
    elif how == "unknown":
        data[draw(st.sampled_from(["Zz", "WQ", "concat", "q"]))] = [[1]]
    return d, data, draw(st.sampled_from([".toml", ".json"])), slip


def check_once(d: Drawn, data: dict[str, Any], suffix: str, slip: tuple[str, int, int] | None) -> bool:
    """Grade the answers; on success a cell written as the reference's value is correct, the slip wrong."""
    expected = d.reference()
    with tempfile.TemporaryDirectory() as folder:
        write(Path(folder), "p.toml", problem_data(d, as_string=True))
        path = write(Path(folder), "a" + suffix, {"problem": "p.toml", **data})
        code, out, err = call("check", str(path), "-f", "json")
    assert_clean(code, out, err, graded=True)
    if code not in (0, 1):
        return False
    report = json.loads(out)
    for name, step in report["steps"].items():
        for i, row in enumerate(step["cells"]):
            for j, verdict in enumerate(row):
                written = data[name][i][j] if len(data[name]) > i and len(data[name][i]) > j else None
                if (name, i, j) == slip:
                    assert verdict == "wrong", (name, i, j)
                elif written in ("?", ""):
                    assert verdict == "blank", (name, i, j)
                elif written == "-inf":
                    assert (verdict == "correct") == (expected[name][i][j] == ref.MASKED), (name, i, j)
                elif isinstance(expected[name][i][j], Fraction) and written is not None:
                    right = readable(written) == expected[name][i][j]
                    assert (verdict == "correct") == right, (name, i, j, written, verdict)
    assert (
        (slip is not None and slip[0] == ANY)
        or report["summary"]["wrong"] == (1 if slip else 0)
        or any(
            isinstance(v, bool | list) or v in ("x", "1/0", "nan", "inf", "1..2", "--1", "1e999")
            for rows in data.values()
            if isinstance(rows, list)
            for row in rows
            for v in row
        )
    )
    return True


def fuzz(strategy: st.SearchStrategy[Any], once: Callable[..., bool], how: settings, label: str) -> None:
    """Draw, run, tally; print the share of draws that ended in a result, and require half."""
    tally: Counter[str] = Counter()

    @how
    @given(strategy)
    def one(case: Any) -> None:
        tally["result" if once(*case) else "error"] += 1

    one()
    total = sum(tally.values())
    share = tally["result"] / total
    print(f"\n{label}: {tally['result']} of {total} draws ended in a result ({share:.0%})")
    assert share >= 0.5, tally


def test_fuzz_run_reaches_success(capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        fuzz(perturbed_problem(), run_once, SHORT, "run")


def test_fuzz_check_reaches_success(capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        fuzz(perturbed_answers(), check_once, SHORT, "check")


@pytest.mark.slow
def test_fuzz_run_reaches_success_long(capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        fuzz(perturbed_problem(), run_once, LONG, "run (long)")


@pytest.mark.slow
def test_fuzz_check_reaches_success_long(capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        fuzz(perturbed_answers(), check_once, LONG, "check (long)")
