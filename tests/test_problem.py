"""Problem loading: files, inline matrices, CSV and NPY, options, and every error's message."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from bythand import Options, Problem, ProblemError, builtin_example, load_problem
from bythand.problem import build_problem, example_text, parse_matrix_text, template_text

ROOT = Path(__file__).resolve().parent.parent
GOOD = "X = [[1, 2], [3, 4]]\nWQ = [[1, 1]]\nWK = [[1, -1]]\nWV = [[2, 0]]\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(fn: object, *args: object) -> str:
    with pytest.raises(ProblemError) as info:
        fn(*args)  # type: ignore[operator]
    return str(info.value)


def test_builtin_example_is_the_shipped_worksheet() -> None:
    shipped = (ROOT / "worksheets" / "self-attention-6x4.toml").read_text(encoding="utf-8")
    assert example_text() == shipped
    p = builtin_example()
    assert (p.options.scale, p.options.exp, p.options.mask, p.options.convention) == (
        "floor-half",
        "3",
        "none",
        "columns",
    )
    assert p.X.shape == (6, 4) and p.WQ.shape == (3, 6) and p.n == 4 and p.d_k == 3


def test_a_file_without_options_defaults_to_sqrt_and_e(tmp_path: Path) -> None:
    p = load_problem(write(tmp_path, "p.toml", GOOD))
    assert (p.options.scale, p.options.exp) == ("sqrt", "e")
    assert p.title == "Self-attention"


def test_json_file_with_fraction_strings_and_options(tmp_path: Path) -> None:
    text = (
        '{"title": "J", "X": [["1/3", "-0.5"], [2, 0.25]], "WQ": [[1, 1]], "WK": [[1, 1]], '
        '"WV": [[1, 1]], "options": {"scale": "none", "exp": 2}}'
    )
    p = load_problem(write(tmp_path, "p.json", text))
    assert p.title == "J"
    assert p.X[0, 0] == Fraction(1, 3) and p.X[0, 1] == Fraction(-1, 2) and p.X[1, 1] == Fraction(1, 4)
    assert p.decimal_input
    assert (p.options.scale, p.options.exp) == ("none", "2")


def test_flags_override_file_options(tmp_path: Path) -> None:
    p = load_problem(write(tmp_path, "p.toml", GOOD + '[options]\nscale = "none"\nexp = "2"\n'))
    assert p.with_options(approx=True).options.scale == "floor-half"
    both = p.with_options(approx=True, exp="e").options
    assert (both.scale, both.exp) == ("floor-half", "e")  # an explicit flag beats the shortcut
    plain = p.with_options(approx=False).options
    assert (plain.scale, plain.exp) == ("sqrt", "e")


def test_convention_flag_transposes_a_columns_file() -> None:
    rows = builtin_example().with_options(convention="rows")
    assert rows.options.convention == "rows"
    assert rows.X.shape == (4, 6) and rows.WQ.shape == (6, 3)
    assert rows.n == 4 and rows.d_k == 3


def test_inline_matrix_text_splits_rows_and_entries() -> None:
    m, decimal = parse_matrix_text("2 0, 0 2;\n0 1 0 0\n", "X")
    assert m.tolist() == [[2, 0, 0, 2], [0, 1, 0, 0]]
    assert not decimal


@pytest.mark.parametrize(
    "text",
    [
        "[[1, 2], [3, 4]]",
        "[[1,2],[3,4],]",
        "[[1 2] [3 4]]",
        "[1 2; 3 4]",
        "[1 2; 3 4];",  # MATLAB's trailing semicolon
        "[[1, 2], [3, 4]],",
        "[[1, 2],\n [3, 4]]",
        "[[1. 2.]\n [3. 4.]]",  # as numpy prints an array
        " [ [1, 1/2] ,[3,4] ] ",
    ],
)
def test_inline_matrices_pasted_from_python_or_matlab(text: str) -> None:
    m, _ = parse_matrix_text(text, "X")
    assert m.tolist() == [[1, 2 if "1/2" not in text else Fraction(1, 2)], [3, 4]]


def test_a_single_bracketed_row() -> None:
    assert parse_matrix_text("[1, 0, -1]", "WQ")[0].tolist() == [[1, 0, -1]]


@pytest.mark.parametrize(
    "text",
    ["[[1, 2], [3, 4]", "[[[1, 2]], [3, 4]]", "1 2]", "[1, 2], [3, 4]", "array([[1, 2]])", "[[1 2; 3 4]]"],
)
def test_brackets_that_do_not_pair_up(text: str) -> None:
    with pytest.raises(ProblemError) as exc:
        parse_matrix_text(text, "WK")
    assert (
        str(exc.value) == "--wk: WK: the brackets do not pair up as rows; write [[1, 2], [3, 4]] or 1 2; 3 4"
    )


def test_an_empty_bracketed_row_is_a_slip_not_skipped() -> None:
    with pytest.raises(ProblemError) as exc:
        parse_matrix_text("[[1, 2], [], [3, 4]]", "X")
    assert str(exc.value) == "--x: X row 2 is empty"


def test_build_problem_from_inline_csv_and_npy(tmp_path: Path) -> None:
    write(tmp_path, "x.csv", "# features as rows\n1, 2\n3, 4\n")
    np.save(tmp_path / "wq.npy", np.array([[1, 1]]))
    np.save(tmp_path / "wk.npy", np.array([[0.5, -1.0]]))
    p = build_problem(
        None,
        {
            "X": str(tmp_path / "x.csv"),
            "WQ": str(tmp_path / "wq.npy"),
            "WK": str(tmp_path / "wk.npy"),
            "WV": "2 0",
        },
    )
    assert p.X.tolist() == [[1, 2], [3, 4]]
    assert p.WQ.dtype == object and p.WK.dtype == np.float64
    assert p.source == "command line"


def test_npy_with_objects_is_never_unpickled(tmp_path: Path) -> None:
    path = tmp_path / "evil.npy"
    np.save(path, np.array([[{"a": 1}]], dtype=object), allow_pickle=True)
    message = error_of(build_problem, None, {"X": str(path), "WQ": "1", "WK": "1", "WV": "1"})
    assert message == (
        f"{path}: X holds Python objects; bythand loads .npy files without pickle, so save a numeric array"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "X = [[1, 2], [3]]\nWQ = [[1, 1]]\nWK = [[1, 1]]\nWV = [[1, 1]]\n",
            "X row 2 has 1 entry, but row 1 has 2 entries",
        ),
        (
            'X = [[1, 2], [3, "abc"]]\nWQ = [[1, 1]]\nWK = [[1, 1]]\nWV = [[1, 1]]\n',
            "X row 2, column 2: 'abc' is not a number",
        ),
        (
            "X = [[1, 2], [3, 4]]\nWQ = [[1, 1, 1]]\nWK = [[1, 1]]\nWV = [[1, 1]]\n",
            "WQ is 1×3, but X is 2×2 with 2 features (its rows), so WQ needs 2 columns",
        ),
        (
            "X = [[1, 2], [3, 4]]\nWQ = [[1, 1]]\nWK = [[1, 1], [1, 0]]\nWV = [[1, 1]]\n",
            "WQ is 1×2 and WK is 2×2; queries and keys need the same width d_k, "
            "so both need the same number of rows",
        ),
        ("X = [[1, 2], [3, 4]\nWQ = [[1]]\n", "TOML syntax error: Unclosed array (at line 2, column 1)"),
        (
            "X = [[1, 2], [3, 4]]\nW_Q = [[1, 1]]\nWK = [[1, 1]]\nWV = [[1, 1]]\n",
            "unknown key 'W_Q' (did you mean WQ?); "
            "valid keys are title, convention, X, C, WQ, WK, WV, heads, WO, options, "
            "tokens, embeddings, embedding, token_ids, positions, position_base, P",
        ),
        (
            "X = [[1, 2], [3, 4]]\nWK = [[1, 1]]\nWV = [[1, 1]]\n",
            "missing WQ (a problem needs X, WQ, WK and WV)",
        ),
        (
            GOOD + '[options]\nscale = "half"\n',
            "options.scale: unknown scale 'half' (choose sqrt, floor-half or none)",
        ),
        (
            GOOD + '[options]\nexp = "pi"\n',
            "options.exp: unknown exp 'pi' (choose e, or an integer base such as 3 or 2)",
        ),
        (
            GOOD + '[options]\nmaks = "causal"\n',
            "unknown option 'maks' (did you mean mask?); "
            "valid options are convention, scale, exp, mask, approx",
        ),
        (GOOD + 'convention = "cols"\n', "convention: unknown convention 'cols' (choose columns or rows)"),
        (
            "X = []\nWQ = [[1]]\nWK = [[1]]\nWV = [[1]]\n",
            "X is empty; write it as a list of rows, like [[1, 2], [3, 4]]",
        ),
        (
            "X = [1, 2]\nWQ = [[1]]\nWK = [[1]]\nWV = [[1]]\n",
            "X row 1 is not a list; write X as a list of rows, like [[1, 2], [3, 4]]",
        ),
        (
            'X = [[1, "nan"]]\nWQ = [[1]]\nWK = [[1]]\nWV = [[1]]\n',
            "X row 1, column 2: 'nan' is not allowed (only finite numbers)",
        ),
    ],
)
def test_bad_problem_files_name_the_file_matrix_and_place(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "p.toml", text)
    assert error_of(load_problem, path) == f"{path}: {message}"


def test_json_syntax_error_gives_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", '{"X": [[1]],\n "WQ": }')
    assert error_of(load_problem, path) == f"{path}: JSON syntax error at line 2, column 8: Expecting value"


def test_missing_folder_binary_and_directory(tmp_path: Path) -> None:
    assert error_of(load_problem, tmp_path / "nope.toml") == f"{tmp_path / 'nope.toml'}: no such file"
    assert error_of(load_problem, tmp_path) == f"{tmp_path}: is a folder, not a file"
    binary = tmp_path / "b.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert error_of(load_problem, binary) == f"{binary}: not a text file (it is not valid UTF-8)"


def test_problem_from_numpy_arrays_and_lists() -> None:
    p = Problem(X=np.array([[1, 2], [3, 4]]), WQ=[[1, 0]], WK=[["1/2", 0]], WV=[[1, 1]])
    assert p.X.dtype == object and p.WK[0, 0] == Fraction(1, 2)
    assert error_of(Problem, [[1, 2], [3, 4]], [[1]], [[1]], [[1]]) == (
        "<python>: WQ is 1×1, but X is 2×2 with 2 features (its rows), so WQ needs 2 columns"
    )
    with pytest.raises(ProblemError) as info:
        Problem(X=[[1, 2]], WQ=[[1], [1]], WK=[[1]], WV=[[1], [1]], options=Options(convention="rows"))
    assert (
        str(info.value)
        == "<python>: WK is 1×1, but X is 1×2 with 2 features (its columns), so WK needs 2 rows"
    )


def test_template_is_a_working_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.toml", template_text("mine.toml"))
    p = load_problem(path)
    assert p.X.shape == (6, 4)
    assert "bythand run mine.toml" in path.read_text(encoding="utf-8")
