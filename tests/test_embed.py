"""Step 0 · Embed: X = word embeddings + positional encodings, in every output, explain and check."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from test_code import IDS, WORDS

from bythand import ProblemError, walk
from bythand.check import check as grade
from bythand.check import parse_answers_text
from bythand.embed import make_embedding
from bythand.explain import explain
from bythand.numbers import Matrix, is_exact, to_float
from bythand.problem import Convention, Options, Problem, parse_problem_text

from conftest import Runner


def paper_encoding(pos: int, feature: int, d: int, base: float) -> float:
    """Vaswani et al. (2017), 3.5: PE(pos, 2i) = sin(pos/base^(2i/d)), PE(pos, 2i+1) = cos(...)."""
    i = feature // 2
    angle = pos / base ** (2 * i / d)
    return math.sin(angle) if feature % 2 == 0 else math.cos(angle)


VECTORS = {"Write": [1, 0, 1, 0], "a": [0, 2, 0, 1], "poem": [1, 1, 0, 2]}


def words(convention: Convention = "rows") -> Problem:
    return parse_problem_text(WORDS, "words.toml", "toml").in_convention(convention)


@pytest.mark.parametrize("convention", ["rows", "columns"])
def test_step_0_is_the_paper_formula_plus_the_word_vectors(convention: Convention) -> None:
    trace = walk(words(convention))
    tokens = ["Write", "a", "poem"]

    def rows(m: Matrix) -> Matrix:
        return m if convention == "rows" else m.T  # every matrix as tokens × features

    P, embed, X = (rows(to_float(trace[n])) for n in ("P", "embed", "X"))
    for pos, token in enumerate(tokens):
        for k in range(4):
            assert P[pos, k] == pytest.approx(paper_encoding(pos, k, 4, 100), abs=1e-15)
            assert embed[pos, k] == VECTORS[token][k]
            assert X[pos, k] == pytest.approx(VECTORS[token][k] + paper_encoding(pos, k, 4, 100), abs=1e-15)
    assert trace.steps[0].number == 0 and trace.steps[0].title == "Embed"
    assert trace.steps[0].names == ("embed", "P", "X")
    assert trace.steps[1].title == "Given"
    assert "sin and cos are irrational, so the trace is worked in decimals from step 0" in trace.notes
    assert (trace["X"] == trace.problem.X).all()


def test_the_default_base_is_the_papers_10000() -> None:
    trace = walk(parse_problem_text(WORDS.replace("position_base = 100\n", ""), "w.toml", "toml"))
    P = to_float(trace["P"])
    assert trace.problem.embedding is not None and trace.problem.embedding.base == 10000
    assert P[2, 2] == pytest.approx(math.sin(2 / 10000 ** (2 / 4)))


def test_rows_and_columns_are_transposes() -> None:
    rows, cols = walk(words("rows")), walk(words("columns"))
    for name, m in rows.matrices.items():
        assert np.allclose(to_float(m), to_float(cols[name]).T), name


def test_a_given_integer_P_keeps_the_trace_exact() -> None:
    trace = walk(parse_problem_text(IDS, "ids.toml", "toml"))
    assert all(is_exact(trace[n]) for n in ("embed", "P", "X", "Q", "S", "scaled"))
    # token_ids [2, 0, 2] pick columns 3, 1, 3 of the 2×3 table; then P is added
    assert trace["embed"].tolist() == [[2, 1, 2], [Fraction(1, 2), 0, Fraction(1, 2)]]
    assert trace["X"].tolist() == [[2, 2, 4], [Fraction(3, 2), 0, Fraction(-1, 2)]]
    assert trace.notes == ["e^x is irrational, so the trace is worked in decimals from step 6"]
    assert explain(trace, "X[1,1]").value == trace["X"][0, 0]  # its words: tests/test_explain_text.py


def test_check_asks_for_X_once_and_grades_it(cli: Runner, tmp_path: Path) -> None:
    problem = tmp_path / "words.toml"
    problem.write_text(WORDS, encoding="utf-8")
    template = cli("check", str(problem), "--template")
    assert template.code == 0, template.err
    assert template.out.count("\nX = [") == 1
    assert "# Step 0 · Embed: X = embed + P" in template.out
    assert "# embed = [[1, 0, 1, 0], [0, 2, 0, 1], [1, 1, 0, 2]]" in template.out
    answers = tmp_path / "ada.toml"
    answers.write_text(
        f'name = "Ada"\nproblem = "{problem}"\n'
        "X = [[1, 1, 1, 1], [0.84, 2.54, 0.10, 2.00], [1.91, 0.58, 0.30, 2.98]]\n",
        encoding="utf-8",
    )
    result = cli("check", str(answers), "-f", "plain")
    assert result.code == 1, result.err
    assert "Step 0 · X" in result.out
    assert "✗ 0.30 (0.20)" in result.out
    assert 'X[3,3] = e("poem")[3] + P[3,3] = 0 + 0.20 ≈ 0.20' in result.out
    assert "11 correct, 0 carried, 1 wrong, 0 blank of 12 cells" in result.out


def test_a_wrong_X_is_carried_into_Q() -> None:
    trace = walk(parse_problem_text(IDS, "ids.toml", "toml"))
    answers = parse_answers_text(
        'X = [[2, 2, 5], ["3/2", 0, "-1/2"]]\nQ = [["7/2", 2, "9/2"]]\n', "a.toml", "toml"
    )
    report = grade(trace, answers)
    x, q = report.steps
    assert [c.verdict for c in x.cells[0]] == ["correct", "correct", "wrong"]
    assert [c.verdict for c in q.cells[0]] == ["correct", "correct", "carried"]


def test_every_format_shows_step_0(cli: Runner) -> None:
    for fmt, expected in (
        ("plain", "Step 0 · Embed"),
        ("markdown", "## Step 0 · Embed"),
        ("latex", "\\subsection*{Step 0: Embed}"),
        ("html", "Step 0 · Embed"),
        ("svg", "Step&#160;0&#160;·&#160;Embed"),
        ("csv", "embed,1,2,3,4\nWrite,1,0,1,0\n"),
    ):
        result = cli("run", *_words_file(), "-f", fmt)
        assert result.code == 0, (fmt, result.err)
        assert expected in result.out, fmt
    data = json.loads(cli("run", *_words_file(), "-f", "json").out)
    assert data["steps"][0] == {"number": 0, "title": "Embed", "matrices": ["embed", "P", "X"]}
    assert data["embedding"] == {
        "tokens": ["Write", "a", "poem"],
        "token_ids": [0, 1, 2],
        "positions": "sinusoidal",
        "position_base": 100,
    }
    assert data["matrices"]["P"]["values"][1][0] == pytest.approx(math.sin(1))


_WORDS_PATH: list[str] = []


def _words_file() -> list[str]:
    if not _WORDS_PATH:
        import tempfile

        folder = Path(tempfile.mkdtemp())
        (folder / "words.toml").write_text(WORDS, encoding="utf-8")
        _WORDS_PATH.append(str(folder / "words.toml"))
    return _WORDS_PATH


def test_the_terminal_writes_embed_plus_P_equals_X(cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    out = cli("run", *_words_file(), "--step", "0", "-f", "plain", "--convention", "columns").out
    lines = out.splitlines()
    header = next(line for line in lines if line.strip().startswith("embed"))
    assert header.split() == ["embed", "P", "X"]
    assert any(" + " in line for line in lines) and any(" = " in line for line in lines)
    assert "Write      a   poem" in out  # each word over its column


def test_step_0_with_flags_keeps_the_tokens(cli: Runner) -> None:
    result = cli("run", *_words_file(), "--step", "0", "--wq", "1 0; 0 1; 0 0; 0 0", "-f", "csv")
    assert result.code == 0, result.err
    assert result.out.startswith("embed,1,2,3,4\n")
    replaced = cli("run", *_words_file(), "--x", "1 2 3 4; 1 1 1 1; 0 0 0 1", "-f", "csv", "--step", "1")
    assert replaced.code == 0 and "embed" not in replaced.out


A = "[embeddings]\na = [1, 2]\n"
TABLE = "embedding = [[1, 0, 0], [0, 1, 0]]\n"
BAD_STEP_0 = [
    ('tokens = ["a"]\n', "tokens need their vectors: an embeddings table of words, or an embedding matrix"),
    ('tokens = ["a", "b"]\n' + A, 'the token "b" has no vector in embeddings (it has a)'),
    ('tokens = ["a"]\n' + A + "b = [1]\n", 'embeddings["b"] has 1 numbers, but embeddings["a"] has 2'),
    ("token_ids = [0, 3]\n" + TABLE, "token_ids entry 2 is 3, but the embedding table has ids 0 to 2"),
    ("token_ids = [0, 1.5]\n" + TABLE, "token_ids entry 2 is 1.5, not a whole number"),
    (TABLE, "X is made from tokens: give tokens"),
    ('tokens = ["a"]\n' + TABLE, "an embedding matrix needs token_ids"),
    ('tokens = ["a"]\npositions = "learned"\n' + A, "unknown positions 'learned' (choose sinusoidal or none"),
    ('tokens = ["a"]\nposition_base = 1\n' + A, "position_base must be a whole number of at least 2"),
    ('tokens = ["a"]\nP = [[1, 2, 3]]\n' + A, "P is 1×3, but X will be 2×1 (features × tokens), so P needs"),
    ('X = [[1]]\ntokens = ["a"]\n' + A, "give either X or the tokens it is made from"),
    ('tokens = "a b"\n' + A, 'tokens must be a list of words, like ["Write", "a", "poem"]'),
]


@pytest.mark.parametrize(("text", "message"), BAD_STEP_0)
def test_bad_step_0_inputs_are_one_clear_line(cli: Runner, tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.toml"
    weights = "WQ = [[1, 0]]\nWK = [[0, 1]]\nWV = [[1, 1]]\n"
    path.write_text(weights + text, encoding="utf-8")
    result = cli("run", str(path))
    assert result.code == 2 and result.out == ""
    assert result.err.startswith(f"Error: {path}: ") and message in result.err
    assert result.err.count("\n") == 1


def test_step_0_is_a_step_to_pick(cli: Runner) -> None:
    assert cli("run", *_words_file(), "--step", "0", "-f", "csv").out.count("\n\n") == 2  # embed, P, X
    words = cli("run", *_words_file(), "--step", "0", "-f", "csv").out
    assert (
        cli("run", *_words_file(), "--step", "embed", "-f", "csv").out == words
    )  # by name: the step making it
    assert cli("run", *_words_file(), "--step", "X", "-f", "csv").out == words  # X is made in step 0 here
    err = cli("run", "--step", "0").err
    assert err.startswith("Error: --step: 0 is not a step of this problem; its steps are 1 (Given), 2 (Query")


def test_make_embedding_in_python_and_a_Problem_from_it() -> None:
    embedding, decimal = make_embedding(
        embedding=np.array([[0.5, 1.0], [2.0, -1.0], [0.0, 0.0]]), token_ids=[1, 0], positions="sinusoidal",
        position_base=10, columns=False,
    )  # fmt: skip
    assert decimal
    problem = Problem(
        embedding=embedding, WQ=[[1], [0]], WK=[[0], [1]], WV=[[1], [1]], options=Options("rows")
    )
    assert problem.X.shape == (2, 2)  # two tokens of two features, tokens as rows (given as rows)
    with pytest.raises(ProblemError, match="other convention"):
        Problem(embedding=embedding, WQ=[[1, 0]], WK=[[0, 1]], WV=[[1, 1]])


# The worksheet layout: step 0's cross, embed + P = X, on top of the picture


@pytest.mark.parametrize("convention", ["columns", "rows"])
@pytest.mark.parametrize(
    "text",
    [WORDS, IDS, WORDS.replace('positions = "sinusoidal"\n', "")],
    ids=["words", "ids", "words-no-positions"],  # ids a command line can name (mutmut passes them)
)
def test_layout_draws_embed_plus_P_equals_X(text: str, convention: Convention) -> None:
    from test_layout import test_every_matrix_once_crosses_aligned_nothing_overlaps as well_drawn

    from bythand.layout import GAP, Item, layout

    problem = parse_problem_text(text, "p.toml", "toml")
    well_drawn(problem, convention)  # every matrix once, nothing overlaps, products as crosses
    trace = walk(problem.in_convention(convention))
    canvas = layout(trace)
    parts = [canvas.item(n) for n in ("embed", "P", "X") if n in trace.matrices]
    assert [it.kind for it in parts] == ["embed", *(["P"] if len(parts) == 3 else []), "Xsum"]
    assert [it.step for it in parts] == [0] * len(parts) and parts[-1].answered and parts[0].given

    def along(it: Item) -> int:  # the direction the sum is written in
        return it.left if convention == "columns" else it.top

    def across(it: Item) -> int:
        return it.top if convention == "columns" else it.left

    assert len({across(it) for it in parts}) == 1  # in one row (one column in rows), left to right
    assert [along(it) for it in parts] == sorted(along(it) for it in parts)
    copy = next(it for it in canvas.items() if it.kind == "Xcopy")
    assert copy.copy and not copy.answered and across(copy) > across(parts[0])  # X again, on top of Q
    signs = canvas.signs()
    assert [s for _, _, s in signs] == (["+", "="] if len(parts) == 3 else ["="])
    for (row, col, _), before, after in zip(signs, parts[:-1], parts[1:], strict=True):
        where = col if convention == "columns" else row
        assert along(before) + (before.cols if convention == "columns" else before.rows) == where
        assert where + 1 + GAP == along(after)  # the sign, then the next matrix's labels
    assert [it.name for it in canvas.items()][: len(parts)] == [it.name for it in parts]  # worked first
