"""The matching engine in ttc/lib/matching.py: scores, fairness, and optimal proposals."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from ttc.lib.matching import (
    SCALE,
    WEIGHTS,
    Assignment,
    Candidate,
    Fairness,
    MatchingError,
    Need,
    Pool,
    Weights,
    assign,
    build_flow,
    gini,
    rank_naive,
    solve_flow,
    top_share,
)

NOBODY_BUSY = Fairness(recent={})


def candidate(
    key: str,
    *,
    company: int = 1,
    skills: dict[int, float] | None = None,
    free_hours: float = 40,
    regions: Sequence[str] = ("UT",),
    languages: Sequence[str] = ("nl",),
    capacity: int = 1,
) -> Candidate:
    return Candidate(
        key=key,
        company=company,
        skills={1: 1.0} if skills is None else skills,
        free_hours=free_hours,
        regions=frozenset(regions),
        languages=frozenset(languages),
        capacity=capacity,
    )


def need(
    key: int = 1, skills: tuple[int, ...] = (1,), effort_hours: float = 20, **extra: Any
) -> Need:
    return Need(key=key, skills=skills, effort_hours=effort_hours, **extra)


def both_rankings(
    candidates: Sequence[Candidate],
    fairness: Fairness,
    wanted: Need,
    limit: int = 10,
    weights: Weights = WEIGHTS,
) -> list:
    """Rank with the pool and with the loop; they must agree before either is asserted on."""
    fast = Pool(candidates, fairness, weights).rank(wanted, limit)
    slow = rank_naive(candidates, fairness, wanted, limit, weights)
    assert [r.candidate.key for r in fast] == [r.candidate.key for r in slow]
    for a, b in zip(fast, slow, strict=True):
        for part in ("score", "skill", "availability", "region", "language", "fairness"):
            assert getattr(a, part) == pytest.approx(getattr(b, part), abs=1e-9)
        assert a.recent_matches == b.recent_matches
    return fast


# --- scores -------------------------------------------------------------------


def test_every_component_on_concrete_numbers():
    expert = candidate("expert:1", company=7, skills={1: 1.0, 2: 0.5}, free_hours=10)
    fairness = Fairness(recent={7: 5}, cap=10, weight=0.3)
    [ranked] = both_rankings(
        [expert], fairness, need(skills=(1, 2), effort_hours=20, region="UT", language="nl")
    )
    assert ranked.skill == 0.75
    assert ranked.availability == 0.5
    assert (ranked.region, ranked.language) == (1.0, 1.0)
    assert ranked.fairness == pytest.approx(0.15)
    assert ranked.recent_matches == 5
    # 0.55·0.75 + 0.20·0.5 + 0.10·1 + 0.15·1 - 0.15
    assert ranked.score == pytest.approx(0.6125)


def test_wrong_region_and_language_score_zero_and_empty_means_anywhere():
    expert = candidate("expert:1", regions=["GR"], languages=["en"])
    [elsewhere] = both_rankings([expert], NOBODY_BUSY, need(region="UT", language="nl"))
    assert (elsewhere.region, elsewhere.language) == (0.0, 0.0)
    assert elsewhere.score == pytest.approx(0.55 + 0.20)
    [anywhere] = both_rankings([expert], NOBODY_BUSY, need(region="", language=""))
    assert (anywhere.region, anywhere.language) == (1.0, 1.0)
    assert anywhere.score == pytest.approx(1.0)


def test_availability_is_capped_at_one_and_unknown_skills_count_as_zero():
    expert = candidate("expert:1", skills={1: 1.0}, free_hours=400)
    [ranked] = both_rankings([expert], NOBODY_BUSY, need(skills=(1, 999), effort_hours=8))
    assert ranked.availability == 1.0
    assert ranked.skill == 0.5


@pytest.mark.parametrize(
    ("who", "fairness", "wanted"),
    [
        ("no needed skill", NOBODY_BUSY, need(skills=(2,))),
        ("no capacity left", NOBODY_BUSY, need()),
        ("conflict of interest", NOBODY_BUSY, need(excluded_companies=frozenset({3}))),
        ("cap reached", Fairness(recent={3: 10}, cap=10), need()),
        ("over the cap", Fairness(recent={3: 12}, cap=10), need()),
    ],
)
def test_ineligible_candidates_are_never_ranked(who, fairness, wanted):
    capacity = 0 if who == "no capacity left" else 1
    blocked = candidate("expert:blocked", company=3, capacity=capacity)
    other = candidate("expert:other", company=4, skills={1: 1.0, 2: 1.0})
    ranked = both_rankings([blocked, other], fairness, wanted)
    assert [r.candidate.key for r in ranked] == ["expert:other"]


def test_one_below_the_cap_is_still_ranked_with_the_full_penalty_nearly():
    busy = candidate("expert:busy", company=3)
    [ranked] = both_rankings([busy], Fairness(recent={3: 9}, cap=10, weight=0.3), need())
    assert ranked.fairness == pytest.approx(0.27)
    assert ranked.recent_matches == 9


def test_ties_go_to_the_better_skill_then_the_key():
    weights = Weights(skill=0.5, availability=0.25, region=0.25, language=0.0)
    strong_far = candidate("expert:z", skills={1: 1.0}, regions=["GR"])
    weaker_near = candidate("expert:a", skills={1: 0.5}, regions=["UT"])
    twins = [candidate(f"expert:{k}", skills={1: 0.5}, regions=["UT"]) for k in "cb"]
    ranked = both_rankings(
        [*twins, weaker_near, strong_far], NOBODY_BUSY, need(region="UT"), weights=weights
    )
    assert {r.score for r in ranked} == {0.75}
    assert [r.candidate.key for r in ranked] == ["expert:z", "expert:a", "expert:b", "expert:c"]


def test_a_busy_company_ranks_below_an_equally_skilled_idle_one():
    busy = candidate("org:1", company=1)
    idle = candidate("org:2", company=2)
    fairness = Fairness(recent={1: 6}, cap=10, weight=0.3)
    ranked = both_rankings([busy, idle], fairness, need())
    assert [r.candidate.key for r in ranked] == ["org:2", "org:1"]
    assert ranked[0].score - ranked[1].score == pytest.approx(0.18)


def test_the_company_share_counts_for_its_experts_too():
    fairness = Fairness(recent={1: 5}, cap=10, weight=0.3)
    ranked = both_rankings(
        [candidate("org:1", company=1), candidate("expert:9", company=1)], fairness, need()
    )
    assert [r.fairness for r in ranked] == [pytest.approx(0.15)] * 2


def test_limit_and_empty_pool():
    many = [candidate(f"expert:{i:02}") for i in range(30)]
    assert len(both_rankings(many, NOBODY_BUSY, need(), limit=7)) == 7
    assert both_rankings(many, NOBODY_BUSY, need(), limit=0) == []
    assert both_rankings([], NOBODY_BUSY, need()) == []


def test_record_match_uses_up_capacity_and_allowance():
    pool = Pool(
        [candidate("org:1", company=1, capacity=2), candidate("expert:2", company=1)],
        Fairness(recent={1: 8}, cap=10, weight=0.3),
    )
    assert len(pool) == 2
    pool.record_match("org:1")
    [first, second] = pool.rank(need())
    assert (first.fairness, first.recent_matches) == (pytest.approx(0.27), 9)
    assert second.fairness == first.fairness
    pool.record_match("expert:2")
    assert pool.rank(need()) == []


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="names no skill"):
        Need(key=1, skills=(), effort_hours=8)
    with pytest.raises(ValueError, match="positive effort"):
        Need(key=1, skills=(1,), effort_hours=0)
    with pytest.raises(ValueError, match="at least one person"):
        Need(key=1, skills=(1,), effort_hours=8, slots=0)
    with pytest.raises(ValueError, match=r"in \(0, 1\]"):
        candidate("expert:1", skills={1: 1.5})
    with pytest.raises(ValueError, match="cap must be at least 1"):
        Fairness(recent={}, cap=0)
    with pytest.raises(ValueError, match="unique"):
        Pool([candidate("expert:1"), candidate("expert:1")], NOBODY_BUSY)


def test_score_matrix_agrees_with_the_loop():
    rng = random.Random(3)
    candidates = random_candidates(rng, 60, companies=8, skills=10)
    fairness = Fairness(recent={c: rng.randrange(12) for c in range(8)}, cap=10)
    needs = random_needs(rng, 25, companies=8, skills=10)
    pool = Pool(candidates, fairness)
    totals = pool.score_matrix(needs).totals
    for row, wanted in enumerate(needs):
        expected = {r.candidate.key: r.score for r in rank_naive(candidates, fairness, wanted, 999)}
        for column, c in enumerate(candidates):
            if c.key in expected:
                assert totals[row, column] == pytest.approx(expected[c.key], abs=1e-9)
            else:
                assert totals[row, column] == -np.inf


# --- the pool against the loop on random markets -----------------------------

strengths = st.sampled_from([0.25, 0.5, 0.75, 1.0]) | st.floats(0.01, 1.0)


@st.composite
def markets(draw, max_candidates: int = 12) -> tuple[list[Candidate], Fairness, Need]:
    count = draw(st.integers(0, max_candidates))
    candidates = [
        Candidate(
            key=f"c{i}",
            company=draw(st.integers(0, 3)),
            skills=draw(st.dictionaries(st.integers(0, 5), strengths, max_size=3)),
            free_hours=draw(st.sampled_from([0, 4, 8, 16, 40]) | st.floats(0, 80)),
            regions=frozenset(draw(st.sets(st.sampled_from("ABC"), max_size=2))),
            languages=frozenset(draw(st.sets(st.sampled_from(["nl", "en"]), max_size=2))),
            capacity=draw(st.integers(0, 2)),
        )
        for i in range(count)
    ]
    cap = draw(st.integers(1, 4))
    fairness = Fairness(
        recent=draw(st.dictionaries(st.integers(0, 3), st.integers(0, 5))),
        cap=cap,
        weight=draw(st.sampled_from([0.0, 0.3, 1.0])),
    )
    wanted = Need(
        key=1,
        skills=tuple(draw(st.lists(st.integers(0, 6), min_size=1, max_size=3))),
        effort_hours=draw(st.sampled_from([8.0, 16.0]) | st.floats(0.5, 100)),
        region=draw(st.sampled_from(["", "A", "B", "Z"])),
        language=draw(st.sampled_from(["", "nl", "en", "de"])),
        excluded_companies=frozenset(draw(st.sets(st.integers(0, 5), max_size=2))),
    )
    return candidates, fairness, wanted


@settings(max_examples=80, deadline=None)
@given(market=markets(), limit=st.integers(1, 6))
def test_pool_rank_equals_the_loop(market, limit):
    candidates, fairness, wanted = market
    both_rankings(candidates, fairness, wanted, limit)


# --- batch assignment ----------------------------------------------------------


def scaled(score: float) -> int:
    return round(score * SCALE)


def check_constraints(needs: Sequence[Need], pool: Pool, result: Assignment) -> None:
    by_need = {n.key: n for n in needs}
    by_key = {c.key: c for c in pool.candidates}
    totals = pool.score_matrix(needs).totals
    row_of = {n.key: i for i, n in enumerate(needs)}
    assert len(set((n, c) for n, c, _ in result.pairs)) == len(result.pairs)
    per_need = Counter(n for n, _, _ in result.pairs)
    per_candidate = Counter(c for _, c, _ in result.pairs)
    per_company = Counter(by_key[c].company for _, c, _ in result.pairs)
    per_need_company = Counter((n, by_key[c].company) for n, c, _ in result.pairs)
    assert all(count <= by_need[n].slots for n, count in per_need.items())
    assert all(count == 1 for count in per_need_company.values())
    assert all(count <= by_key[c].capacity for c, count in per_candidate.items())
    fairness = pool.fairness
    assert all(
        count <= fairness.cap - fairness.recent.get(company, 0)
        for company, count in per_company.items()
    )
    for need_key, key, score in result.pairs:
        assert by_key[key].company not in by_need[need_key].excluded_companies
        assert scaled(score) > 0
        assert score == totals[row_of[need_key], pool.index[key]]
    assert result.total == pytest.approx(sum(s for _, _, s in result.pairs))


def brute_force(needs: Sequence[Need], pool: Pool) -> int:
    """The best scaled objective over every feasible set of pairs, by enumeration."""
    totals = pool.score_matrix(needs).totals
    worth = np.rint(np.where(np.isfinite(totals), totals, 0) * SCALE).astype(int)
    capacity = [int(c) for c in pool.capacity]
    allowance = [int(a) for a in pool.remaining_cap()]
    company = [int(c) for c in pool.company_of]

    def best(row: int) -> int:
        if row == len(needs):
            return 0
        options = [j for j in range(len(pool.candidates)) if worth[row, j] > 0]
        found = 0
        for size in range(min(needs[row].slots, len(options)) + 1):
            for chosen in itertools.combinations(options, size):
                if any(capacity[j] == 0 for j in chosen):
                    continue
                per_company = Counter(company[j] for j in chosen)
                # At most one candidate per company per need; with that, one
                # place per company of this need is all its allowance must hold.
                if any(count > 1 for count in per_company.values()):
                    continue
                if any(allowance[k] < 1 for k in per_company):
                    continue
                for j in chosen:
                    capacity[j] -= 1
                    allowance[company[j]] -= 1
                found = max(found, sum(worth[row, j] for j in chosen) + best(row + 1))
                for j in chosen:
                    capacity[j] += 1
                    allowance[company[j]] += 1
        return found

    return best(0)


@st.composite
def batches(draw) -> tuple[list[Need], Pool]:
    companies = draw(st.integers(1, 3))
    candidates = [
        Candidate(
            key=f"c{i}",
            company=draw(st.integers(0, companies - 1)),
            skills=draw(
                st.dictionaries(st.integers(0, 3), st.sampled_from([0.5, 0.75, 1.0]), max_size=3)
            ),
            free_hours=draw(st.sampled_from([4.0, 16.0, 40.0])),
            regions=frozenset(draw(st.sets(st.sampled_from("AB"), max_size=2))),
            languages=frozenset({"nl"}),
            capacity=draw(st.integers(0, 2)),
        )
        for i in range(draw(st.integers(0, 5)))
    ]
    fairness = Fairness(
        recent=draw(st.dictionaries(st.integers(0, companies - 1), st.integers(0, 3))),
        cap=draw(st.integers(1, 4)),
        weight=draw(st.sampled_from([0.3, 0.9])),
    )
    needs = [
        Need(
            key=100 + i,
            skills=tuple(draw(st.lists(st.integers(0, 4), min_size=1, max_size=2))),
            effort_hours=draw(st.sampled_from([8.0, 32.0])),
            region=draw(st.sampled_from(["", "A", "B"])),
            language=draw(st.sampled_from(["", "nl", "en"])),
            slots=draw(st.integers(1, 2)),
            excluded_companies=frozenset(draw(st.sets(st.integers(0, companies - 1), max_size=1))),
        )
        for i in range(draw(st.integers(0, 4)))
    ]
    return needs, Pool(candidates, fairness)


@settings(max_examples=100, deadline=None)
@given(batch=batches())
def test_assign_finds_the_brute_force_optimum(batch):
    needs, pool = batch
    result = assign(needs, pool)
    check_constraints(needs, pool, result)
    assert sum(scaled(s) for _, _, s in result.pairs) == brute_force(needs, pool)


def random_candidates(rng: random.Random, count: int, *, companies: int, skills: int) -> list:
    return [
        Candidate(
            key=f"expert:{i}",
            company=rng.randrange(companies),
            skills={s: rng.choice([0.5, 0.75, 1.0]) for s in rng.sample(range(skills), 3)},
            free_hours=rng.choice([4, 8, 16, 40]),
            regions=frozenset(rng.sample("ABCDEF", 2)),
            languages=frozenset(rng.sample(["nl", "en"], rng.randint(1, 2))),
            capacity=rng.randint(0, 3),
        )
        for i in range(count)
    ]


def random_needs(rng: random.Random, count: int, *, companies: int, skills: int) -> list:
    return [
        Need(
            key=i,
            skills=tuple(rng.sample(range(skills), rng.randint(1, 3))),
            effort_hours=rng.choice([8, 16, 40, 80]),
            region=rng.choice(["", *"ABCDEF"]),
            language=rng.choice(["", "nl", "nl", "en"]),
            slots=rng.randint(1, 3),
            excluded_companies=frozenset(rng.sample(range(companies), rng.randint(0, 2))),
        )
        for i in range(count)
    ]


def milp_optimum(needs: Sequence[Need], pool: Pool) -> int:
    """The same problem written as a 0/1 program over pairs, solved by HiGHS.

    Rows: slots per need, at most one pair per (need, company), capacity per
    candidate, remaining cap per company.
    """
    totals = pool.score_matrix(needs).totals
    worth = np.rint(np.where(np.isfinite(totals), totals, 0) * SCALE).astype(np.int64)
    rows, columns = np.nonzero(worth > 0)
    pairs = np.arange(len(rows))
    company = pool.company_of[columns]
    need_company = {key: i for i, key in enumerate(sorted(set(zip(rows, company, strict=True))))}
    per_need_company = [need_company[key] for key in zip(rows, company, strict=True)]
    stacked = sparse.vstack(
        [
            sparse.csr_array((np.ones(len(pairs)), (rows, pairs)), (len(needs), len(pairs))),
            sparse.csr_array(
                (np.ones(len(pairs)), (per_need_company, pairs)), (len(need_company), len(pairs))
            ),
            sparse.csr_array(
                (np.ones(len(pairs)), (columns, pairs)), (len(pool.candidates), len(pairs))
            ),
            sparse.csr_array(
                (np.ones(len(pairs)), (company, pairs)), (len(pool.companies), len(pairs))
            ),
        ]
    )
    upper = np.concatenate(
        [[n.slots for n in needs], np.ones(len(need_company)), pool.capacity, pool.remaining_cap()]
    ).astype(float)
    result = milp(
        -worth[rows, columns].astype(float),
        constraints=LinearConstraint(stacked, -np.inf, upper),
        integrality=np.ones(len(pairs)),
        bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0},
    )
    assert result.success
    chosen = np.rint(result.x).astype(bool)
    return int(worth[rows[chosen], columns[chosen]].sum())


def test_assign_matches_an_independent_solver_on_a_medium_market():
    rng = random.Random(11)
    companies = 15
    candidates = random_candidates(rng, 120, companies=companies, skills=12)
    fairness = Fairness(recent={c: rng.randrange(8) for c in range(companies)}, cap=10)
    needs = random_needs(rng, 40, companies=companies, skills=12)
    pool = Pool(candidates, fairness)
    result = assign(needs, pool)
    check_constraints(needs, pool, result)
    assert len(result.pairs) > 40
    assert sum(scaled(s) for _, _, s in result.pairs) == milp_optimum(needs, pool)


def test_assign_leaves_a_slot_open_rather_than_propose_a_worthless_pair():
    heavy = Fairness(recent={1: 9}, cap=10, weight=0.99)
    poor = candidate("expert:1", company=1, skills={1: 0.5}, regions=["GR"], languages=["en"])
    pool = Pool([poor], heavy)
    [ranked] = pool.rank(need(region="UT", language="nl"))
    assert ranked.score < 0
    assert assign([need(region="UT", language="nl")], pool) == Assignment(pairs=[], total=0.0)


def test_assign_gives_the_places_of_one_need_to_different_companies():
    # The company and its own expert are the two best for a 2-place need, and
    # could each take the place (capacity and allowance to spare), but one need
    # gets at most one candidate per company: the better of the two, plus the
    # best candidate of another company.
    pool = Pool(
        [
            candidate("org:1", company=1, capacity=3),
            candidate("expert:11", company=1, skills={1: 0.75}, capacity=3),
            candidate("expert:21", company=2, skills={1: 0.5}, capacity=3),
            candidate("expert:31", company=3, skills={1: 0.25}, capacity=3),
        ],
        NOBODY_BUSY,
    )
    wanted = [need(key=1, slots=2)]
    ranked = [r.candidate.key for r in pool.rank(wanted[0])]
    assert ranked == ["org:1", "expert:11", "expert:21", "expert:31"]
    result = assign(wanted, pool)
    check_constraints(wanted, pool, result)
    assert [key for _, key, _ in result.pairs] == ["org:1", "expert:21"]
    # Two experts of one company are held to one place the same way.
    pool = Pool(
        [
            candidate("expert:11", company=1),
            candidate("expert:12", company=1, skills={1: 0.75}),
            candidate("expert:21", company=2, skills={1: 0.5}),
        ],
        NOBODY_BUSY,
    )
    assert [key for _, key, _ in assign(wanted, pool).pairs] == ["expert:11", "expert:21"]
    # With no other company eligible, the second place stays open.
    pool = Pool(
        [candidate("org:1", company=1), candidate("expert:11", company=1, skills={1: 0.75})],
        NOBODY_BUSY,
    )
    assert [key for _, key, _ in assign(wanted, pool).pairs] == ["org:1"]


def test_assign_shares_the_company_allowance_between_the_company_and_its_experts():
    pool = Pool(
        [
            candidate("org:1", company=1, capacity=5),
            candidate("expert:11", company=1, capacity=5),
            candidate("expert:21", company=2, skills={1: 0.5}, capacity=5),
        ],
        Fairness(recent={1: 7}, cap=10),
    )
    needs = [need(key=k, slots=2) for k in range(4)]
    result = assign(needs, pool)
    check_constraints(needs, pool, result)
    by_company = Counter(pool.candidates[pool.index[c]].company for _, c, _ in result.pairs)
    assert by_company == {1: 3, 2: 4}
    assert [n for n, _, _ in result.pairs] == sorted(n for n, _, _ in result.pairs)


def test_the_phases_compose_and_a_broken_network_is_reported():
    pool = Pool([candidate("expert:1", capacity=2)], NOBODY_BUSY)
    needs = [need(key=1), need(key=2)]
    problem = build_flow(needs, pool)
    assert -solve_flow(problem).optimal_cost() == sum(
        scaled(s) for _, _, s in assign(needs, pool).pairs
    )
    unbalanced = replace(problem, supplies=problem.supplies + 1)
    with pytest.raises(MatchingError, match="not OPTIMAL"):
        solve_flow(unbalanced)
    assert assign([], pool) == Assignment()


# --- spread ----------------------------------------------------------------------


def test_gini():
    assert gini([]) == 0
    assert gini([0, 0, 0]) == 0
    assert gini([1, 1, 1, 1]) == 0
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="non-negative"):
        gini([-1, 2])


def test_top_share():
    assert top_share([]) == 0
    assert top_share([5] * 10) == pytest.approx(0.1)
    assert top_share([0] * 9 + [7]) == 1.0
    assert top_share([1] * 290 + [10] * 10) == pytest.approx(120 / 390)  # 30 of 300
    assert top_share([1, 3], fraction=0.10) == 0.75  # at least one entry
    assert top_share([1, 1, 2], fraction=0.5) == 0.75  # 1.5 entries round up to 2
