"""Time bythand's everyday commands against a baseline measured in the same run on the same machine.

    python benchmarks/run.py            # print the table
    python benchmarks/run.py --write    # also record it in benchmarks/README.md
    python benchmarks/run.py --practice # only bythand practice (start-up, keystroke to mark)

Each figure is the median wall time of several runs of a fresh process, as a user would start it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
BEGIN, END = "<!-- results: begin -->", "<!-- results: end -->"


def bythand() -> list[str]:
    """The installed console script beside this Python, else `python -m bythand`."""
    script = Path(sys.executable).with_name("bythand")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bythand"]


PEAK = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
    "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.stderr.strip())"
)  # the largest resident set of the command and of any process it started, in KiB (Linux)


def timed(argv: list[str], cwd: Path, codes: tuple[int, ...] = (0, 1)) -> float:
    """Wall time of one run; a failing command stops the benchmark with its message."""
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in codes:  # check exits 1 when some answers are wrong: still a full run
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed


def peak_mb(argv: list[str], cwd: Path) -> float:
    """The peak memory of one run, in MB."""
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    argv = [sys.executable, "-c", PEAK, *argv]
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    code, kib, *_ = done.stdout.split(maxsplit=2)
    if int(code) not in (0, 1, 2):
        raise SystemExit(f"{' '.join(argv)} failed ({code}): {done.stdout}")
    return int(kib) / 1024


@dataclass
class Task:
    """One measured command and its target: a ratio to the baseline, or seconds."""

    name: str
    argv: Callable[[Path], list[str]]
    ratio: float | None = None
    seconds: float | None = None
    available: Callable[[], bool] = lambda: True
    baseline: list[str] | None = None  # what the ratio is measured against (else the baseline)
    memory: float | None = None  # a target for the peak memory, in MB
    runs: int | None = None  # fewer runs for a long task
    codes: tuple[int, ...] = (0, 1)  # exit codes of a full run (2: a refusal, for a refused input)


def has_command(name: str) -> Callable[[], bool]:
    """True when this bythand has the subcommand (the benchmark runs on any version)."""

    def check() -> bool:
        done = subprocess.run([*bythand(), name, "--help"], capture_output=True, check=False)
        return done.returncode == 0

    return check


def prepare(folder: Path) -> None:
    """The inputs: a 64×64 float problem, exact problems of 16 tokens and 150×150, 200 answer files,
    a 1024-token float problem, and 4.8 MB problem and answers files."""
    rng = np.random.default_rng(2026)
    prepare_big(folder, rng)
    np.save(folder / "x64.npy", rng.normal(size=(64, 64)))
    for name in ("wq64", "wk64", "wv64"):
        np.save(folder / f"{name}.npy", rng.normal(size=(64, 64)) / 8)
    exact = {
        "title": "16 tokens, exact",
        "X": rng.integers(0, 2, size=(6, 16)).tolist(),
        "WQ": rng.integers(0, 2, size=(3, 6)).tolist(),
        "WK": rng.integers(-1, 2, size=(3, 6)).tolist(),
        "WV": rng.integers(0, 3, size=(3, 6)).tolist(),
        "options": {"scale": "floor-half", "exp": "3"},
    }
    (folder / "exact16.json").write_text(json.dumps(exact), encoding="utf-8")
    trace = json.loads(
        subprocess.run([*bythand(), "run", "-f", "json"], capture_output=True, text=True, check=True).stdout
    )
    answers = folder / "answers"
    answers.mkdir()
    steps = ["Q", "K", "V", "KT", "S", "scaled", "E", "sums", "A", "Z"]
    for k in range(200):
        lines = [f'name = "Student {k + 1}"', 'example = "self-attention-6x4"']
        for step in steps:
            rows = trace["matrices"][step]["exact"]
            if k % 7 == 0 and step == "Z":  # some slips, so the report has something to say
                rows = [["1", *row[1:]] if i == 0 else row for i, row in enumerate(rows)]
            lines.append(f"{step} = {json.dumps(rows)}")
        (answers / f"student-{k + 1:03d}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if supports_xlsx():
        prepare_workbooks(folder, trace)


def supports_xlsx() -> bool:
    """True when this bythand writes worksheets as xlsx (the benchmark runs on any version)."""
    done = subprocess.run([*bythand(), "worksheet", "--help"], capture_output=True, text=True, check=False)
    return "xlsx" in done.stdout


def prepare_workbooks(folder: Path, trace: dict[str, Any]) -> None:
    """200 filled worksheet workbooks of the built-in example, as students hand them in."""
    import openpyxl

    (folder / "xlsx").mkdir()
    blank = folder / "blank.xlsx"
    subprocess.run([*bythand(), "worksheet", "-f", "xlsx", "-o", str(blank)], capture_output=True, check=True)
    workbook = openpyxl.load_workbook(blank)
    rows = list(workbook["bythand"].iter_rows(values_only=True))
    items = [json.loads(value) for key, value in rows if key == "matrix"]
    items = [it for it in items if it["role"] == "answer"]
    sheet = workbook["Worksheet"]
    out = folder / "workbooks"
    out.mkdir()
    for k in range(200):
        sheet["C2"] = f"Student {k + 1}"
        for it in items:
            for i, row in enumerate(trace["matrices"][it["name"]]["exact"]):
                for j, value in enumerate(row):
                    slip = k % 7 == 0 and it["name"] == "Z" and (i, j) == (0, 0)  # some slips, as above
                    number = (i + j) % 2 == 1 and "/" not in value  # some typed into number cells
                    written = "1" if slip else value
                    target = sheet.cell(it["row"] + i + 1, it["col"] + j + 1)
                    target.value = int(written) if number else written
        workbook.save(out / f"student-{k + 1:03d}.xlsx")


def prepare_big(folder: Path, rng: np.random.Generator) -> None:
    """The inputs of issue 16: big exact and float problems, --show-work sizes, 4.8 MB files."""
    n = 150  # every matrix 150×150, sparse weights so that 3^x stays exact (scores are small)
    big = {
        "title": "150×150, exact",
        "X": rng.integers(0, 2, size=(n, n)).tolist(),
        "WQ": (rng.random((n, n)) < 0.02).astype(int).tolist(),
        "WK": (rng.random((n, n)) < 0.02).astype(int).tolist(),
        "WV": rng.integers(-1, 2, size=(n, n)).tolist(),
        "options": {"scale": "floor-half", "exp": "3"},
    }
    (folder / "exact150.json").write_text(json.dumps(big), encoding="utf-8")
    for n in (16, 40):
        work = {
            "title": f"{n}×{n}, exact",
            "X": rng.integers(0, 2, size=(n, n)).tolist(),
            "WQ": (rng.random((n, n)) < 0.05).astype(int).tolist(),
            "WK": (rng.random((n, n)) < 0.05).astype(int).tolist(),
            "WV": rng.integers(-1, 2, size=(n, n)).tolist(),
            "options": {"scale": "floor-half", "exp": "3"},
        }
        (folder / f"work{n}.json").write_text(json.dumps(work), encoding="utf-8")
    np.save(folder / "x1024.npy", rng.normal(size=(64, 1024)))
    for name in ("wq1024", "wk1024", "wv1024"):
        np.save(folder / f"{name}.npy", rng.normal(size=(64, 64)) / 8)
    # 4.8 MB each, well formed: a problem of 2,000-token rows, an answers file of long rows of decimals
    row = "[" + ", ".join(["1"] * 2000) + "]"
    rows = ",\n".join([row] * (4_800_000 // (len(row) + 2)))
    (folder / "huge-problem.toml").write_text(f"X = [{rows}]\nWQ = [[1]]\nWK = [[1]]\nWV = [[1]]\n", "utf-8")
    cells = "[[" + ", ".join(['"0.25"'] * 2000) + "]]"
    answers = "\n".join(f"h{k}.Q = {cells}" for k in range(4_800_000 // (len(cells) + 8)))
    (folder / "huge-answers.toml").write_text(answers + "\n", encoding="utf-8")


REFERENCE = [sys.executable, "-c", "import numpy, typer, rich.console, rich.text"]
FLOAT_1024 = ["--x", "x1024.npy", "--wq", "wq1024.npy", "--wk", "wk1024.npy", "--wv", "wv1024.npy"]

TASKS = [
    Task("bythand run (built-in example)", lambda d: [*bythand(), "run"], ratio=1.25, baseline=REFERENCE),
    Task("reference: import numpy, typer and rich alone", lambda d: REFERENCE),
    Task("bythand --help", lambda d: [*bythand(), "--help"], ratio=1.3),
    Task(
        "30 random worksheets with keys",
        lambda d: [
            *bythand(),
            "worksheet",
            "--random",
            "--count",
            "30",
            "--seed",
            "7",
            "--key",
            "-o",
            str(d / f"class-{time.perf_counter_ns()}.pdf"),
        ],
        seconds=3.0,
        available=has_command("worksheet"),
    ),
    Task(
        "30 random worksheets with keys as xlsx",
        lambda d: [
            *bythand(),
            "worksheet",
            "--random",
            "--count",
            "30",
            "--seed",
            "7",
            "--key",
            "-f",
            "xlsx",
            "--force",
            "-o",
            f"{d / 'xlsx'}/",
        ],
        seconds=3.0,
        available=supports_xlsx,
    ),
    Task(
        "bythand check on 200 filled xlsx workbooks",
        lambda d: [*bythand(), "check", str(d / "workbooks"), "--format", "plain"],
        seconds=5.0,
        available=supports_xlsx,
    ),
    Task(
        "bythand check on 200 answer files",
        lambda d: [*bythand(), "check", str(d / "answers"), "--format", "plain"],
        seconds=3.0,
        available=has_command("check"),
    ),
    Task(
        "64×64 float problem",
        lambda d: [
            *bythand(),
            "run",
            "--x",
            str(d / "x64.npy"),
            "--wq",
            str(d / "wq64.npy"),
            "--wk",
            str(d / "wk64.npy"),
            "--wv",
            str(d / "wv64.npy"),
            "-f",
            "plain",
        ],
        seconds=1.0,
    ),
    Task(
        "16-token exact problem",
        lambda d: [*bythand(), "run", str(d / "exact16.json"), "-f", "plain"],
        seconds=1.0,
    ),
    Task("150×150 exact problem", lambda d: [*bythand(), "run", "exact150.json", "-f", "plain"],
         seconds=2.0, runs=3),
    Task("--show-work, 16×16 exact",
         lambda d: [*bythand(), "run", "work16.json", "--show-work", "-f", "plain"], seconds=1.0, runs=5),
    Task("--show-work, 40×40 exact",
         lambda d: [*bythand(), "run", "work40.json", "--show-work", "-f", "plain"], seconds=2.0, runs=3),
    Task("1024-token float problem, terminal", lambda d: [*bythand(), "run", *FLOAT_1024],
         seconds=1.0, runs=3),
    Task("1024-token float problem, -f json", lambda d: [*bythand(), "run", *FLOAT_1024, "-f", "json"],
         seconds=2.0, memory=300, runs=3),
    Task("4.8 MB problem file", lambda d: [*bythand(), "run", "huge-problem.toml", "-f", "plain"],
         seconds=1.5, runs=3, codes=(0, 2)),
    Task("4.8 MB answers file", lambda d: [*bythand(), "check", "huge-answers.toml"],
         seconds=1.5, runs=3, codes=(0, 1, 2)),
    Task(
        "1,000 random worksheets with keys",
        lambda d: [*bythand(), "worksheet", "--random", "--count", "1000", "--key", "-o",
                   str(d / f"big-{time.perf_counter_ns()}.pdf")],
        seconds=120.0,
        memory=500,
        runs=1,
        available=has_command("worksheet"),
    ),
]  # fmt: skip
BASELINE = [sys.executable, "-c", "import numpy"]


def machine() -> str:
    """The machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


