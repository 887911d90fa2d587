"""Hardening round two: the edges of the system (special files, the filesystem, the terminal, sizes).

Nothing destroyed, nothing hangs, cost bounded by the input, every bad input one line (issue 16)."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import stat
import string
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bythand.cli import common
from bythand.errors import BythandError

from conftest import Runner
from fuzz import assert_clean, call

GOOD = "X = [[1, 2], [3, 4]]\nWQ = [[1, 1]]\nWK = [[1, -1]]\nWV = [[2, 0]]\n"
ROOT = Path(__file__).resolve().parent.parent
HANG = 30  # seconds: a command that takes this long on a tiny input is hanging


def bythand(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """`bythand ARGS` as a real process (its own stdin, stdout and stderr), killed if it hangs."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", **kwargs.pop("env", {})}
    return subprocess.run(
        [sys.executable, "-m", "bythand", *args],
        capture_output=kwargs.pop("capture_output", True),
        text=True,
        timeout=HANG,
        env=env,
        check=False,
        **kwargs,
    )


def one_error_line(err: str, *parts: str) -> None:
    assert err.startswith("Error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for part in parts:
        assert part in err, err


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    yield path


# 1. Writing never destroys


@pytest.fixture
def device(tmp_path: Path) -> Path:
    """A character device of our own (the null device's numbers): a failing test must never be able to
    replace the machine's real /dev/null."""
    path = tmp_path / "null"
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"making a device node needs root ({exc.strerror}); the FIFO test covers special files")
    return path


