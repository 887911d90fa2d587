"""Random hand-friendly problems and sheet ids: bounds, round trips, typos, and problems pinned forever."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bythand import Problem, walk
from bythand.generate import (
    ALPHABET,
    DEFAULT_SIZES,
    DIFFICULTIES,
    KEY_BOUNDS,
    MAX_ID_LENGTH,
    Params,
    SheetIdError,
    SplitMix,
    class_set,
    generate,
    key_stats,
    make_params,
    named_problem,
    parse_sheet_id,
    problem_from_sheet_id,
    quick_key_stats,
    sheet_id,
)
from bythand.problem import Options
from bythand.walk import MASKED

import reference as ref
from conftest import Runner


def canonical(p: Problem) -> str:
    """Every given and option of a problem as text, to pin it by a hash."""

    def rows(m: object) -> list[list[str]]:
        return [[str(v) for v in row] for row in m.tolist()]  # type: ignore[attr-defined]

    heads = [[rows(h.WQ), rows(h.WK), rows(h.WV)] for h in p.heads]
    o = p.options
    return json.dumps(
        {"X": rows(p.X), "heads": heads, "options": [o.scale, o.exp, o.mask]}, separators=(",", ":")
    )


# Generator version 1, frozen: these ids must rebuild these problems in every later release.
PINNED = {
    "11PVR6TRH": "a6048385512de78a",
    "11PVR0C": "810d5f5f37d0b971",
    "10VDR06": "2ce677c4e8b18342",
    "12BXW6TRJ": "3b40e4fce31840e7",
    "11PVH0K": "c310e9fd96604b6b",
    "14JZ80J": "38e7a555c7d69a19",
    # version 2: the same draws, redrawn until the key is within its difficulty's bounds
    "21PVR6TRT": "f1b9298b9e822e87",
    "20VDR6TSJ": "bc88f34b8da6cffa",
    "21PWCC7": "7956a25c459081c5",
    "21PW92XRC": "7e11b85a233e8f98",
    "21PVG5K": "1c26c5dce3b5cc96",
}


@pytest.mark.parametrize("sid", sorted(PINNED))
def test_pinned_ids_rebuild_pinned_problems(sid: str) -> None:
    digest = hashlib.sha256(canonical(problem_from_sheet_id(sid)).encode()).hexdigest()[:16]
    assert digest == PINNED[sid]


def test_one_pinned_problem_written_out() -> None:
    p = problem_from_sheet_id("11PVR6TRH")
    assert p.X.tolist() == [
        [1, 0, 1, 0],
        [0, 2, 1, 0],
        [0, 2, 0, 1],
        [1, 2, 1, 0],
        [2, 1, 0, 1],
        [2, 1, 1, 0],
    ]
    assert p.WQ.tolist() == [[0, 0, 0, 0, -1, 0], [0, 0, 0, 0, -1, 1], [0, 0, 0, 0, 0, -1]]
    assert p.WK.tolist() == [[0, 0, 0, 0, 0, -1], [0, 0, 0, 0, 1, 0], [-1, 1, 0, 0, 0, 0]]
    assert p.WV.tolist() == [[0, 2, 0, 0, 0, 0], [0, 0, 0, 2, 0, 0], [0, 0, 0, 0, 1, 0]]
    assert (p.options.scale, p.options.exp, p.options.mask) == ("floor-half", "3", "none")
    assert p.title == "Self-attention by hand: 6 features, 4 tokens, d_k = 3"


def test_splitmix_matches_the_published_reference() -> None:
    rng = SplitMix(0)  # the reference sequence of SplitMix64 seeded with 0
    assert [rng.next64() for _ in range(3)] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]


params_strategy = st.builds(
    make_params,
    tokens=st.integers(2, 6),
    dim=st.integers(2, 6),
    dk=st.integers(1, 4),
    dv=st.integers(1, 4),
    difficulty=st.sampled_from(["easy", "medium", "hard"]),
    approx=st.booleans(),
    mask=st.sampled_from(["none", "causal"]),
    heads=st.integers(1, 2),
)


@given(params=params_strategy, seed=st.integers(0, 10**12))
@settings(max_examples=60, deadline=None)
def test_random_problems_meet_the_hand_friendly_bounds(params: Params, seed: int) -> None:
    p = generate(params, seed)
    assert p.n == params.tokens and p.d_k == params.dk and len(p.heads) == params.heads
    givens = [p.X, *(m for h in p.heads for m in (h.WQ, h.WK, h.WV))]
    assert all(isinstance(v, Fraction) and v.denominator == 1 and abs(v) <= 3 for m in givens for v in m.flat)
    trace = walk(p)
    for i in range(params.heads):
        pre = p.prefix(i)
        live = [v for v in trace[pre + "scaled"].flat if v != MASKED]
        if params.approx:
            assert all(-2 <= v <= 4 for v in live)  # 3^x between 1/9 and 81
            e = [v for v in trace[pre + "E"].flat if v != 0]
            assert all(Fraction(1, 9) <= v <= 81 for v in e)
            for s in trace[pre + "sums"].flat:
                assert s.denominator <= 9 and s <= 25 * params.tokens
        else:
            assert all(abs(float(v)) <= 3 for v in live)


@given(params=params_strategy, seed=st.integers(0, 2**41 - 1))
@settings(max_examples=200, deadline=None)
def test_ids_round_trip_and_are_short(params: Params, seed: int) -> None:
    sid = sheet_id(params, seed)
    assert len(sid) <= MAX_ID_LENGTH and set(sid) <= set(ALPHABET)
    assert parse_sheet_id(sid) == (params, seed)
    assert parse_sheet_id(sid.lower()) == (params, seed)  # typed in lower case


def test_every_single_typo_is_refused() -> None:
    sid = sheet_id(make_params(), 7000)
    for i in range(len(sid)):
        for ch in ALPHABET:
            if ch != sid[i]:
                typo = sid[:i] + ch + sid[i + 1 :]
                with pytest.raises(SheetIdError):
                    parse_sheet_id(typo)


def test_swapped_neighbours_are_refused_and_lost_characters_nearly_always() -> None:
    lost = refused = 0
    for seed in range(0, 5_000_000, 97_001):
        sid = sheet_id(make_params(), seed)
        for i in range(len(sid) - 1):
            if sid[i] != sid[i + 1]:
                with pytest.raises(SheetIdError):
                    parse_sheet_id(sid[:i] + sid[i + 1] + sid[i] + sid[i + 2 :])
        for i in range(len(sid)):
            lost += 1
            try:
                parse_sheet_id(sid[:i] + sid[i + 1 :])
            except SheetIdError:
                refused += 1
    assert refused / lost > 0.95  # a check character cannot catch every deletion; it catches most


def test_look_alike_letters_read_as_digits() -> None:
    sid = sheet_id(make_params(), 32 * 32 + 1)  # the seed is written "101"
    assert "101" in sid
    assert parse_sheet_id(sid.replace("0", "O").replace("1", "l")) == parse_sheet_id(sid)
    assert parse_sheet_id("-".join([sid[:5], sid[5:]])) == parse_sheet_id(sid)


def test_class_sets_are_distinct_and_deterministic() -> None:
    a = class_set(make_params(difficulty="easy", tokens=2, dim=2, dk=1, dv=1), 3, 12)
    b = class_set(make_params(difficulty="easy", tokens=2, dim=2, dk=1, dv=1), 3, 12)
    assert [sid for sid, _ in a] == [sid for sid, _ in b]
    assert len({canonical(p) for _, p in a}) == 12
    assert all(canonical(problem_from_sheet_id(sid)) == canonical(p) for sid, p in a)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(Exception, match="--tokens: 9 is outside 2 to 8"):
        make_params(tokens=9)
    with pytest.raises(Exception, match="--difficulty: unknown value 'tricky'"):
        make_params(difficulty="tricky")


def test_run_sheet_and_errors_on_the_command_line(cli: Runner) -> None:
    sid = "11PVR6TRH"
    result = cli("run", "--sheet", sid, "-f", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["matrices"]["X"]["exact"][1] == ["0", "2", "1", "0"]
    bad = cli("run", "--sheet", "11PVR6TR2")
    assert bad.code == 2 and bad.out == ""
    assert (
        bad.err
        == "Error: sheet id '11PVR6TR2' does not check out (its last character is a check); look for a typo\n"
    )
    assert cli("run", "--sheet", "11PV!").err.startswith("Error: sheet id '11PV!': '!' cannot appear")
    both = cli("run", "--sheet", sid, "--x", "1 0")
    assert both.code == 2 and both.err == "Error: --sheet names the whole problem; leave out --x\n"


def test_seed_zero_and_the_largest_seed_make_a_class() -> None:
    params = make_params(tokens=2, heads=1, mask="none", approx=True, difficulty="easy")
    assert len(class_set(params, 0, 2)) == 2
    with pytest.raises(Exception, match="--seed: -1 is outside 0 to 1000000000"):
        class_set(params, -1, 1)


def test_an_empty_sheet_id_says_so() -> None:
    with pytest.raises(SheetIdError) as info:
        named_problem(None, "", [])
    assert str(info.value) == "sheet id '' is empty; copy the id printed at the top of the sheet"
    assert named_problem(None, None, []) is None


def test_a_generated_problem_by_default_has_one_head_and_its_title() -> None:
    params = make_params(tokens=2)
    assert params.heads == 1
    sheet, problem = class_set(params, 5, 1)[0]
    assert problem.title.startswith("Self-attention by hand") and len(problem.heads) == 1
    assert named_problem(None, sheet, []) is not None


def test_hand_friendly_bounds() -> None:
    """⌊S/2⌋ within -2..4 and something to attend to; with √d_k, scores within ±3."""
    from bythand.generate import hand_friendly

    tricks, exact = Options(scale="floor-half", exp="3"), Options(scale="sqrt", exp="e")
    eye = [[1, 0], [0, 1]]
    two = [[2, 0], [0, 1]]
    assert hand_friendly(Problem(X=two, WQ=eye, WK=eye, WV=[[1, 1]], options=tricks))  # ⌊S/2⌋ = 2, 0
    big = Problem(X=[[4, 0], [0, 1]], WQ=[[3, 0], [0, 1]], WK=eye, WV=[[1, 1]], options=tricks)
    assert not hand_friendly(big)  # S[1,1] = 48: ⌊48/2⌋ = 24 > 4
    uniform = Problem(X=[[0, 0]], WQ=[[1]], WK=[[1]], WV=[[1]], options=tricks)
    assert not hand_friendly(uniform) and hand_friendly(uniform, uniform_ok=True)
    causal = Options(scale="floor-half", exp="3", mask="causal")
    masked = Problem(X=eye, WQ=eye, WK=eye, WV=[[1, 1]], options=causal)
    assert not hand_friendly(masked) and hand_friendly(masked, uniform_ok=True)  # −∞ is not a difference
    assert hand_friendly(Problem(X=two, WQ=eye, WK=eye, WV=[[1, 1]], options=exact))  # 4/√2 ≈ 2.83
    three = [[3, 0], [0, 1]]
    assert not hand_friendly(Problem(X=three, WQ=eye, WK=eye, WV=[[1, 1]], options=exact))  # 9/√2 > 3


def test_version_1_ids_keep_their_problems_and_new_ids_are_version_2() -> None:
    old = problem_from_sheet_id("11PVR6TRH")  # drawn before the key bounds: kept as it was
    assert key_stats(old) == (94, 92, 3)  # A in 94ths: a "medium" sheet harder than medium now allows
    params, seed = parse_sheet_id("11PVR6TRH")
    new = generate(replace(params, version=2), seed)  # the same seed today draws again until within
    assert key_stats(new)[0] <= KEY_BOUNDS["medium"].denominator[1] and canonical(new) != canonical(old)
    sid = sheet_id(make_params(), 7000)
    assert sid.startswith("2") and parse_sheet_id(sid)[0].version == 2


def _key_bounds_hold(seeds: range) -> None:
    medians = []
    for level in DIFFICULTIES:
        bounds = KEY_BOUNDS[level]
        dens = []
        for mask, heads in (("none", 1), ("causal", 1), ("none", 2)):
            params = make_params(difficulty=level, mask=mask, heads=heads)
            for seed in seeds:
                den, num, sums = key_stats(generate(params, seed))
                assert bounds.denominator[0] <= den <= bounds.denominator[1], (level, seed, den)
                assert num <= bounds.numerator and sums <= bounds.sums_denominator, (level, seed, num, sums)
                dens.append(den)
        medians.append(sorted(dens)[len(dens) // 2])
    assert medians == sorted(set(medians)), medians  # easy below medium below hard, as typically drawn


def test_key_bounds_hold_for_every_seed() -> None:
    _key_bounds_hold(range(60))


@given(params=params_strategy.filter(lambda p: p.approx), seed=st.integers(0, 10**9))
@settings(max_examples=80, deadline=None)
def test_the_generators_quick_key_stats_are_the_walks(params: Params, seed: int) -> None:
    problem = generate(params, seed)
    assert quick_key_stats(problem) == key_stats(problem)


@pytest.mark.slow
def test_key_bounds_hold_for_a_thousand_seeds_per_difficulty() -> None:
    _key_bounds_hold(range(1000))


def test_key_bounds_are_ordered_and_the_classic_is_medium() -> None:
    from bythand.problem import load_example

    easy, medium, hard = (KEY_BOUNDS[level] for level in DIFFICULTIES)
    assert easy.denominator < medium.denominator < hard.denominator  # both ends rise
    assert easy.numerator < medium.numerator < hard.numerator
    assert easy.sums_denominator < medium.sums_denominator < hard.sums_denominator
    den, num, sums = key_stats(load_example("self-attention-6x4"))
    assert (den, num, sums) == (46, 180, 3)
    assert medium.denominator[0] <= den <= medium.denominator[1] and num <= medium.numerator
    assert sums <= medium.sums_denominator
    assert DEFAULT_SIZES["medium"] == DEFAULT_SIZES["hard"] == (4, 6, 3, 3)  # hard: harder numbers, one page


TRICKS = Options(scale="floor-half", exp="3")
ROOT_FOUR = Options(scale="sqrt", exp="e")  # with d_k = 4: S/2 exactly
UNSCALED = Options(scale="none", exp="e")

Ints = list[list[int]]


def head_scoring(S: Ints) -> dict[str, Ints]:
    """W_Q, W_K, W_V of a head whose scores on X = I are S (row = key, column = query): W_Q = I, W_K = Sᵀ."""
    n = len(S)
    eye = [[int(i == j) for j in range(n)] for i in range(n)]
    return {"WQ": eye, "WK": [list(col) for col in zip(*S, strict=True)], "WV": [[1] * n]}


def scoring(S: Ints, options: Options = TRICKS) -> Problem:
    """One head on X = I whose scores are S."""
    head = head_scoring(S)
    return Problem(X=head["WQ"], WQ=head["WQ"], WK=head["WK"], WV=head["WV"], options=options)


def doubled(scaled: Ints) -> Ints:
    """Scores whose ⌊S/2⌋ is `scaled`."""
    return [[2 * v for v in row] for row in scaled]


def changed(m: Ints, i: int, j: int, v: int) -> Ints:
    out = [list(row) for row in m]
    out[i][j] = v
    return out


# ⌊S/2⌋ of four keys at every edge at once: a 4 and a -2 (3^x from 1/9 to 81), a column of E summing
# to exactly 25·4 = 100 (81 + 9 + 9 + 1) and one summing to 28/9 (a denominator of exactly 9).
EDGE = [[4, -2, 0, 0], [2, 0, 0, 0], [2, 0, 0, 0], [0, 0, 0, 0]]
ZEROS = [[0] * 4 for _ in range(4)]


@pytest.mark.parametrize(
    ("problem", "friendly"),
    [
        pytest.param(scoring(doubled(EDGE)), True, id="tricks-at-every-edge"),
        pytest.param(scoring(doubled(changed(EDGE, 0, 0, 5))), False, id="a-score-of-5"),
        pytest.param(scoring(doubled(changed(EDGE, 0, 1, -3))), False, id="a-score-of-minus-3"),
        pytest.param(scoring(doubled(changed(EDGE, 1, 0, 3))), False, id="a-column-sum-of-118"),
        pytest.param(scoring(doubled([[4, 0], [4, 1]])), False, id="two-keys-a-column-sum-of-162"),
        pytest.param(scoring(changed(changed(ZEROS, 0, 0, 6), 0, 1, -6), ROOT_FOUR), True,
                     id="sqrt-scores-of-3-and-minus-3"),
        pytest.param(scoring(changed(ZEROS, 0, 0, 7), ROOT_FOUR), False, id="sqrt-score-of-3.5"),
        pytest.param(scoring([[3, -3], [0, 1]], UNSCALED), True, id="unscaled-scores-of-3-and-minus-3"),
        pytest.param(scoring([[4, 0], [0, 1]], UNSCALED), False, id="unscaled-score-of-4"),
        # cross-attention, one query and three keys: ⌊S/2⌋ = 0, 0, 1 down its one column
        pytest.param(Problem(X=[[1]], C=[[0, 1, 2]], WQ=[[1]], WK=[[1]], WV=[[1]], options=TRICKS), True,
                     id="one-query-three-keys"),
        pytest.param(Problem(X=[[1]], C=[[1, 1, 1]], WQ=[[1]], WK=[[1]], WV=[[1]], options=TRICKS), False,
                     id="one-query-three-equal-keys"),
    ],
)  # fmt: skip
def test_hand_friendly_holds_at_its_edges_and_not_one_step_past(problem: Problem, friendly: bool) -> None:
    from bythand.generate import hand_friendly

    assert hand_friendly(problem) is friendly


def test_the_edge_problem_sits_exactly_on_every_bound() -> None:
    """The oracle's own numbers for EDGE: each bound above is met with equality, not just inside."""
    worked = ref.of(scoring(doubled(EDGE)))
    assert worked["scaled"] == [[Fraction(v) for v in row] for row in EDGE]
    assert worked["sums"] == [[Fraction(25 * 4), Fraction(28, 9), Fraction(4), Fraction(4)]]


def test_every_head_must_be_hand_friendly() -> None:
    """With two heads, the second head's ⌊S/2⌋ = 5 makes the problem unfriendly, however good the first."""
    from bythand.generate import hand_friendly

    def two(second: Ints) -> Problem:
        X = head_scoring(EDGE)["WQ"]
        return Problem(X=X, heads=[head_scoring(doubled(EDGE)), head_scoring(second)], options=TRICKS)

    assert hand_friendly(two(doubled(changed(EDGE, 2, 1, 3))))
    past = two(doubled(changed(EDGE, 2, 1, 5)))
    assert ref.of(past)["h2.scaled"][2][1] == 5 and not hand_friendly(past)
