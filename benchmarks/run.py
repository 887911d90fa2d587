"""Time bythand's everyday commands against a baseline measured in the same run on the same machine.

    python benchmarks/run.py            # print the table
    python benchmarks/run.py --write    # also record it in benchmarks/README.md

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
        lines = [f'name = "Student {k + 1}"']
        for step in steps:
            rows = trace["matrices"][step]["exact"]
            if k % 7 == 0 and step == "Z":  # some slips, so the report has something to say
                rows = [["1", *row[1:]] if i == 0 else row for i, row in enumerate(rows)]
            lines.append(f"{step} = {json.dumps(rows)}")
        (answers / f"student-{k + 1:03d}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        prepare(folder)
        rows = []
        for task in TASKS:
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


if __name__ == "__main__":
    main()