def main() -> None:
    """Measure every task beside the baseline and print (and optionally record) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per figure (the median is reported)")
    parser.add_argument("--write", action="store_true", help="record the table in benchmarks/README.md")
    parser.add_argument("--practice", action="store_true", help="only bythand practice's figures")
    parser.add_argument("--only", metavar="TEXT", help="only the tasks whose name contains TEXT")
    args = parser.parse_args()
    if args.only and args.write:
        parser.error("--write records the whole table; leave out --only")
    if args.practice:
        practice_table(args.runs, args.write)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        prepare(folder)
        rows = []
        for task in [t for t in TASKS if args.only is None or args.only in t.name]:
            if not task.available():
                rows.append(f"| {task.name} | n/a | | | not in this version |")
                continue
            ours, base, against = [], [], []
            for _ in range(task.runs or args.runs):  # interleaved: drift in the machine's load hits all alike
                base.append(timed(BASELINE, folder))
                if task.baseline is not None:
                    against.append(timed(task.baseline, folder))
                ours.append(timed(task.argv(folder), folder, task.codes))
            mine, baseline = statistics.median(ours), statistics.median(base)
            peak = peak_mb(task.argv(folder), folder) if task.memory is not None else None
            if task.ratio is not None:
                reference = statistics.median(against) if against else baseline
                ratio = mine / reference
                verdict = "met" if ratio <= task.ratio else "MISSED"
                what = "the reference" if against else "baseline"
                target = f"≤ {task.ratio}× {what} ({ratio:.2f}×)"
            elif (
                task.seconds is None
            ):  # a reference row: what the libraries cost before bythand does anything
                verdict, target = "", f"({mine / baseline:.2f}× baseline)"
            else:
                verdict = "met" if mine <= task.seconds else "MISSED"
                target = f"≤ {task.seconds:g} s"
            if peak is not None and task.memory is not None:
                verdict = "met" if verdict == "met" and peak <= task.memory else "MISSED"
                target += f"; peak {peak:.0f} MB (≤ {task.memory:g} MB)"
            rows.append(f"| {task.name} | {mine:.3f} s | {baseline:.3f} s | {target} | {verdict} |")
            print(rows[-1], flush=True)
    table = "\n".join(
        [
            f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; median of {args.runs} runs each; "
            'baseline: `python -c "import numpy"`, measured in the same run.',
            "",
            "| task | median | baseline | target | |",
            "|---|---:|---:|---|---|",
            *rows,
        ]
    )
    print()
    print(table)
    if args.write:
        text = README.read_text(encoding="utf-8")
        start, stop = text.index(BEGIN) + len(BEGIN), text.index(END)
        README.write_text(text[:start] + "\n" + table + "\n" + text[stop:], encoding="utf-8")
        print(f"\nRecorded in {README.relative_to(HERE.parent)}")
    practice_table(args.runs, args.write)


# bythand practice, measured with Textual's own headless driver (Pilot), in fresh processes

PRACTICE_BEGIN, PRACTICE_END = "<!-- practice: begin -->", "<!-- practice: end -->"
PRACTICE_START = """\
import asyncio
from bythand.practice.app import PracticeApp
from bythand.practice.model import Ref, Session
from bythand.problem import load_example
from bythand.walk import walk

