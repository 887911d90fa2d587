"""`bythand practice`: work the exercise on screen, marked by `check` as you type (terminal or browser)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import ProblemError
from .common import (
    ApproxOpt,
    ContextOpt,
    ConventionOpt,
    ExampleOpt,
    ExpOpt,
    HeadsOpt,
    MaskOpt,
    ScaleOpt,
    SheetOpt,
    WKOpt,
    WQOpt,
    WVOpt,
    XOpt,
    app,
    choice,
    chosen_problem,
    int_options,
    opt,
    whole_number,
    write_atomic,
)  # fmt: skip

if TYPE_CHECKING:
    from ..practice.model import Ref
    from ..practice.storage import Saved
    from ..problem import Problem

PRACTICE_PANEL, RANDOM_PANEL, WEB_PANEL = "Practice", "Random sheets (with --random)", "In a browser"
LOCAL = "127.0.0.1"


@app.command()
def practice(
    target: Annotated[
        Path | None,
        typer.Argument(
            metavar="[PROBLEM | ANSWERS.toml]",
            help="A problem file, or an answers file saved by practice to resume; the built-in example if "
            "left out.",
            show_default=False,
        ),
    ] = None,
    x: XOpt = None,
    wq: WQOpt = None,
    wk: WKOpt = None,
    wv: WVOpt = None,
    context: ContextOpt = None,
    heads: HeadsOpt = None,
    example: ExampleOpt = None,
    sheet: SheetOpt = None,
    convention: ConventionOpt = None,
    scale: ScaleOpt = None,
    exp: ExpOpt = None,
    approx: ApproxOpt = None,
    mask: MaskOpt = None,
    random: Annotated[
        bool, opt("A fresh random hand-friendly sheet.", RANDOM_PANEL, None, "--random")
    ] = False,
    difficulty: Annotated[
        str | None, opt("easy, medium or hard (default medium).", RANDOM_PANEL, "LEVEL")
    ] = None,
    seed: Annotated[
        str | None, opt("The seed of the random sheet (default: a new one).", RANDOM_PANEL, "N")
    ] = None,
    mode: Annotated[
        str | None,
        opt(
            "free (any cell, any order; the default) or steps (a step opens when the one before is right).",
            PRACTICE_PANEL,
            "MODE",
        ),
    ] = None,
    exam: Annotated[
        bool, opt("No marks, hints or reveals until you submit (s).", PRACTICE_PANEL, None, "--exam")
    ] = False,
    fill: Annotated[
        str | None, opt("Give these steps already worked: Q,K,V or 2,5.", PRACTICE_PANEL, "STEPS")
    ] = None,
    answers: Annotated[
        Path | None,
        opt(
            "Save to FILE (default: named after the sheet or example, as self-attention-6x4-answers.toml).",
            PRACTICE_PANEL,
            "FILE",
        ),
    ] = None,
    web: Annotated[
        bool, opt("Serve the exercise in a browser (textual-serve).", WEB_PANEL, None, "--web")
    ] = False,
    port: Annotated[str, opt("The port --web serves on (default 8000).", WEB_PANEL, "N")] = "8000",
    host: Annotated[
        str | None,
        opt(f"The address --web listens on (default {LOCAL}, this computer only).", WEB_PANEL, "HOST"),
    ] = None,
) -> None:
    """Work the exercise on screen: every cell marked by check as you type, hints, saved as you go."""
    chosen_mode = choice(mode, ("free", "steps"), "--mode") if mode is not None else None
    _, split = int_options("2", heads)
    served_port = whole_number(port, "--port", 1, 65535)
    if (host is not None or port != "8000") and not web:
        raise ProblemError("--host and --port are for --web")
    from ..render.worksheet import parse_fill

    fills = parse_fill(fill)
    inline = {"X": x, "C": context, "WQ": wq, "WK": wk, "WV": wv}
    method: dict[str, Any] = {"scale": scale, "exp": exp, "approx": approx, "mask": mask}
    if target is not None and target.suffix.lower() == ".json" and target.is_file() and _is_answers(target):
        raise ProblemError(f"{target}: practice resumes the .toml answers files it saves, not JSON")
    if target is not None and target.is_file() and _is_answers(target):
        problem_flags = [f"--{k.lower()}" for k, v in inline.items() if v is not None]
        named = (("--example", example), ("--sheet", sheet), ("--random", random or None), ("--heads", heads),
                 ("--convention", convention), ("--fill", fill))  # fmt: skip
        problem_flags += [flag for flag, v in named if v is not None]
        problem_flags += [f"--{k}" for k, v in method.items() if v is not None]
        if problem_flags:
            raise ProblemError(
                f"{target}: resuming saved answers, which name their problem and method; "
                f"leave out {', '.join(problem_flags)}"
            )
        plan = _resume(target, chosen_mode, exam)
    else:
        plan = _start(target, inline, split, example, sheet, convention, method, random, difficulty, seed,
                      chosen_mode, exam, fills, answers)  # fmt: skip
    if web:
        _serve(plan.path, host or LOCAL, served_port, plan)
        return
    _run(plan)


@dataclass
class Plan:
    """What to open: the problem, where it is recorded, the answers file, and how to practise."""

    problem: Problem
    ref: Ref
    path: Path
    mode: str
    exam: bool
    fill: frozenset[str]
    saved: Saved | None
    problem_file: tuple[Path, str] | None = None  # a problem file to write beside the answers


def _is_answers(path: Path) -> bool:
    from ..check import looks_like_problem

    return path.suffix.lower() in (".toml", ".json") and not looks_like_problem(path)


def _read_saved(path: Path) -> Saved:
    from ..practice.storage import load
    from ..problem import _read_text

    return load(_read_text(path), str(path))


def _resume(path: Path, mode: str | None, exam: bool) -> Plan:
    """Open saved answers again, with the problem and method they record."""
    from ..check import problem_for
    from ..practice.model import Ref
    from ..problem import EXAMPLE_NAME

    saved = _read_saved(path)
    a = saved.answers
    if a.sheet is not None:
        ref = Ref("sheet", a.sheet)
    elif a.example is not None:
        ref = Ref("example", a.example)
    elif a.problem is not None:
        ref = Ref("problem", os.path.relpath(a.problem, path.parent))
    else:  # check grades such a file against the built-in example; say so in the file from now on
        ref = Ref("example", EXAMPLE_NAME)
    problem, _, _ = problem_for(a, None, None, None)  # check's own choice: the file's problem and method
    if exam and not saved.exam:
        raise ProblemError(f"{path}: was not started as an exam; --exam applies to a new answers file")
    return Plan(problem, ref, path, mode or saved.mode or "free", saved.exam, saved.fill, saved)


def _start(  # noqa: PLR0915 - one straight path through the ways a problem can be named
    target: Path | None,
    inline: dict[str, str | None],
    heads: int | None,
    example: str | None,
    sheet: str | None,
    convention: str | None,
    method: dict[str, Any],
    random: bool,
    difficulty: str | None,
    seed: str | None,
    mode: str | None,
    exam: bool,
    fills: frozenset[str],
    answers: Path | None,
) -> Plan:
    """A new session (or this problem's answers file again, if it is already there)."""
    from ..practice.model import Ref
    from ..problem import EXAMPLE_NAME, check_convention

    given_inline = any(v is not None for v in inline.values())
    if not random and (difficulty is not None or seed is not None):
        raise ProblemError(
            f"{'--difficulty' if difficulty is not None else '--seed'} makes a random sheet; add --random"
        )
    problem_file: tuple[str, str] | None = None
    if random:
        others = [
            f for f, v in (("PROBLEM", target), ("--example", example), ("--sheet", sheet)) if v is not None
        ]
        others += [f"--{k.lower()}" for k, v in inline.items() if v is not None]
        if others:
            raise ProblemError(f"--random makes its own problem; leave out {', '.join(others)}")
        from ..generate import MAX_SEED, class_set
        from ..render.worksheet import random_params

        if seed is None:
            import secrets

            chosen_seed = secrets.randbelow(MAX_SEED + 1)
        else:
            chosen_seed = whole_number(seed, "--seed", 0, MAX_SEED)
        params = random_params(True, None, None, None, None, None, None, difficulty, heads,
                               method["approx"], method["mask"])  # fmt: skip
        assert params is not None  # --random was given
        sid, base = class_set(params, chosen_seed, 1)[0]
        if convention is not None:
            base = base.in_convention(check_convention(convention, "--convention"))
        ref, default = Ref("sheet", sid), f"{sid}-answers.toml"
        method = {**method, "approx": None, "mask": None}  # the sheet's own
    else:
        base = chosen_problem(target, inline, convention, heads, example, sheet)
        if sheet is not None:
            ref, default = Ref("sheet", sheet.strip().upper()), f"{sheet.strip().upper()}-answers.toml"
        elif example is not None:
            ref, default = Ref("example", example), f"{example}-answers.toml"
        elif target is not None and not given_inline and heads is None:
            ref, default = Ref("problem", str(target)), f"{target.stem}-answers.toml"
        elif target is None and not given_inline and heads is None:
            ref, default = Ref("example", EXAMPLE_NAME), f"{EXAMPLE_NAME}-answers.toml"
        else:  # givens typed on the command line, or a file split into heads: check needs them in a file
            stem = target.stem if target is not None else "practice"
            default = f"{stem}-answers.toml"
            ref = Ref("problem", "")
            problem_file = (f"{(answers or Path(default)).stem}-problem.toml", "")
    problem = base.with_options(**method)
    path = answers or Path(default)
    if path.suffix.lower() != ".toml":
        raise ProblemError(f"--answers {path}: practice saves TOML; give a name ending in .toml")
    extra: tuple[Path, str] | None = None
    if problem_file is not None:
        from ..practice.storage import problem_text

        file = path.parent / problem_file[0]
        extra = (file, problem_text(problem))
        ref = Ref("problem", file.name)
    elif ref.kind == "problem":
        ref = Ref("problem", os.path.relpath(Path(ref.value).resolve(), path.parent.resolve()))
    saved = None
    if path.exists():
        saved = _owned(path, ref, problem)
    if extra is not None and extra[0].exists() and extra[0].read_text(encoding="utf-8") != extra[1]:
        raise ProblemError(f"{extra[0]}: already exists with other givens; give --answers OTHER.toml")
    chosen_mode = mode or (saved.mode if saved is not None else None) or "free"
    if saved is not None and saved.exam != exam and exam:
        raise ProblemError(f"{path}: holds answers that were not an exam; give --answers OTHER.toml")
    return Plan(problem, ref, path, chosen_mode, exam or (saved.exam if saved else False),
                saved.fill if saved is not None and not fills else fills, saved, extra)  # fmt: skip


def _owned(path: Path, ref: Ref, problem: Problem) -> Saved:
    """The answers already in the file, if they are this problem's (else refuse to touch it)."""
    from ..errors import BythandError

    try:
        saved = _read_saved(path)
    except BythandError:
        raise ProblemError(
            f"{path}: exists and is not a bythand answers file; give another name with --answers FILE"
        ) from None
    from ..answers import Reference
    from ..check import same_reference

    a = saved.answers
    ours = Reference(ref.kind, str(path.parent / ref.value) if ref.kind == "problem" else ref.value)
    same = a.reference is not None and same_reference(a.reference, ours)
    o = problem.options
    method = {"convention": o.convention, "scale": o.scale, "exp": o.exp, "mask": o.mask}
    if not same or any(a.options.get(k, v) != v for k, v in method.items()):
        raise ProblemError(
            f"{path}: already holds answers to another problem or method; resume them with "
            f"`bythand practice {path}`, or give another name with --answers FILE"
        )
    return saved


def _session(plan: Plan) -> Any:
    from ..practice import storage
    from ..practice.model import Session
    from ..walk import walk

    name = plan.saved.answers.name if plan.saved is not None else None
    session = Session(walk(plan.problem), plan.ref, str(plan.path), plan.mode,  # type: ignore[arg-type]
                      plan.exam, plan.fill, name)  # fmt: skip
    if plan.saved is not None:
        storage.restore(session, plan.saved)
    return session


def _lock(path: Path) -> Any:
    """Hold a lock beside the answers file: two sessions (two browser tabs) must not write one file."""
    import fcntl

    lock = path.with_name(f".{path.name}.lock")
    handle = open(lock, "a")  # noqa: SIM115 - held for the whole session
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ProblemError(
            f"{path}: is open in another bythand practice (another window or browser tab); close that first"
        ) from None
    return handle


def _first_save(plan: Plan, session: Any) -> None:
    from ..practice import storage

    if plan.problem_file is not None and not plan.problem_file[0].exists():
        write_atomic(plan.problem_file[0], plan.problem_file[1], force=False)
    write_atomic(plan.path, storage.dump(session), force=True)


def _run(plan: Plan) -> None:
    """The exercise in this terminal, saved as it goes."""
    session = _session(plan)
    try:
        lock = _lock(plan.path)
    except ProblemError as exc:
        if not os.environ.get("TEXTUAL_DRIVER", "").endswith("WebDriver"):
            raise
        # a second tab of `practice --web`: textual-serve shows only "failed to start" for an app
        # that exits at once, so the reason is shown in the page itself
        from ..practice.dialogs import AlreadyOpen

        AlreadyOpen(str(exc).removesuffix("; close that first")).run()
        return
    try:
        _first_save(plan, session)
        from ..practice.app import PracticeApp

        def save(text: str) -> None:
            write_atomic(plan.path, text, force=True)

        PracticeApp(session, save).run()
    finally:
        lock.close()
        plan.path.with_name(f".{plan.path.name}.lock").unlink(missing_ok=True)
    print(f"Saved {plan.path}: {session.summary()}. Check it: bythand check {plan.path}")


def _serve(path: Path, host: str, port: int, plan: Plan) -> None:
    """The same app in a browser: textual-serve runs `bythand practice ANSWERS` for each page opened."""
    import shlex

    session = _session(plan)
    _first_save(plan, session)  # the served app resumes this file, so nothing is asked again
    from textual_serve.server import Server

    command = shlex.join([sys.executable, "-m", "bythand", "practice", str(path.resolve())])
    if host != LOCAL:
        print(
            f"Warning: serving on {host}: anyone who can reach this computer on that network can open "
            "the exercise and write to your answers file.",
            file=sys.stderr,
        )
    where = f"[{host}]" if ":" in host else host
    print(f"Serving bythand practice at http://{where}:{port}  (answers: {path}; Ctrl+C stops)", flush=True)
    server = Server(command, host=host, port=port, title="bythand practice")
    try:
        server.serve()
    except OSError as exc:
        raise ProblemError(f"--port {port}: cannot serve on {host}:{port} ({exc.strerror})") from None
