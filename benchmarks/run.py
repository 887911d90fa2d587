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


def timed(argv: list[str], cwd: Path) -> float:
    """Wall time of one run; a failing command stops the benchmark with its message."""
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):  # check exits 1 when some answers are wrong: still a full run
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed


@dataclass
class Task:
    """One measured command and its target: a ratio to the baseline, or seconds."""

    name: str
    argv: Callable[[Path], list[str]]
    ratio: float | None = None
    seconds: float | None = None
    available: Callable[[], bool] = lambda: True


def has_command(name: str) -> Callable[[], bool]:
    """True when this bythand has the subcommand (the benchmark runs on any version)."""

    def check() -> bool:
        done = subprocess.run([*bythand(), name, "--help"], capture_output=True, check=False)
        return done.returncode == 0

    return check


def prepare(folder: Path) -> None:
    """The inputs: a 64×64 float problem, a 16-token exact problem, 200 answer files."""
    rng = np.random.default_rng(2026)
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


TASKS = [
    Task("bythand run (built-in example)", lambda d: [*bythand(), "run"], ratio=1.5),
    Task(
        "reference: import numpy, typer and rich alone",
        lambda d: [sys.executable, "-c", "import numpy, typer, rich.console, rich.text"],
    ),
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
]
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
            ours, base = [], []
            for _ in range(args.runs):  # interleaved, so drift in the machine's load hits both alike
                base.append(timed(BASELINE, folder))
                ours.append(timed(task.argv(folder), folder))
            mine, baseline = statistics.median(ours), statistics.median(base)
            if task.ratio is not None:
                ratio = mine / baseline
                verdict = "met" if ratio <= task.ratio else "MISSED"
                target = f"≤ {task.ratio}× baseline ({ratio:.2f}×)"
            elif (
                task.seconds is None
            ):  # a reference row: what the libraries cost before bythand does anything
                verdict, target = "", f"({mine / baseline:.2f}× baseline)"
            else:
                verdict = "met" if mine <= task.seconds else "MISSED"
                target = f"≤ {task.seconds:g} s"
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