async def main() -> None:
    name = "self-attention-6x4"
    session = Session(walk(load_example(name)), Ref("example", name), "a.toml")
    async with PracticeApp(session).run_test(size=(160, 50)) as pilot:
        await pilot.pause()  # the first screen is drawn

asyncio.run(main())
"""
EMPTY_APP = """\
import asyncio
from textual.app import App

async def main() -> None:
    async with App().run_test(size=(160, 50)) as pilot:
        await pilot.pause()

asyncio.run(main())
"""
PRACTICE_KEYS = """\
import asyncio, statistics, sys, time
from pathlib import Path
from bythand.practice import storage
from bythand.practice.app import PracticeApp
from bythand.practice.model import Ref, Session
from bythand.problem import load_example
from bythand.walk import walk

async def main() -> None:
    path = Path(sys.argv[1])
    name = "self-attention-6x4"
    session = Session(walk(load_example(name)), Ref("example", name), str(path))
    app = PracticeApp(session, lambda text: path.write_text(text, encoding="utf-8"))
    times, idle = [], []
    async with app.run_test(size=(160, 50)) as pilot:
        screen = app.exercise
        for k in range(int(sys.argv[2])):
            start = time.perf_counter()
            await pilot.press("x")  # a key nothing answers: Pilot's own cost of a press
            idle.append(time.perf_counter() - start)
            key = "5" if k % 2 == 0 else "backspace"  # each key changes the cell, so check marks it again
            start = time.perf_counter()
            await pilot.press(key)  # returns when the app is idle: the mark is on screen, the file saved
            times.append(time.perf_counter() - start)
            assert screen.entries[screen.here].mark == ("wrong" if key == "5" else "blank")
    print(statistics.median(times), statistics.median(idle))