def test_a_device_is_never_replaced_even_with_force(cli: Runner, device: Path) -> None:
    before = os.stat(device)
    result = cli("run", "-f", "json", "-o", str(device), "--force")
    assert result.code == 2
    one_error_line(result.err, f"{device}: is a character device; bythand writes regular files only")
    after = os.lstat(device)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_dev_null_as_output_is_refused_before_anything_is_written(
    cli: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real /dev/null, with every way of replacing a file disabled: it is refused by the check."""

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("bythand tried to replace /dev/null")

    monkeypatch.setattr(os, "replace", never)
    monkeypatch.setattr(os, "link", never)
    result = cli("run", "-f", "json", "-o", "/dev/null", "--force")
    assert result.code == 2
    one_error_line(result.err, "/dev/null: is a character device; bythand writes regular files only")


def test_a_fifo_or_folder_is_refused_as_output(cli: Runner, fifo: Path, tmp_path: Path) -> None:
    for force in ((), ("--force",)):
        result = cli("run", "-f", "json", "-o", str(fifo), *force)
        assert result.code == 2
        one_error_line(result.err, "is a FIFO (named pipe); bythand writes regular files only")
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    result = cli("new", str(tmp_path))
    one_error_line(result.err, "is a folder; give a file name")


def test_a_dangling_symlink_is_not_clobbered_without_force(cli: Runner, tmp_path: Path) -> None:
    link = tmp_path / "out.json"
    link.symlink_to(tmp_path / "elsewhere" / "target.json")
    result = cli("run", "-f", "json", "-o", str(link))
    assert result.code == 2
    one_error_line(result.err, f"{link}: already exists; use --force to overwrite it")
    assert link.is_symlink() and not (tmp_path / "elsewhere").exists()
    assert cli("run", "-f", "json", "-o", str(link), "--force").code == 0
    assert not link.is_symlink() and json.loads(link.read_text(encoding="utf-8"))["output"] == "Z"


def test_a_file_made_after_the_check_is_not_clobbered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.txt"
    real_check = common.check_writable

    def check_then_lose_the_race(path: Path, force: bool) -> None:
        real_check(path, force)
        path.write_text("the other writer's", encoding="utf-8")  # it wins between check and write

    monkeypatch.setattr(common, "check_writable", check_then_lose_the_race)
    with pytest.raises(BythandError, match="already exists; use --force"):
        common.write_atomic(target, "mine", force=False)
    assert target.read_text(encoding="utf-8") == "the other writer's"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary file left behind


def test_of_n_concurrent_writers_exactly_one_wins(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    writers = 8
    barrier = threading.Barrier(writers)
    outcomes: list[str] = []

    def write(k: int) -> None:
        barrier.wait()
        try:
            common.write_atomic(target, f"writer {k}", force=False)
            outcomes.append(f"won {k}")
        except BythandError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=write, args=(k,)) for k in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o.startswith("won")]
    assert len(winners) == 1, outcomes
    assert all("already exists" in o for o in outcomes if not o.startswith("won"))
    assert target.read_text(encoding="utf-8") == f"writer {winners[0].split()[1]}"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_n_concurrent_processes_one_wins(tmp_path: Path) -> None:
    target = tmp_path / "key.json"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bythand", "run", "-f", "json", "-o", str(target)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=HANG), p.stderr.read() if p.stderr else "") for p in procs]
    assert sorted(code for code, _ in results) == [0, 2, 2, 2], results
    assert all("already exists" in err for code, err in results if code == 2)
    assert json.loads(target.read_text(encoding="utf-8"))["output"] == "Z"


def test_a_set_of_files_is_all_or_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sheet, key = tmp_path / "s.pdf", tmp_path / "s-key.pdf"
    key.write_bytes(b"teacher's own")
    with pytest.raises(BythandError, match="already exists"):
        common.write_files([(sheet, b"sheet"), (key, b"key")], force=False)
    assert not sheet.exists() and key.read_bytes() == b"teacher's own"
    # the same when the key appears only after the check: the sheet already moved in is taken back
    key.unlink()
    real_check = common.check_writable

    def late(path: Path, force: bool) -> None:
        real_check(path, force)
        if path == key:
            key.write_bytes(b"teacher's own")

    monkeypatch.setattr(common, "check_writable", late)
    with pytest.raises(BythandError, match="already exists"):
        common.write_files([(sheet, b"sheet"), (key, b"key")], force=False)
    assert not sheet.exists() and key.read_bytes() == b"teacher's own"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s-key.pdf"]


def test_a_name_too_long_for_the_filesystem(cli: Runner, tmp_path: Path) -> None:
    long = tmp_path / ("a" * 300 + ".json")
    result = cli("run", "-f", "json", "-o", str(long))
    assert result.code == 2
    one_error_line(result.err, "File name too long")
    result = cli("run", str(long))
    assert result.code == 2
    one_error_line(result.err, "File name too long")


def test_a_full_disk_for_output_files_fake(
    cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary file lands on /dev/full, where every write fails with ENOSPC."""
    import tempfile as tf

    real = tf.mkstemp
    made: list[str] = []

    def full_disk(*args: Any, **kwargs: Any) -> tuple[int, str]:
        fd, name = real(*args, **kwargs)
        os.dup2(os.open("/dev/full", os.O_WRONLY), fd)
        made.append(name)
        return fd, name

    monkeypatch.setattr(tf, "mkstemp", full_disk)
    result = cli("run", "-f", "json", "-o", str(tmp_path / "out.json"))
    assert result.code == 2
    one_error_line(result.err, "out.json: cannot write it (No space left on device)")
    assert made and not any(Path(m).exists() for m in made) and list(tmp_path.iterdir()) == []


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs, where this machine lets the test mount one (root, and mounts allowed)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a real full disk needs root to mount a tmpfs; the fake test above covers it")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not allowed here ({done.stderr.decode().strip()})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_full_disk_for_output_files_real(small_disk: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.save(tmp_path / "x.npy", rng.normal(size=(8, 64)))
    np.save(tmp_path / "w.npy", rng.normal(size=(8, 8)))
    w = str(tmp_path / "w.npy")
    target = small_disk / "big.json"
    done = bythand(
        "run",
        "--x",
        str(tmp_path / "x.npy"),
        "--wq",
        w,
        "--wk",
        w,
        "--wv",
        w,
        "-f",
        "json",
        "-o",
        str(target),
    )
    assert done.returncode == 2, done.stderr
    one_error_line(done.stderr, "big.json: cannot write it (No space left on device)")
    assert list(small_disk.iterdir()) == []  # no half-written file, no temporary file


def test_a_full_disk_on_stdout() -> None:
    with open("/dev/full", "w") as full:
        done = bythand("run", "-f", "json", stdout=full, stderr=subprocess.PIPE, capture_output=False)
    assert done.returncode == 2
    one_error_line(done.stderr, "No space left on device")


# 2. Nothing blocks, nothing balloons


@pytest.mark.parametrize(
    "where", ["problem", "--x", "answers", "problem = inside answers", "--tolerance", "workbook"]
)
def test_a_fifo_is_refused_before_reading(tmp_path: Path, fifo: Path, where: str) -> None:
    csv_fifo, xlsx_fifo = tmp_path / "x.csv", tmp_path / "answers.xlsx"
    os.mkfifo(csv_fifo)
    os.mkfifo(xlsx_fifo)
    answers = tmp_path / "answers.toml"
    answers.write_text(f'problem = "{fifo.name}"\nQ = [[1]]\n', encoding="utf-8")
    args = {
        "problem": ["run", str(fifo)],
        "--x": ["run", "--x", str(csv_fifo), "--wq", "1", "--wk", "1", "--wv", "1"],
        "answers": ["check", str(fifo)],
        "problem = inside answers": ["check", str(answers)],
        "--tolerance": ["check", str(fifo), "--tolerance", "0.1"],
        "workbook": ["check", str(xlsx_fifo)],
    }[where]
    done = bythand(*args)  # a read of a FIFO with no writer would block: the timeout catches that
    assert done.returncode == 2
    one_error_line(done.stderr, "is not a regular file (a pipe or a device); give a file")


@pytest.mark.parametrize("name", ["zero.npy", "zero.csv", "zero.toml"])
def test_dev_zero_is_refused_not_read_forever(tmp_path: Path, name: str) -> None:
    link = tmp_path / name
    link.symlink_to("/dev/zero")
    args = (
        ["run", str(link)]
        if name.endswith(".toml")
        else ["run", "--x", str(link), "--wq", "1", "--wk", "1", "--wv", "1"]
    )
    done = bythand(*args)
    assert done.returncode == 2
    one_error_line(done.stderr, "is not a regular file")


def test_an_npy_whose_header_lies_is_refused_before_allocating(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "liar.npy"
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }"
    header += " " * (118 - len(header)) + "\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + bytes(16))
    result = cli("run", "--x", str(path), "--wq", "1", "--wk", "1", "--wv", "1")
    assert result.code == 2
    one_error_line(
        result.err,
        "not a valid .npy file (its header says shape (100000, 100000) of float64, 80,000,000,000 bytes, "
        "but the file holds 16)",
    )


def test_an_npy_past_the_size_cap_is_not_read(cli: Runner, tmp_path: Path) -> None:
    np.save(tmp_path / "big.npy", np.zeros((1000, 1000)))
    result = cli("run", "--x", str(tmp_path / "big.npy"), "--wq", "1", "--wk", "1", "--wv", "1")
    one_error_line(result.err, "the file is 8,000,128 bytes; matrix files are at most 2,000,000")


def test_a_good_npy_still_loads(cli: Runner, tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.array([[1, 2], [3, 4]], dtype=np.int16))
    np.save(tmp_path / "f.npy", np.asfortranarray(np.array([[0.5, 1.0], [2.0, 4.0]])))
    result = cli(
        "run",
        "--x",
        str(tmp_path / "x.npy"),
        "--wq",
        str(tmp_path / "f.npy"),
        "--wk",
        "1 0; 0 1",
        "--wv",
        "1 0; 0 1",
        "-f",
        "json",
    )
    assert result.code == 0, result.err
    data = json.loads(result.out)["matrices"]
    assert data["X"]["values"] == [[1, 2], [3, 4]] and data["WQ"]["values"] == [[0.5, 1.0], [2.0, 4.0]]


# 3. Cost bounded by the input


def test_caps_on_heads_tokens_and_dimensions(cli: Runner, tmp_path: Path) -> None:
    heads = GOOD.replace("WQ = [[1, 1]]\nWK = [[1, -1]]\nWV = [[2, 0]]\n", "")
    heads += "[[heads]]\nWQ = [[1, 1]]\nWK = [[1, -1]]\nWV = [[2, 0]]\n" * 65
    (tmp_path / "h.toml").write_text(heads, encoding="utf-8")
    one_error_line(cli("run", str(tmp_path / "h.toml")).err, "65 heads; bythand works with at most 64 heads")
    (tmp_path / "s.toml").write_text(GOOD + "heads = 1000000000\n", encoding="utf-8")
    one_error_line(cli("run", str(tmp_path / "s.toml")).err, "heads is 1,000,000,000; bythand works with")
    wide = (
        "X = [" + ", ".join(["[" + ", ".join(["1"] * 3000) + "]"]) + "]\nWQ = [[1]]\nWK = [[1]]\nWV = [[1]]\n"
    )
    (tmp_path / "w.toml").write_text(wide, encoding="utf-8")
    one_error_line(
        cli("run", str(tmp_path / "w.toml")).err, "X has 3,000 columns; bythand works with at most 2,048"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--step", "9" * 5000], "--step: '9999"),
        (["run", "--precision", "9" * 5000], "--precision: '9999"),
        (["run", "--heads", "9" * 5000], "--heads: '9999"),
        (["explain", f"S[{'9' * 5000},1]"], "is not a cell"),
        (["explain", "S[١,1]"], "is not a cell"),
        (
            ["run", "--exp", "9" * 5000],
            "--exp: exp 999999…(5000 digits) is out of range; an integer base is from 2",
        ),
        (["run", "--exp", "1001"], "--exp: exp 1001 is out of range; an integer base is from 2 to 1000"),
        (
            ["run", "--x", "1e0000000000999999999", "--wq", "1", "--wk", "1", "--wv", "1"],
            "too large or too small",
        ),
        (["run", "--x", "1" * 100, "--wq", "1", "--wk", "1", "--wv", "1"], "too long to work by hand"),
        (["worksheet", "--fill", "²"], "--fill: unknown step '²'"),
    ],
)
def test_digits_in_numbers_and_option_values_are_capped(cli: Runner, args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.code == 2
    one_error_line(result.err, message)
    assert len(result.err) < 500  # a 5,000-digit value is shortened in the line


def test_exact_products_equal_fraction_arithmetic() -> None:
    from bythand.numbers import exact_matrix, matmul

    rng = np.random.default_rng(5)
    for big in (False, True):
        top = 10**40 if big else 9
        rows = [
            [
                Fraction(
                    int(rng.integers(-top, top)) if not big else int(top * rng.random()) - top // 2,
                    int(rng.integers(1, 12)),
                )
                for _ in range(7)
            ]
            for _ in range(5)
        ]
        cols = [
            [Fraction(int(rng.integers(-9, 9)), int(rng.integers(1, 30))) for _ in range(4)] for _ in range(7)
        ]
        left, right = exact_matrix(rows), exact_matrix(cols)
        fast, slow = matmul(left, right), left @ right
        assert fast.dtype == object and all(isinstance(v, Fraction) for v in fast.flat)
        assert fast.tolist() == slow.tolist()


def test_show_work_works_each_matrix_once(cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    ex = importlib.import_module("bythand.explain")  # the module: bythand.explain is the public function

    calls: list[str] = []
    real = ex._recompute

    def counted(trace: Any, name: str, m: Any) -> Any:
        calls.append(name)
        return real(trace, name, m)

    monkeypatch.setattr(ex, "_recompute", counted)
    result = cli("run", "--show-work", "-f", "plain", "--step", "4")
    assert result.code == 0 and "S[4,4] = k4·q4" in result.out
    assert calls.count("S") == 1  # 16 cells of S, one S worked (it used to be worked 16 times)
    plain = cli("explain", "S[2,4]").out
    assert "  k2·q4 = 2·2 + 1·1 + 0·1\n" in plain and plain.endswith("        = 5\n")


def test_a_big_class_set_is_compiled_in_chunks(
    cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pypdf

    from bythand.render import classset

    monkeypatch.setattr(classset, "CHUNK_SHEETS", 2)  # 5 sheets: 3 chunks, each in its own process
    monkeypatch.setattr(classset, "TASKS_PER_PROCESS", 1)
    result = cli("worksheet", "--random", "--count", "5", "--key", "-o", str(tmp_path / "class.pdf"))
    assert result.code == 0, result.err
    sheets = pypdf.PdfReader(tmp_path / "class.pdf")
    key = pypdf.PdfReader(tmp_path / "class-key.pdf")
    assert len(sheets.pages) == 5 and len(key.pages) == 5
    assert "ANSWER KEY" in key.pages[4].extract_text() and "ANSWER KEY" not in sheets.pages[0].extract_text()
    assert key.metadata is not None and str(key.metadata.title).count(",") == 4  # every sheet's id


# 4. Exit 3 only for bythand's own bugs


@pytest.mark.parametrize(
    ("suffix", "text", "message"),
    [
        (".json", '{"X": [[' + "1" * 5000 + "]]}", "a number is too long to read"),
        (".toml", "X = [[" + "1" * 5000 + "]]", "a number is too long to read"),
        (".json", "[" * 100_000 + "]" * 100_000, "the brackets nest too deeply to read"),
        (".toml", "X = " + "[" * 100_000 + "]" * 100_000, "nest too deeply"),
        (
            ".toml",
            'X = [["²"]]\nWQ = [[1]]\nWK = [[1]]\nWV = [[1]]\n',
            "X row 1, column 1: '²' is not a number",
        ),
    ],
)
def test_parser_limits_are_one_line(
    cli: Runner, tmp_path: Path, suffix: str, text: str, message: str
) -> None:
    path = tmp_path / f"p{suffix}"
    path.write_text(text, encoding="utf-8")
    for args in (["run", str(path)], ["check", str(path)]):
        result = cli(*args)
        assert result.code == 2, result.err
        one_error_line(result.err, message if args[0] == "run" or "²" not in text else "")


def test_a_csv_field_past_the_csv_limit(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text('1,"' + "2" * 200_000 + '"\n', encoding="utf-8")
    result = cli("run", "--x", str(path), "--wq", "1", "--wk", "1", "--wv", "1")
    one_error_line(result.err, "not a CSV file this can read (field larger than field limit")


def test_answers_past_the_float_range(cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('Q = [["1e399", 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\n', encoding="utf-8")
    result = cli("check", str(path), "-f", "plain")
    assert result.code == 1 and result.err == ""  # graded: the cell is unreadable, and says why
    assert "Unreadable Q[1,1]: 1e399 is beyond the floating-point range" in result.out
    path.write_text(
        'Q = [["1e300", 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\nsums = ["1e300", "1e308", 1, 1]\n',
        encoding="utf-8",
    )
    assert cli("check", str(path)).code == 1  # wrong, graded: never exit 3
    result = cli("run", "--x", "1e300 1", "--wq", "1", "--wk", "1e-300", "--wv", "1e300", "-f", "plain")
    assert result.code == 2 and len(result.err) < 300
    one_error_line(result.err, "scaled[1,1] = 1e+300: e^1e+300 is too large")


def test_an_ascii_stdout_gets_ascii_fallbacks() -> None:
    done = bythand("run", "--mask", "causal", "--no-approx", env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.isascii()
    assert "S / sqrt3" in done.stdout and "sums[j] = sum_i E[i,j]" in done.stdout and "-inf" in done.stdout
    code, out, err = call("explain", "A[1,1]", encoding="ascii")
    assert (code, err) == (0, "") and out.isascii() and "A[1,1] = E[1,1] / sums[1]" in out


def test_a_closed_stdout_or_stderr() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bythand", "run"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=HANG,
        check=False,
        preexec_fn=lambda: os.close(1),
    )
    assert done.returncode == 2
    one_error_line(done.stderr, "stdout is closed")
    done = subprocess.run(
        [sys.executable, "-m", "bythand", "run", "--x", "nonsense"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=HANG,
        check=False,
        preexec_fn=lambda: os.close(2),
    )
    assert (done.returncode, done.stdout) == (2, "")


def test_a_broken_pipe_is_quiet() -> None:
    command = f"{sys.executable} -m bythand run --full --no-approx -f json | head -c 10"
    done = subprocess.run(
        ["sh", "-c", command + "; exit ${PIPESTATUS:-0}"],
        capture_output=True,
        text=True,
        timeout=HANG,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.stdout == '{"version"' and done.stderr == ""


# 5. Never a silent misread


def test_a_space_separated_csv_is_read_as_such(cli: Runner, tmp_path: Path) -> None:
    np.savetxt(tmp_path / "x.csv", np.array([[1.5, 2.0], [3.0, -4.25]]))
    result = cli(
        "run",
        "--x",
        str(tmp_path / "x.csv"),
        "--wq",
        "1 0; 0 1",
        "--wk",
        "1 0; 0 1",
        "--wv",
        "1 0; 0 1",
        "-f",
        "json",
    )
    assert result.code == 0, result.err
    assert json.loads(result.out)["matrices"]["X"]["values"] == [[1.5, 2.0], [3.0, -4.25]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,,2\n3,4,5\n", "X row 1, column 2 is empty; write a number there"),
        ("1 2,3\n", "X row 1, column 1: '1 2' holds several numbers"),
        ('1,"1/2/3"\n', "X row 1, column 2: '1/2/3' is not a number"),
    ],
)
def test_csv_misreads_are_errors(cli: Runner, tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "x.csv").write_text(text, encoding="utf-8")
    result = cli("run", "--x", str(tmp_path / "x.csv"), "--wq", "1", "--wk", "1", "--wv", "1")
    assert result.code == 2
    one_error_line(result.err, message)


@pytest.mark.parametrize("value", ["1/2/3", "1 2", "12 3/4"])
def test_numbers_are_never_glued(cli: Runner, value: str) -> None:
    result = cli("run", "--x", f"[[{value!r}]]".replace("'", '"'), "--wq", "1", "--wk", "1", "--wv", "1")
    assert result.code == 2, result.out


def test_tiny_and_zero_widths_still_print(cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    for width in ("0", "1", "99999999999999999999999", "-5"):
        monkeypatch.setenv("COLUMNS", width)
        result = cli("run", "--step", "8", "-f", "plain")
        assert result.code == 0 and "9/46" in result.out, (width, result.err)


def test_new_and_template_write_json_for_a_json_name(cli: Runner, tmp_path: Path) -> None:
    problem, answers = tmp_path / "p.json", tmp_path / "a.json"
    assert cli("new", str(problem)).code == 0
    data = json.loads(problem.read_text(encoding="utf-8"))
    assert data["WV"][0] == [10, 0, 0, 0, 0, 0] and data["options"]["exp"] == "3"
    assert cli("run", str(problem), "--step", "8", "-f", "plain").out.count("9/46") == 2
    assert cli("check", "--template", str(problem), "-o", str(answers)).code == 0
    template = json.loads(answers.read_text(encoding="utf-8"))
    assert template["problem"] == "p.json" and template["A"][0] == ["?"] * 4
    assert cli("check", str(answers)).code == 1  # every cell blank: graded, not misread
    one_error_line(cli("new", str(tmp_path / "p.yaml")).err, "problem files are .toml or .json, not .yaml")


@pytest.mark.parametrize("suffix", [".toml", ".json", ".csv"])
def test_a_byte_order_mark_is_accepted(cli: Runner, tmp_path: Path, suffix: str) -> None:
    bom = b"\xef\xbb\xbf"
    if suffix == ".csv":
        (tmp_path / "x.csv").write_bytes(bom + b"1,2\n3,4\n")
        result = cli("run", "--x", str(tmp_path / "x.csv"), "--wq", "1 1", "--wk", "1 -1", "--wv", "2 0")
    else:
        text = (
            GOOD
            if suffix == ".toml"
            else json.dumps({"X": [[1, 2], [3, 4]], "WQ": [[1, 1]], "WK": [[1, -1]], "WV": [[2, 0]]})
        )
        (tmp_path / f"p{suffix}").write_bytes(bom + text.encode())
        result = cli("run", str(tmp_path / f"p{suffix}"))
    assert result.code == 0, result.err


def test_an_error_line_never_spans_two_lines(cli: Runner, tmp_path: Path) -> None:
    result = cli("run", str(tmp_path / "two\nlines.toml"))
    assert result.code == 2 and result.err.count("\n") == 1 and "two\\nlines.toml: no such file" in result.err
    (tmp_path / "p.toml").write_text(GOOD + '"bad\\nkey" = 1\n', encoding="utf-8")
    result = cli("run", str(tmp_path / "p.toml"))
    assert result.code == 2 and result.err.count("\n") == 1


def test_an_empty_path_is_named(cli: Runner) -> None:
    for args in (["run", ""], ["check", ""], ["new", ""], ["run", "-o", ""], ["explain", "S[1,1]", ""]):
        result = cli(*args)
        assert result.code == 2
        one_error_line(result.err, "the path '' is empty; give a file name")


# 6. Big real heads stay usable: the JSON is written a matrix at a time, its floats by orjson


def test_streamed_json_is_the_json_of_the_trace() -> None:
    from bythand.problem import example_names, load_example
    from bythand.render.data import trace_dict, write_trace_json
    from bythand.render.formats import as_text
    from bythand.walk import walk

    for name in example_names():
        for mask in ("none", "causal") if "cross" not in name else ("none",):
            trace = walk(load_example(name).with_options(mask=mask, approx=False))
            out = io.StringIO()
            write_trace_json(trace, "0.1.0", out.write)
            text = out.getvalue()
            # the same document as trace_dict (orjson spells 1e-7 where json.dumps spells 1e-07)
            assert json.loads(text) == trace_dict(trace, "0.1.0")
            assert text.endswith("}\n") and "\n" not in text[:-1]
            if name == "classic":  # ", " and ": " as json.dumps separates, masked cells null
                assert '"values": [[' in text and "], [" in text
                assert (mask == "causal") == ("null, " in text or ", null" in text)
            assert as_text(trace, "json", None, "auto", 2) == text.replace("0.1.0", _version(), 1)


def _version() -> str:
    from bythand import __version__

    return __version__


def test_streamed_json_keeps_every_float_and_refuses_nan() -> None:
    from bythand.problem import Problem
    from bythand.render.data import write_trace_json
    from bythand.walk import walk

    rng = np.random.default_rng(5)  # tiny to plain magnitudes: written in exponents and in decimals
    values = rng.normal(size=(3, 4)) * 10.0 ** rng.integers(-30, 2, size=(3, 4))
    trace = walk(Problem(values, np.eye(3), np.eye(3), np.eye(3)))
    out = io.StringIO()
    write_trace_json(trace, "v", out.write)
    assert json.loads(out.getvalue())["matrices"]["X"]["values"] == values.tolist()  # every bit
    trace.matrices["S"][0, 0] = np.nan
    with pytest.raises(ValueError, match="S holds NaN"):
        write_trace_json(trace, "v", io.StringIO().write)


# The fuzz suite's new inputs: special files, huge digit strings, nested brackets, BOMs, environment

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LONG = settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
DIGITS = st.builds(
    lambda k, lead, tail: lead + "9" * k + tail,
    st.integers(0, 6000),
    st.sampled_from(["", "-", "0.", "1e", "1e0000", "1/", "²", "١"]),
    st.sampled_from(["", "e400", "e-99999", "/3", ".5", "/0"]),
)
NESTED = st.builds(
    lambda depth, inner: "[" * depth + inner + "]" * depth,
    st.integers(1, 3000),
    st.sampled_from(["1", "", "1, 2", '"x"']),
)
SPECIAL = st.sampled_from(["fifo", "/dev/zero", "/dev/null", "folder", "dangling", "missing", "empty"])
ENV = st.fixed_dictionaries(
    {
        "COLUMNS": st.one_of(
            st.text(alphabet=string.digits + "-x ", max_size=25), st.integers(-5, 10**30).map(str)
        )
    }
)
ENCODINGS = st.sampled_from(["ascii", "latin-1", "utf-8", "cp1252", "utf-16"])


def _special_path(folder: Path, kind: str, suffix: str) -> Path:
    path = folder / f"special{suffix}"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind in ("/dev/zero", "/dev/null"):
        path.symlink_to(kind)
    elif kind == "folder":
        path.mkdir()
    elif kind == "dangling":
        path.symlink_to(folder / "nowhere")
    elif kind == "empty":
        path.write_bytes(b"")
    return path


def _special(kind: str, suffix: str, role: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(_special_path(Path(tmp), kind, suffix))
        args = {
            "problem": ["run", path],
            "matrix": ["run", "--x", path, "--wq", "1", "--wk", "1", "--wv", "1"],
            "answers": ["check", path],
            "output": ["run", "-f", "json", "-o", path],
            "forced output": ["run", "-f", "json", "-o", path, "--force"],
        }[role]
        assert_clean(*call(*args), graded=True)
        if kind in ("/dev/zero", "/dev/null", "fifo"):  # still what it was: nothing renamed over it
            assert not Path(path).is_file()


def _digits(text: str, where: str) -> None:
    args = {
        "inline": ["run", "--x", text, "--wq", "1", "--wk", "1", "--wv", "1", "-f", "json"],
        "step": ["run", "--step", text, "-f", "json"],
        "exp": ["run", "--exp", text, "-f", "json"],
        "precision": ["run", "--precision", text, "-f", "json"],
        "cell": ["explain", f"S[{text},1]"],
        "tolerance": ["check", "--tolerance", text, "--template"],
    }[where]
    assert_clean(*call(*args))


def _file(text: str, suffix: str, bom: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"p{suffix}"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
        command = "check" if suffix == ".answers.toml" else "run"
        args = (
            [command, str(path)]
            if suffix != ".csv"
            else ["run", "--x", str(path), "--wq", "1", "--wk", "1", "--wv", "1"]
        )
        assert_clean(*call(*args), graded=True)


FILE_TEXTS = st.one_of(
    NESTED.map(lambda n: f"X = {n}\nWQ = [[1]]\nWK = [[1]]\nWV = [[1]]\n"),
    NESTED.map(lambda n: '{"X": ' + n + "}"),
    DIGITS.map(lambda d: f"X = [[{d}]]\nWQ = [[1]]\nWK = [[1]]\nWV = [[1]]\n"),
    DIGITS.map(lambda d: f'X = [["{d}"]]\nWQ = [[1]]\nWK = [[1]]\nWV = [[1]]\n'),
    DIGITS.map(lambda d: f'Q = [["{d}", 1, 0, 2], [0, 1, 1, 1], [3, 2, 2, 1]]\n'),
    DIGITS.map(lambda d: f"{d},1\n1 2\n"),
    st.just(GOOD),
)
FILE_SUFFIXES = st.sampled_from([".toml", ".json", ".csv", ".answers.toml"])
ROLES = st.sampled_from(["problem", "matrix", "answers", "output", "forced output"])
WHERE = st.sampled_from(["inline", "step", "exp", "precision", "cell", "tolerance"])


def _environment(env: dict[str, str], encoding: str, args: list[str]) -> None:
    code, out, err = call(*args, env=env, encoding=encoding)
    assert_clean(code, out, err)
    assert code == 0
    if encoding == "ascii":
        assert out.isascii()


ENV_COMMANDS = st.sampled_from(
    [
        ["run", "--mask", "causal"],
        ["run", "--no-approx", "--show-work"],
        ["explain", "A[2,3]"],
        ["examples"],
        ["run", "--example", "multi-head-2x4"],
    ]
)


@FUZZ
@given(SPECIAL, st.sampled_from([".toml", ".json", ".csv", ".npy"]), ROLES)
def test_fuzz_special_files(kind: str, suffix: str, role: str) -> None:
    _special(kind, suffix, role)


@FUZZ
@given(DIGITS, WHERE)
def test_fuzz_huge_digit_strings(text: str, where: str) -> None:
    _digits(text, where)


@FUZZ
@given(FILE_TEXTS, FILE_SUFFIXES, st.booleans())
def test_fuzz_nested_brackets_digits_and_boms(text: str, suffix: str, bom: bool) -> None:
    _file(text, suffix, bom)


@FUZZ
@given(ENV, ENCODINGS, ENV_COMMANDS)
def test_fuzz_environment(env: dict[str, str], encoding: str, args: list[str]) -> None:
    _environment(env, encoding, args)


@pytest.mark.slow
@LONG
@given(SPECIAL, st.sampled_from([".toml", ".json", ".csv", ".npy"]), ROLES)
def test_fuzz_special_files_long(kind: str, suffix: str, role: str) -> None:
    _special(kind, suffix, role)


@pytest.mark.slow
@LONG
@given(DIGITS, WHERE)
def test_fuzz_huge_digit_strings_long(text: str, where: str) -> None:
    _digits(text, where)


@pytest.mark.slow
@LONG
@given(FILE_TEXTS, FILE_SUFFIXES, st.booleans())
def test_fuzz_nested_brackets_digits_and_boms_long(text: str, suffix: str, bom: bool) -> None:
    _file(text, suffix, bom)


@pytest.mark.slow
@LONG
@given(ENV, ENCODINGS, ENV_COMMANDS)
def test_fuzz_environment_long(env: dict[str, str], encoding: str, args: list[str]) -> None:
    _environment(env, encoding, args)


def test_errno_is_what_the_messages_say() -> None:
    assert os.strerror(errno.ENOSPC) == "No space left on device"
    assert os.strerror(errno.ENAMETOOLONG) == "File name too long"
