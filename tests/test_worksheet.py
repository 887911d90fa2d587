"""Worksheets and keys: valid PDFs with the trace's values and the sheet id, safe titles, stable bytes."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

from bythand import BythandError, Trace, builtin_example, walk
from bythand.numbers import MINUS
from bythand.problem import example_names, example_text
from bythand.render import worksheet as ws
from bythand.render.labels import labels

from conftest import Runner

ROOT = Path(__file__).resolve().parent.parent
WORKSHEETS = ROOT / "worksheets"


def pdf_text(path: Path | bytes) -> list[str]:
    """The text of each page, as a PDF reader extracts it."""
    reader = pypdf.PdfReader(io.BytesIO(path) if isinstance(path, bytes) else path)
    return [page.extract_text() for page in reader.pages]


def cell_words(trace: Trace, name: str, i: int) -> str:
    """Row i of a matrix as extracted from a key: the label, then each cell (a fraction as num den)."""
    m = trace[name]
    row = [str(v.numerator) if v.denominator == 1 else f"{v.numerator} {v.denominator}" for v in m[i]]
    label = labels(trace, name)[0][i]
    return " ".join([label, *row]).replace(MINUS, "−")


def test_classic_sheet_and_key(cli: Runner, tmp_path: Path) -> None:
    result = cli("worksheet", "--key", "-o", str(tmp_path / "classic.pdf"))
    assert result.code == 0, result.err
    assert result.out == (
        f"Wrote {tmp_path / 'classic.pdf'}, {tmp_path / 'classic-key.pdf'}\n"
        "Pages: classic.pdf (1 page), classic-key.pdf (1 page)\n"
    )
    sheet = pdf_text(tmp_path / "classic.pdf")
    key = pdf_text(tmp_path / "classic-key.pdf")
    assert len(sheet) == 1 and len(key) == 1  # the classic 6×4 problem fits on one page
    assert "self-attention-6x4" in sheet[0] and "ANSWER KEY" not in sheet[0]
    assert "bythand check --template --example self-attention-6x4 -o answers.toml; fill it in;" in sheet[0]
    assert "Name:" in sheet[0] and "keep fractions" in sheet[0]
    assert "ANSWER KEY" in key[0]
    trace = walk(builtin_example())
    lines = key[0].splitlines()
    for name in ("Q", "S", "scaled", "E", "A", "Z"):
        for i in range(trace[name].shape[0]):
            assert cell_words(trace, name, i) in lines, (name, i)
    assert "Σ 46 3 28 3 22 3 12" in lines
    # the student sheet leaves every box to fill empty: no row of A's values on it
    assert cell_words(trace, "A", 0) not in sheet[0].splitlines()


def test_random_class_set_carries_ids_and_rebuilds(cli: Runner, tmp_path: Path) -> None:
    out = tmp_path / "class.pdf"
    result = cli("worksheet", "--random", "--count", "3", "--seed", "7", "--key", "-o", str(out))
    assert result.code == 0, result.err
    pages = pdf_text(out)
    assert len(pages) == 3
    ids = [
        next(line for line in page.splitlines() if line.startswith("bythand · sheet")).split()[3]
        for page in pages
    ]
    assert len(set(ids)) == 3
    for sid, page in zip(ids, pages, strict=True):
        assert f"bythand check --template --sheet {sid} -o answers.toml; fill it in;" in page
        one = tmp_path / f"{sid}.pdf"
        assert cli("worksheet", "--sheet", sid.lower(), "-o", str(one)).code == 0
        assert pdf_text(one) == [page]  # the id alone rebuilds exactly this sheet


def test_one_file_per_sheet_in_a_folder(cli: Runner, tmp_path: Path) -> None:
    result = cli("worksheet", "--random", "--count", "2", "--key-only", "-f", "svg", "-o", f"{tmp_path}/")
    assert result.code == 0, result.err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and all(n.endswith("-key.svg") for n in names)
    assert all((tmp_path / n).read_text(encoding="utf-8").startswith("<svg") for n in names)


def test_same_inputs_give_the_same_bytes(tmp_path: Path) -> None:
    args = ["worksheet", "--random", "--seed", "3", "--mask", "causal", "--key"]
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        cmd = [sys.executable, "-m", "bythand", *args, "-o", str(tmp_path / folder / "s.pdf")]
        subprocess.run(cmd, check=True, capture_output=True)  # separate processes: nothing cached
    for name in ("s.pdf", "s-key.pdf"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_hostile_titles_print_as_written(cli: Runner, tmp_path: Path) -> None:
    title = '#import "x": *bold* $x$ \\ ] [ // no comment #{panic()}'
    problem = tmp_path / "evil.toml"
    givens = "X = [[1, 0], [0, 1]]\nWQ = [[1, 1]]\nWK = [[1, -1]]\nWV = [[2, 0]]\n"
    problem.write_text(f"title = '''{title}'''\n{givens}", encoding="utf-8")  # a TOML literal string
    result = cli("worksheet", str(problem), "-o", str(tmp_path / "evil.pdf"))
    assert result.code == 0, result.err
    assert pdf_text(tmp_path / "evil.pdf")[0].splitlines()[0] == title
    typ = cli("worksheet", str(problem), "-f", "typ", "-o", str(tmp_path / "evil.typ"))
    assert typ.code == 0, typ.err
    import typst

    # the .typ source stands alone (its data inlined as one escaped string) and makes the same PDF
    built = typst.compile(str(tmp_path / "evil.typ"), format="pdf", ignore_system_fonts=True, timestamp=0)
    assert built == (tmp_path / "evil.pdf").read_bytes()


def test_fill_prefills_the_steps_asked_for(tmp_path: Path) -> None:
    trace = walk(builtin_example())
    sheet = ws.Sheet(trace, "classic", "bythand check answers.toml", trace.problem.title)
    data = ws.document_data([sheet], key=False, fill=ws.parse_fill("Q,K,V"), paper="a4")
    lines = pdf_text(ws.compile_document(data, "pdf")[0])[0].splitlines()
    assert cell_words(trace, "K", 2) in lines
    assert cell_words(trace, "S", 0) not in lines
    with pytest.raises(BythandError, match="--fill: unknown step 'W'"):
        ws.parse_fill("Q,W")
    assert ws.parse_fill("2,8") == {"Q", "K", "V", "A"}
    assert ws.parse_fill("2-4") == ws.parse_fill("2,3,4") == {"Q", "K", "V", "KT", "S"}  # as run --step
    assert ws.parse_fill("2-5, A") == {"Q", "K", "V", "KT", "S", "scaled", "A"}
    # a worked step that is an entry-by-entry function of the one before would give that one away
    with pytest.raises(
        BythandError, match=r"--fill: step 5 \(scaled\) worked gives step 4 \(S\) away; fill 4 too"
    ):
        ws.parse_fill("2,5")
    with pytest.raises(BythandError, match=r"step 6 \(E\) worked gives step 5 \(scaled\) away"):
        ws.parse_fill("2-4,6")
    with pytest.raises(BythandError, match="unknown step '5-2'"):
        ws.parse_fill("5-2")


def test_committed_worksheets_are_fresh(cli: Runner, tmp_path: Path) -> None:
    names = example_names()
    assert sorted(p.stem for p in WORKSHEETS.glob("*.toml")) == names
    for name in names:
        assert (WORKSHEETS / f"{name}.toml").read_text(encoding="utf-8") == example_text(name)
        result = cli("worksheet", "--example", name, "--key", "-o", str(tmp_path / f"{name}.pdf"))
        assert result.code == 0, result.err
        for stem in (name, f"{name}-key"):
            fresh = (tmp_path / f"{stem}.pdf").read_bytes()
            assert fresh == (WORKSHEETS / f"{stem}.pdf").read_bytes(), (
                f"worksheets/{stem}.pdf is stale; remake it as worksheets/README.md says"
            )
    assert all(f"`{name}`" in (WORKSHEETS / "README.md").read_text(encoding="utf-8") for name in names)


def test_examples_command_and_run_example(cli: Runner) -> None:
    listing = cli("examples")
    assert listing.code == 0
    for name in example_names():
        assert name in listing.out
    assert cli("examples", "--names").out.split() == example_names()
    assert cli("run", "--example", "self-attention-6x4").out == cli("run").out
    masked = cli("run", "--example", "masked-6x4", "--step", "5", "-f", "plain")
    assert "−∞" in masked.out or "-∞" in masked.out
    bad = cli("run", "--example", "masked")
    assert bad.code == 2
    assert (
        bad.err
        == "Error: unknown example 'masked' (did you mean masked-6x4?); `bythand examples` lists them\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tokens", "3"], "Error: --tokens makes random problems; add --random\n"),
        (["--seed", "7"], "Error: --seed makes random problems; add --random\n"),  # never silently ignored
        (["--count", "1"], "Error: --count makes random problems; add --random\n"),
        (
            ["--random", "--difficulty", ""],
            "Error: --difficulty: unknown value '' (choose easy, medium or hard)\n",
        ),
        (
            ["--random", "--tokens", "0"],
            "Error: --tokens: 0 is outside 2 to 8, the sizes a sheet can print\n",
        ),
        (["--random", "--heads", "0"], "Error: --heads: 0 is outside 1 to 4, the sizes a sheet can print\n"),
        (
            ["--random", "--tokens", "12"],
            "Error: --tokens: 12 is outside 2 to 8, the sizes a sheet can print\n",
        ),
        (
            ["--example", "masked-6x4", "--random"],
            "Error: give one of PROBLEM, --example, --sheet or --random, not --example and --random\n",
        ),
        (
            ["--sheet", "11PVR6TRH", "--mask", "causal"],
            "Error: --sheet: the id fixes the method; leave out --approx, --no-approx and --mask\n",
        ),
        (["--paper", "a3"], "Error: --paper: unknown paper 'a3' (choose a4 or us-letter)\n"),
        (["--format", "docx"], "Error: --format: unknown value 'docx' (choose pdf, png, svg, typ, xlsx)\n"),
        (["-o", "s.png", "--format", "pdf"], "Error: -o s.png: the name says png, but --format says pdf\n"),
        (
            ["--random", "-o", "no-such-folder/sheets/"],  # DIR/ is made, but only in a folder that exists
            "Error: -o no-such-folder/sheets/: the folder no-such-folder does not exist\n",
        ),
        (
            ["--fill", "Q,W"],
            "Error: --fill: unknown step 'W' (choose from Q, K, V, KT, S, scaled, E, sums, A, "
            "Z, concat, O, step numbers 2 to 11, or a range 2-4)\n",
        ),
    ],
)
def test_bad_worksheet_input_is_one_line(
    cli: Runner, args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a slip that is not refused must not write into the checkout
    result = cli("worksheet", *args)
    assert (result.code, result.out, result.err) == (2, "", message)


def test_existing_files_are_kept_without_force(cli: Runner, tmp_path: Path) -> None:
    key = tmp_path / "s-key.pdf"
    key.write_bytes(b"teacher's own")
    result = cli("worksheet", "--key", "-o", str(tmp_path / "s.pdf"))
    assert result.code == 2 and result.err == f"Error: {key}: already exists; use --force to overwrite it\n"
    assert key.read_bytes() == b"teacher's own" and not (tmp_path / "s.pdf").exists()  # nothing half-written
    assert cli("worksheet", "--key", "--force", "-o", str(tmp_path / "s.pdf")).code == 0
    assert key.read_bytes().startswith(b"%PDF")


def test_a_long_title_is_shortened_to_two_header_lines() -> None:
    trace = walk(builtin_example())
    long = "word " * 40
    data = ws.document_data([ws.Sheet(trace, "x", "check", long)], key=False, fill=frozenset(), paper="a4")
    title = data["sheets"][0]["title"]
    assert len(title) == ws.MAX_TITLE and title.endswith("…") and long.startswith(title[:-1])


def test_key_only_goes_to_the_name_given(cli: Runner, tmp_path: Path) -> None:
    target = tmp_path / "key.pdf"
    result = cli("worksheet", "--key-only", "-o", str(target))
    assert (result.code, result.out) == (0, f"Wrote {target}\nPages: key.pdf (1 page)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.pdf"]
    assert "ANSWER KEY" in pypdf.PdfReader(target).pages[0].extract_text()


def test_rows_problems_are_drawn_in_rows(cli: Runner, tmp_path: Path) -> None:
    out = tmp_path / "rows.pdf"
    result = cli("worksheet", "--example", "masked-6x4", "--convention", "rows", "--key", "-o", str(out))
    assert result.code == 0, result.err
    key = " ".join(pdf_text(tmp_path / "rows-key.pdf")[0].split())
    assert "Tokens are rows." in key and "Tokens are columns" not in key
    assert "bythand check --template --example masked-6x4 --convention rows -o answers.toml" in key
    template = cli("check", "--template", "--example", "masked-6x4", "--convention", "rows", "-o",
                   str(tmp_path / "answers.toml"))  # fmt: skip
    assert template.code == 0, template.err  # the check line's template reads the answers in rows
    assert 'convention = "rows"' in (tmp_path / "answers.toml").read_text(encoding="utf-8")
    trace = walk(builtin_example().in_convention("rows"))
    lines = pdf_text(tmp_path / "rows-key.pdf")[0].splitlines()
    assert cell_words(trace, "Q", 0) in lines  # q1's row: the token's query across, as X·W_Q gives it
    rand = cli(
        "worksheet",
        "--random",
        "--seed",
        "4",
        "--convention",
        "rows",
        "-f",
        "typ",
        "-o",
        str(tmp_path / "r.typ"),
    )
    assert rand.code == 0, rand.err
    assert "--convention rows -o answers.toml" in (tmp_path / "r.typ").read_text(encoding="utf-8")
    bad = cli("worksheet", "--convention", "diagonal")
    assert (bad.code, bad.err) == (
        2,
        "Error: --convention: unknown convention 'diagonal' (choose columns or rows)\n",
    )


def test_interleaved_keys_and_images_named_by_sheet_id(cli: Runner, tmp_path: Path) -> None:
    out = tmp_path / "class.pdf"
    result = cli(
        "worksheet", "--random", "--count", "3", "--seed", "7", "--key", "interleave", "-o", str(out)
    )
    assert result.code == 0, result.err
    assert result.out == f"Wrote {out}\nPages: class.pdf (6 pages)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["class.pdf"]
    pages = pdf_text(out)
    ids = [
        next(line for line in page.splitlines() if line.startswith("bythand · sheet")).split()[3]
        for page in pages
    ]
    assert ids[0::2] == ids[1::2] and len(set(ids)) == 3  # each sheet, then its own key
    assert ["ANSWER KEY" in page for page in pages] == [False, True] * 3
    png = cli("worksheet", "--random", "--count", "2", "--seed", "7", "--key", "-o", str(tmp_path / "s.png"))
    assert png.code == 0, png.err
    names = sorted(p.name for p in tmp_path.glob("s-*.png"))
    assert names == sorted(
        [f"s-{ids[0]}.png", f"s-{ids[0]}-key.png", f"s-{ids[2]}.png", f"s-{ids[2]}-key.png"]
    )
    assert all((tmp_path / n).read_bytes().startswith(b"\x89PNG") for n in names)
