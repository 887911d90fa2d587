"""`run --format numpy / pytorch`: the scripts run, and print every matrix of the trace to 1e-12."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from bythand import Problem, walk
from bythand.generate import generate, make_params
from bythand.numbers import to_float
from bythand.problem import load_example, parse_problem_text
from bythand.render.code import to_numpy, to_pytorch
from bythand.walk import Trace

from conftest import Runner
from test_cli import snapshot

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(
    not HAS_TORCH, reason="torch is not installed here (it is not a test dependency)"
)

WORDS = """\
title = "Write a poem"
convention = "rows"
tokens = ["Write", "a", "poem"]
positions = "sinusoidal"
position_base = 100
WQ = [[1, 0], [0, 1], [1, 0], [0, 1]]
WK = [[0, 1], [1, 0], [0, 1], [1, 1]]
WV = [[1, 0], [0, 1], [1, 1], [0, 0]]

[embeddings]
Write = [1, 0, 1, 0]
a = [0, 2, 0, 1]
poem = [1, 1, 0, 2]

[options]
mask = "causal"
"""

IDS = """\
title = "Token ids"
token_ids = [2, 0, 2]
embedding = [[1, 0, 2], [0, 1, "1/2"]]
P = [[0, 1, 2], [1, 0, -1]]
WQ = [[1, 1]]
WK = [[1, -1]]
WV = [[2, 0], [0, 3]]
"""


def parse_printed(out: str) -> dict[str, np.ndarray]:
    """The matrices a script printed: a "NAME =" line, then one line of numbers per row."""
    found: dict[str, list[list[float]]] = {}
    name = None
    for line in out.splitlines():
        if line.endswith(" ="):
            name = line[:-2]
            found[name] = []
        elif line.strip():
            assert name is not None, line
            found[name].append([float(v) for v in line.split()])
    return {k: np.array(v) for k, v in found.items()}


def run_script(source: str, tmp_path: Path, name: str) -> dict[str, np.ndarray]:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(path), "17"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return parse_printed(done.stdout)


def assert_same(trace: Trace, printed: dict[str, np.ndarray], problem: str = "") -> None:
    assert list(printed) == _order(trace), problem
    for name, m in trace.matrices.items():
        want = to_float(m)
        assert printed[name].shape == want.shape, (problem, name)
        masked = np.isneginf(want)
        assert (np.isneginf(printed[name]) == masked).all(), (problem, name)
        assert np.allclose(printed[name][~masked], want[~masked], rtol=1e-12, atol=1e-12), (problem, name)


def _order(trace: Trace) -> list[str]:
    """The names in the order the scripts print them: step 0, the givens, each head's steps, then 10, 11."""
    names = [n for n in ("embed", "P") if n in trace.matrices] + ["X"]
    names += ["C"] if "C" in trace.matrices else []
    p = trace.problem
    for i in range(len(p.heads)):
        names += [p.prefix(i) + w for w in ("WQ", "WK", "WV")]
    for i in range(len(p.heads)):
        names += [p.prefix(i) + s for s in ("Q", "K", "V", "KT", "S", "scaled", "E", "sums", "A", "Z")]
    names += [n for n in ("concat", "WO", "O") if n in trace.matrices]
    return names


def problems() -> list[tuple[str, Problem]]:
    """The classic, random problems in both methods, masked, cross-attention, two heads and step 0."""
    out: list[tuple[str, Problem]] = []
    classic = load_example("self-attention-6x4")
    out += [("classic-tricks", classic), ("classic-exact-e", classic.with_options(approx=False))]
    for seed in (1, 2):
        for approx in (True, False):
            made = generate(make_params(approx=approx), seed)
            out.append((f"random-{seed}-{'tricks' if approx else 'e'}", made))
    out.append(("random-masked", generate(make_params(mask="causal", approx=False), 3)))
    out += [(name, load_example(name)) for name in ("masked-6x4", "cross-attention-6x4", "multi-head-2x4")]
    out.append(("words", parse_problem_text(WORDS, "words.toml", "toml")))
    out.append(("ids", parse_problem_text(IDS, "ids.toml", "toml")))
    both = [(f"{name}-{conv}", p.in_convention(conv)) for name, p in out for conv in ("columns", "rows")]
    return both


PROBLEMS = problems()


RUN_ALL = """\
import contextlib, runpy, sys
for path in sys.argv[1:]:
    sys.argv = [path, "17"]
    with open(path + ".out", "w") as out, contextlib.redirect_stdout(out):
        runpy.run_path(path, run_name="__main__")
"""