asyncio.run(main())
"""


def practice_rows(folder: Path, runs: int) -> list[str]:
    """Start-up to the first screen (a fresh process) and keystroke to mark, each against its target."""
    rows = []
    starts, empty = [], []
    for _ in range(runs):  # interleaved, so the machine's load hits both alike
        starts.append(timed([sys.executable, "-c", PRACTICE_START], folder))
        empty.append(timed([sys.executable, "-c", EMPTY_APP], folder))
    start = statistics.median(starts)
    rows.append(
        f"| practice: start-up to first screen (classic, Pilot) | {start:.3f} s | ≤ 1 s | "
        f"{'met' if start <= 1.0 else 'MISSED'} |"
    )
    empty_app = statistics.median(empty)
    rows.append(f"| reference: an empty Textual app, started the same way | {empty_app:.3f} s | | |")
    done = subprocess.run(
        [sys.executable, "-c", PRACTICE_KEYS, str(folder / "keys-answers.toml"), str(max(runs, 5) * 4)],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    key, idle = (float(v) for v in done.stdout.split())
    rows.append(
        f"| practice: keystroke to mark (classic, Pilot, median of {max(runs, 5) * 4}) | "
        f"{key * 1000:.0f} ms | ≤ 50 ms | {'met' if key <= 0.050 else 'MISSED'} |"
    )
    rows.append(f"| reference: Pilot's press of a key nothing answers | {idle * 1000:.0f} ms | | |")
    for row in rows:
        print(row, flush=True)
    return rows


def practice_table(runs: int, write: bool) -> None:
    """Measure practice and print (and optionally record) its own table."""
    with tempfile.TemporaryDirectory() as tmp:
        rows = practice_rows(Path(tmp), runs)
    table = "\n".join(
        [
            f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; median of {runs} start-ups.",
            "",
            "| task | median | target | |",
            "|---|---:|---|---|",
            *rows,
        ]
    )
    print()
    print(table)
    if write:
        text = README.read_text(encoding="utf-8")
        start, stop = text.index(PRACTICE_BEGIN) + len(PRACTICE_BEGIN), text.index(PRACTICE_END)
        README.write_text(text[:start] + "\n" + table + "\n" + text[stop:], encoding="utf-8")


if __name__ == "__main__":
    main()
