"""Mutation testing in one command (not in CI): mutmut over bythand's core modules, a score per module.

    python tests/mutation.py                # every mutant (about 4,300: hours on two cores)
    python tests/mutation.py --sample 60    # a seeded random sample per module (minutes)
    python tests/mutation.py --sample 40 --full numbers   # numbers whole, the others sampled
    python tests/mutation.py --report       # only print the scores of what has been run so far
    python tests/mutation.py --sample 60 --open   # after adding tests: rerun only the sample's survivors
    python tests/mutation.py --fresh --sample 60  # after a merge: start over (see tests/README.md)
    python tests/mutation.py --sample 60 --resume # after an interruption: run what has no verdict yet

mutmut's configuration (the modules, the fast tests each mutant is tried against) is in pyproject.toml
under [tool.mutmut]; its work lives in mutants/ (ignored by git). `mutmut browse` shows each survivor.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ("walk", "numbers", "check", "explain", "generate", "layout")  # layout: once it exists
KILLED = {1, 3, 37}  # a test failed (3: pytest's internal error) or the type check caught it
TIMEOUT = {24, -24, 36, 152, 255}  # the mutant made the tests hang: detected, counted as killed


def metas() -> dict[str, dict[str, int | None]]:
    """Each module's mutants and their exit codes (None: not run yet)."""
    out = {}
    for module in MODULES:
        path = ROOT / "mutants" / "bythand" / f"{module}.py.meta"
        if path.exists():
            out[module] = json.loads(path.read_text(encoding="utf-8"))["exit_code_by_key"]
    return out


def mutmut(names: list[str], children: int) -> None:
    """Run mutmut on these mutants (all when empty), a few hundred names per call."""
    base = [sys.executable, "-m", "mutmut", "run", "--max-children", str(children)]
    chunks = [names[i : i + 300] for i in range(0, len(names), 300)] or [[]]
    for chunk in chunks:
        subprocess.run([*base, *chunk], cwd=ROOT, check=False)


def report(only: set[str] | None = None) -> None:
    """Killed, timed out, survived and untested mutants per module, and the share detected."""
    header = ("module", "run", "killed", "timeout", "survived", "no tests", "score")
    print("\n" + " ".join(f"{h:>9}" for h in header))
    for module, codes in metas().items():
        ran = {k: v for k, v in codes.items() if v is not None and (only is None or k in only)}
        c = Counter("killed" if v in KILLED else "timeout" if v in TIMEOUT else "survived" if v == 0
                    else "no tests" if v in (5, 33) else "other" for v in ran.values())  # fmt: skip
        score = (c["killed"] + c["timeout"]) / len(ran) if ran else 0.0
        counts = (len(ran), c["killed"], c["timeout"], c["survived"], c["no tests"])
        print(f"{module:>9} " + " ".join(f"{n:9}" for n in counts) + f" {score:9.0%}")
    survivors = sorted(k for codes in metas().values() for k, v in codes.items()
                       if v in (0, 5, 33) and (only is None or k in only))  # fmt: skip
    print(f"\n{len(survivors)} survivors (see each with: mutmut show NAME)")
    for name in survivors:
        print("  " + name)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sample", type=int, default=0, help="mutants per module, drawn at random")
    parser.add_argument("--seed", type=int, default=17, help="the sample's seed")
    parser.add_argument("--full", nargs="*", default=[], help="modules run whole even when sampling")
    parser.add_argument("--children", type=int, default=2, help="mutants tried at once (cores)")
    parser.add_argument("--report", action="store_true", help="print the scores so far; run nothing")
    parser.add_argument("--open", action="store_true", help="rerun only the chosen mutants not yet killed")
    parser.add_argument("--resume", action="store_true", help="run only the chosen mutants not run yet")
    parser.add_argument("--fresh", action="store_true", help="start over: delete mutants/ first")
    args = parser.parse_args()
    if args.report:
        report()
        return
    if args.fresh:  # after a merge: mutmut's change detection can miss a file the merge changed
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    if not args.sample:
        mutmut([], args.children)
        report()
        return
    if not metas():  # mutmut writes the mutants on its first run: try one to have them all listed
        mutmut(["bythand.numbers.x_cell__mutmut_1"], args.children)
    chosen = []
    for module, codes in metas().items():
        names = sorted(codes)
        rng = random.Random(f"{args.seed}:{module}")  # one module's change leaves the others' samples alone
        chosen += names if module in args.full else rng.sample(names, min(args.sample, len(names)))
    todo = chosen
    if args.resume:  # an interrupted run: keep every verdict, run what has none
        codes = {k: v for c in metas().values() for k, v in c.items()}
        todo = [k for k in chosen if codes.get(k) is None]
    elif args.open:  # after adding tests: try again what survived or never ran, keep the kills
        codes = {k: v for c in metas().values() for k, v in c.items()}
        todo = [k for k in chosen if codes.get(k) in (None, 0, 5, 33)]
    mutmut(todo, args.children)
    report(set(chosen))


if __name__ == "__main__":
    main()