def run_all(scripts: dict[str, str], tmp_path: Path) -> dict[str, dict[str, np.ndarray]]:
    """Run every script in one fresh interpreter (torch loads once), each as `python SCRIPT 17`."""
    paths = []
    for name, source in scripts.items():
        path = tmp_path / f"{name}.py"
        path.write_text(source, encoding="utf-8")
        paths.append(str(path))
    done = subprocess.run(
        [sys.executable, "-c", RUN_ALL, *paths],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    outputs = [Path(path + ".out").read_text("utf-8") for path in paths]
    return {name: parse_printed(out) for name, out in zip(scripts, outputs, strict=True)}


def test_the_numpy_scripts_print_every_matrix_of_the_trace(tmp_path: Path) -> None:
    traces = {name: walk(problem) for name, problem in PROBLEMS}
    printed = run_all({name: to_numpy(trace) for name, trace in traces.items()}, tmp_path)
    for name, trace in traces.items():
        assert_same(trace, printed[name], name)


def test_two_heads_split_from_one_projection(tmp_path: Path) -> None:
    classic = load_example("self-attention-6x4")
    problem = Problem(
        classic.X, np.vstack([classic.WQ, classic.WK]), np.vstack([classic.WK, classic.WQ]),
        np.vstack([classic.WV, classic.WV]), heads=2, WO=np.eye(6, dtype=int).astype(object),
    )  # fmt: skip
    trace = walk(problem)
    assert "h2.Z" in trace.matrices and "O" in trace.matrices
    assert_same(trace, run_script(to_numpy(trace), tmp_path, "a.py"))


@pytest.mark.parametrize(("name", "problem"), PROBLEMS, ids=[n for n, _ in PROBLEMS])
def test_the_scripts_parse_and_read_like_the_course(name: str, problem: Problem) -> None:
    trace = walk(problem)
    for script in (to_numpy(trace), to_pytorch(trace)):
        tree = ast.parse(script)
        assert ast.get_docstring(tree) is not None
        assert "python attention_" in script  # the header says how to run it
    torch_script = to_pytorch(trace)
    assert "nn.Linear(" in torch_script and "bias=False" in torch_script
    assert "torch.matmul(" in torch_script
    options = trace.options
    if options.mask == "causal":
        assert '.masked_fill(mask, float("-inf"))' in torch_script
    if options.base is None:
        dim = 0 if problem.columns else 1
        assert f"F.softmax(scaled, dim={dim})" in torch_script
    if options.scale == "floor-half":
        assert "torch.floor(S / 2)" in torch_script
    if options.base == 3:
        assert "torch.pow(3.0, scaled)" in torch_script
    if len(problem.heads) > 1:
        assert "torch.cat(" in torch_script


def test_pytorch_script_snapshots() -> None:
    snapshot("classic-torch.py.txt", to_pytorch(walk(load_example("self-attention-6x4"))))
    snapshot("words-torch.py.txt", to_pytorch(walk(parse_problem_text(WORDS, "words.toml", "toml"))))
    snapshot("multi-head-numpy.py.txt", to_numpy(walk(load_example("multi-head-2x4").in_convention("rows"))))


@needs_torch
def test_the_pytorch_scripts_print_every_matrix_of_the_trace(tmp_path: Path) -> None:
    traces = {name: walk(problem) for name, problem in PROBLEMS}
    printed = run_all({name: to_pytorch(trace) for name, trace in traces.items()}, tmp_path)
    for name, trace in traces.items():
        assert_same(trace, printed[name], name)


def test_cli_writes_both_scripts(cli: Runner, tmp_path: Path) -> None:
    result = cli("run", "--example", "masked-6x4", "-f", "numpy")
    assert result.code == 0, result.err
    assert result.out == to_numpy(walk(load_example("masked-6x4")))
    target = tmp_path / "attention_torch.py"
    result = cli("run", "--convention", "rows", "-f", "pytorch", "-o", str(target))
    assert result.code == 0, result.err
    assert result.out == f"Wrote {target} (pytorch)\n"
    assert target.read_text("utf-8") == to_pytorch(
        walk(load_example("self-attention-6x4").in_convention("rows"))
    )
    again = cli("run", "-f", "pytorch", "-o", str(target))
    assert again.code == 2 and "already exists; use --force" in again.err


def test_the_script_prints_four_places_by_default(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text(to_numpy(walk(load_example("self-attention-6x4"))), encoding="utf-8")
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, check=True).stdout
    assert out.startswith("X =\n      2.0000      0.0000      0.0000      2.0000\n")
    assert "A =\n" in out and "Z =\n" in out


def test_a_title_with_quotes_and_backslashes_stays_a_docstring(tmp_path: Path) -> None:
    problem = Problem([[1, 0], [0, 1]], [[1, 1]], [[1, -1]], [[2, 0]], title='A """tricky""" \\ title"')
    for script in (to_numpy(walk(problem)), to_pytorch(walk(problem))):
        doc = ast.get_docstring(ast.parse(script))
        assert doc is not None and doc.startswith('A """tricky""" \\ title"\n')


def test_a_script_is_the_whole_trace_so_step_is_refused(cli: Runner) -> None:
    for fmt in ("numpy", "pytorch"):
        result = cli("run", "-f", fmt, "--step", "A")
        assert (result.code, result.err) == (
            2, f"Error: --step: a {fmt} script computes the whole trace; leave --step out\n"
        )  # fmt: skip


def test_numpy_floats_that_are_whole_numbers_stay_exact() -> None:
    exact = walk(load_example("self-attention-6x4"))
    p = exact.problem
    WQ, WK, WV = (np.array(to_float(w)) for w in (p.WQ, p.WK, p.WV))
    as_floats = Problem(np.array(to_float(p.X)), WQ, WK, WV, options=p.options)
    trace = walk(as_floats)
    assert trace.exact and trace["A"][1, 0] == exact["A"][1, 0] == Fraction(27, 46)
    halves = walk(Problem(np.array(to_float(p.X)) / 2, p.WQ, p.WK, p.WV, options=p.options))
    assert not halves.exact  # a float that is not whole keeps the decimal route
