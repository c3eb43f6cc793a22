"""Fair matching of help requests to member companies and experts.

Plain Python + numpy + OR-Tools, no Django: the app turns its models into `Need`,
`Candidate` and `Fairness` values, and gets rankings and proposals back.

Every score is built from the same parts in the vectorised `Pool` and the plain
`rank_naive` loop, in the same floating-point order, so the two agree exactly and
the loop stays the readable reference for what a score means.

Fairness works in two ways: a company's share of its allowance in the rolling
window lowers the score of all its candidates (soft), and a company that used its
whole allowance is not proposed at all (hard cap). Without both, work flows to
the big names with broad skill sets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Scores become integer arc costs for the min-cost flow: one millionth is far
# below any difference a person would care about, and totals stay well in int64.
SCALE = 1_000_000


class MatchingError(RuntimeError):
    """The solver did not prove an optimal assignment."""


@dataclass(frozen=True)
class Weights:
    skill: float
    availability: float
    region: float
    language: float


WEIGHTS = Weights(skill=0.55, availability=0.20, region=0.10, language=0.15)


@dataclass(frozen=True)
class Need:
    """One help request."""

    key: int
    skills: tuple[int, ...]
    effort_hours: float
    region: str = ""  # "" = anywhere / remote
    language: str = ""  # "" = any
    slots: int = 1
    excluded_companies: frozenset[int] = frozenset()  # declared conflicts of interest

    def __post_init__(self) -> None:
        if not self.skills:
            raise ValueError(f"need {self.key} names no skill")
        if not self.effort_hours > 0:
            raise ValueError(f"need {self.key} needs a positive effort, not {self.effort_hours}")
        if self.slots < 1:
            raise ValueError(f"need {self.key} needs at least one person, not {self.slots}")


@dataclass(frozen=True)
class Candidate:
    """A member company itself, or one expert of a member company."""

    key: str
    company: int  # whose cap and share this candidate counts toward
    skills: Mapping[int, float]  # skill id -> strength in (0, 1]
    free_hours: float
    regions: frozenset[str]
    languages: frozenset[str]
    capacity: int = 1  # engagements it can still take

    def __post_init__(self) -> None:
        for skill, strength in self.skills.items():
            if not 0 < strength <= 1:
                raise ValueError(f"{self.key}: strength of skill {skill} must be in (0, 1]")


@dataclass(frozen=True)
class Fairness:
    recent: Mapping[int, int]  # company -> matches in the rolling window
    # Ten matches per company per 90-day window; the penalty grows to 0.30 as the
    # allowance is used up. In bench/bench_fairness.py these defaults cut the Gini
    # of matches per company to about a quarter of greedy best-fit's, keeping 98%
    # of its skill fit. The cap bounds the coalition's throughput (300 companies
    # times 10 per window): raise it when demand nears that.
    cap: int = 10
    weight: float = 0.30

    def __post_init__(self) -> None:
        if self.cap < 1:
            raise ValueError(f"the cap must be at least 1, not {self.cap}")
        if self.weight < 0:
            raise ValueError(f"the fairness weight must not be negative, not {self.weight}")

    def penalty(self, company: int) -> float:
        """The share of its allowance the company already used, weighted."""
        return self.weight * min(1.0, self.recent.get(company, 0) / self.cap)

    def cap_reached(self, company: int) -> bool:
        return self.recent.get(company, 0) >= self.cap


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float
    skill: float
    availability: float
    region: float
    language: float
    fairness: float  # the penalty actually subtracted
    recent_matches: int  # the company's matches in the window


# --- the reference: one candidate at a time ------------------------------------


def _score_one(
    candidate: Candidate, fairness: Fairness, need: Need, weights: Weights
) -> Ranked | None:
    company = candidate.company
    if (
        candidate.capacity <= 0
        or company in need.excluded_companies
        or fairness.cap_reached(company)
    ):
        return None
    # A plain loop, not sum(): Python's sum() of floats compensates rounding,
    # numpy's column-by-column addition does not, and the two paths must agree.
    acc = 0.0
    for skill_id in need.skills:
        acc += candidate.skills.get(skill_id, 0.0)
    skill = acc / len(need.skills)
    if skill <= 0:
        return None
    availability = max(0.0, min(1.0, candidate.free_hours / need.effort_hours))
    region = 1.0 if need.region == "" or need.region in candidate.regions else 0.0
    language = 1.0 if need.language == "" or need.language in candidate.languages else 0.0
    penalty = fairness.penalty(company)
    total = (
        weights.skill * skill
        + weights.availability * availability
        + weights.region * region
        + weights.language * language
        - penalty
    )
    return Ranked(
        candidate=candidate,
        score=total,
        skill=skill,
        availability=availability,
        region=region,
        language=language,
        fairness=penalty,
        recent_matches=fairness.recent.get(company, 0),
    )


def _rank_order(ranked: Ranked) -> tuple[float, float, str]:
    return (-ranked.score, -ranked.skill, ranked.candidate.key)


def rank_naive(
    candidates: Sequence[Candidate],
    fairness: Fairness,
    need: Need,
    limit: int = 10,
    weights: Weights = WEIGHTS,
) -> list[Ranked]:
    """Rank candidates for one need with a plain loop (the baseline and reference)."""
    if limit <= 0:
        return []
    scored = [_score_one(candidate, fairness, need, weights) for candidate in candidates]
    return sorted((r for r in scored if r is not None), key=_rank_order)[:limit]


# --- the pool: the same scores for many candidates at once ---------------------


class ScoreMatrix(NamedTuple):
    totals: FloatArray  # (needs, candidates); -inf where the pair is not eligible
    skill: FloatArray  # (needs, candidates); the unweighted skill fit, 0 where not eligible


class PairScores(NamedTuple):
    """The eligible pairs of a batch, as parallel arrays."""

    need: IntArray  # row in the batch of needs
    candidate: IntArray  # row in the pool
    total: FloatArray
    skill: FloatArray

    @classmethod
    def empty(cls) -> PairScores:
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, np.zeros(0), np.zeros(0))


class _Components(NamedTuple):
    total: FloatArray
    skill: FloatArray
    availability: FloatArray
    region: FloatArray
    language: FloatArray
    eligible: BoolArray


def _membership(sets: Sequence[frozenset[str]]) -> tuple[dict[str, int], BoolArray]:
    """Column per value, plus an all-true column for "" and an all-false one for unknowns."""
    values = sorted(set().union(*sets)) if sets else []
    index = {value: column for column, value in enumerate(values)}
    matrix = np.zeros((len(sets), len(values) + 2), dtype=np.bool_)
    for row, members in enumerate(sets):
        matrix[row, [index[value] for value in members]] = True
    matrix[:, len(values)] = True
    index[""] = len(values)
    return index, matrix


class Pool:
    """Candidates as arrays, built once per page or batch and scored many times."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        fairness: Fairness,
        weights: Weights = WEIGHTS,
    ) -> None:
        self.candidates: tuple[Candidate, ...] = tuple(candidates)
        self.fairness = fairness
        self.weights = weights
        self.index = {candidate.key: row for row, candidate in enumerate(self.candidates)}
        if len(self.index) != len(self.candidates):
            raise ValueError("candidate keys must be unique")
        self._build_skills()
        self.free_hours = np.array([c.free_hours for c in self.candidates], dtype=np.float64)
        self.capacity = np.array([c.capacity for c in self.candidates], dtype=np.int64)
        self.region_index, self.region_member = _membership([c.regions for c in self.candidates])
        self.language_index, self.language_member = _membership(
            [c.languages for c in self.candidates]
        )
        self._build_companies()

    def __len__(self) -> int:
        return len(self.candidates)

    def _build_skills(self) -> None:
        skill_ids = sorted({s for c in self.candidates for s in c.skills})
        self.skill_index = {skill_id: column for column, skill_id in enumerate(skill_ids)}
        # The last column stays zero: unknown skill ids read from it.
        self.unknown_skill = len(skill_ids)
        self.strength = np.zeros((len(self.candidates), len(skill_ids) + 1), dtype=np.float64)
        for row, candidate in enumerate(self.candidates):
            for skill_id, strength in candidate.skills.items():
                self.strength[row, self.skill_index[skill_id]] = strength

    def _build_companies(self) -> None:
        self.companies = sorted({c.company for c in self.candidates})
        self.company_index = {company: i for i, company in enumerate(self.companies)}
        self.company_of = np.array(
            [self.company_index[c.company] for c in self.candidates], dtype=np.int64
        )
        self.members: list[IntArray] = [
            np.flatnonzero(self.company_of == i) for i in range(len(self.companies))
        ]
        self.recent = np.array(
            [self.fairness.recent.get(company, 0) for company in self.companies], dtype=np.int64
        )
        self.penalty = np.zeros(len(self.candidates), dtype=np.float64)
        self.cap_reached = np.zeros(len(self.candidates), dtype=np.bool_)
        for i in range(len(self.companies)):
            self._refresh_company(i)

    def _refresh_company(self, i: int) -> None:
        recent, cap = int(self.recent[i]), self.fairness.cap
        # Same expression as Fairness.penalty, so both paths round alike.
        self.penalty[self.members[i]] = self.fairness.weight * min(1.0, recent / cap)
        self.cap_reached[self.members[i]] = recent >= cap

    def remaining_cap(self) -> IntArray:
        """Matches each company (in `self.companies` order) may still get in the window."""
        return np.maximum(0, self.fairness.cap - self.recent)

    def record_match(self, key: str) -> None:
        """Count a new match: one engagement less for the candidate, one more for its company.

        Cheaper than rebuilding the pool when proposals are made one after another.
        """
        row = self.index[key]
        self.capacity[row] -= 1
        company = int(self.company_of[row])
        self.recent[company] += 1
        self._refresh_company(company)

    def _skill_columns(self, need: Need) -> list[int]:
        return [self.skill_index.get(s, self.unknown_skill) for s in need.skills]

    def _excluded(self, need: Need) -> BoolArray:
        companies = [
            self.company_index[c] for c in need.excluded_companies if c in self.company_index
        ]
        return np.isin(self.company_of, companies)

    def _components(self, need: Need) -> _Components:
        columns = self._skill_columns(need)
        acc = self.strength[:, columns[0]].copy()
        for column in columns[1:]:
            acc += self.strength[:, column]
        skill = acc / len(columns)
        availability = np.clip(self.free_hours / need.effort_hours, 0.0, 1.0)
        unknown_region = self.region_member.shape[1] - 1
        unknown_language = self.language_member.shape[1] - 1
        region = self.region_member[:, self.region_index.get(need.region, unknown_region)].astype(
            np.float64
        )
        language = self.language_member[
            :, self.language_index.get(need.language, unknown_language)
        ].astype(np.float64)
        w = self.weights
        total = (
            w.skill * skill
            + w.availability * availability
            + w.region * region
            + w.language * language
            - self.penalty
        )
        eligible = (skill > 0) & (self.capacity > 0) & ~self.cap_reached & ~self._excluded(need)
        return _Components(total, skill, availability, region, language, eligible)

    def rank(self, need: Need, limit: int = 10) -> list[Ranked]:
        """The best `limit` eligible candidates for one need, best first."""
        if limit <= 0 or not self.candidates:
            return []
        parts = self._components(need)
        totals = np.where(parts.eligible, parts.total, -np.inf)
        eligible = int(parts.eligible.sum())
        if eligible == 0:
            return []
        if eligible > limit:
            top = np.argpartition(-totals, limit - 1)[:limit]
            # Take every candidate tied with the last one too, so that the key
            # tie-break decides, not argpartition's arbitrary pick among equals.
            chosen = np.flatnonzero(totals >= totals[top].min())
        else:
            chosen = np.flatnonzero(parts.eligible)
        ordered = sorted(
            (int(i) for i in chosen),
            key=lambda i: (-totals[i], -parts.skill[i], self.candidates[i].key),
        )[:limit]
        return [self._ranked(i, parts) for i in ordered]

    def _ranked(self, row: int, parts: _Components) -> Ranked:
        return Ranked(
            candidate=self.candidates[row],
            score=float(parts.total[row]),
            skill=float(parts.skill[row]),
            availability=float(parts.availability[row]),
            region=float(parts.region[row]),
            language=float(parts.language[row]),
            fairness=float(self.penalty[row]),
            recent_matches=int(self.recent[self.company_of[row]]),
        )

    def pairs(self, needs: Sequence[Need]) -> PairScores:
        """Every eligible (need, candidate) pair of a batch with its scores.

        Only candidates sharing a skill with a need can be eligible, and in a
        real market that is a small part of all pairs, so everything after the
        skill product is computed for those pairs alone.
        """
        open_rows = np.flatnonzero((self.capacity > 0) & ~self.cap_reached)
        if not needs or open_rows.size == 0:
            return PairScores.empty()
        wanted = self._wanted(needs)
        # A matrix product sums in another order than `rank`: totals may differ
        # from it in the last bits (far below 1e-9); eligibility is exact, as
        # all strengths are positive.
        skill_all = wanted @ self.strength[open_rows].T
        need_rows, open_columns = np.nonzero(skill_all > 0)
        skill = skill_all[need_rows, open_columns]
        rows = open_rows[open_columns]
        allowed = ~self._excluded_by_company(needs)[need_rows, self.company_of[rows]]
        need_rows, rows, skill = need_rows[allowed], rows[allowed], skill[allowed]
        effort = np.array([n.effort_hours for n in needs], dtype=np.float64)
        availability = np.clip(self.free_hours[rows] / effort[need_rows], 0.0, 1.0)
        region_columns = self._columns(self.region_index, self.region_member, needs, "region")
        language_columns = self._columns(
            self.language_index, self.language_member, needs, "language"
        )
        region = self.region_member[rows, region_columns[need_rows]]
        language = self.language_member[rows, language_columns[need_rows]]
        w = self.weights
        total = (
            w.skill * skill
            + w.availability * availability
            + w.region * region.astype(np.float64)
            + w.language * language.astype(np.float64)
            - self.penalty[rows]
        )
        return PairScores(need_rows, rows, total, skill)

    def score_matrix(self, needs: Sequence[Need]) -> ScoreMatrix:
        """Totals and skill fit of every need against every candidate, as dense arrays."""
        found = self.pairs(needs)
        totals = np.full((len(needs), len(self.candidates)), -np.inf)
        skill = np.zeros((len(needs), len(self.candidates)))
        totals[found.need, found.candidate] = found.total
        skill[found.need, found.candidate] = found.skill
        return ScoreMatrix(totals, skill)

    def _wanted(self, needs: Sequence[Need]) -> FloatArray:
        """(needs, skill columns): the weight of each skill in each need's mean."""
        rows = [row for row, need in enumerate(needs) for _ in need.skills]
        columns = [column for need in needs for column in self._skill_columns(need)]
        shares = [1.0 / len(need.skills) for need in needs for _ in need.skills]
        wanted = np.zeros((len(needs), self.strength.shape[1]), dtype=np.float64)
        # add.at, not assignment: a skill named twice counts twice, as in the loop.
        np.add.at(wanted, (rows, columns), shares)
        return wanted

    @staticmethod
    def _columns(
        index: dict[str, int], member: BoolArray, needs: Sequence[Need], attribute: str
    ) -> IntArray:
        """Per need, the membership column of its region or language."""
        unknown = member.shape[1] - 1
        return np.array(
            [index.get(getattr(need, attribute), unknown) for need in needs], dtype=np.int64
        )

    def _excluded_by_company(self, needs: Sequence[Need]) -> BoolArray:
        excluded = np.zeros((len(needs), len(self.companies)), dtype=np.bool_)
        for row, need in enumerate(needs):
            for company in need.excluded_companies:
                if company in self.company_index:
                    excluded[row, self.company_index[company]] = True
        return excluded


# --- batch assignment: min-cost flow -------------------------------------------


@dataclass(frozen=True)
class FlowProblem:
    """Ready-made arrays for SimpleMinCostFlow; the first `len(pair_need)` arcs are pairs.

    Nodes: needs, then one node per (need, company) pair with an eligible pair,
    then candidates, then companies, then one sink. Each need supplies its
    slots; the sink absorbs them all. A unit flows need → (need, company) →
    candidate → company → sink (a proposed pair) or need → sink (a slot left
    unfilled, at no cost), so the flow is always feasible and nothing is filled
    by force.

    Arcs, in this order:

    - (need, company) → candidate, capacity 1, cost −score: the pair arcs;
    - need → (need, company), capacity 1, cost 0: at most one candidate per
      company per need, so a request's places go to different member companies
      (and a candidate takes at most one place of a need);
    - candidate → company, capacity = the candidate's capacity, cost 0;
    - company → sink, capacity = the company's remaining cap, cost 0;
    - need → sink, capacity = the need's slots, cost 0 (unfilled places).
    """

    tails: npt.NDArray[np.int32]
    heads: npt.NDArray[np.int32]
    capacities: IntArray
    unit_costs: IntArray
    nodes: npt.NDArray[np.int32]
    supplies: IntArray
    pair_need: IntArray  # need row of each pair arc
    pair_candidate: IntArray  # candidate row of each pair arc
    pair_score: FloatArray  # total score of each pair arc


@dataclass(frozen=True)
class Assignment:
    pairs: list[tuple[int, str, float]] = field(default_factory=list)  # need, candidate, score
    total: float = 0.0


def build_flow(needs: Sequence[Need], pool: Pool) -> FlowProblem:
    """Score the batch and lay out the flow network as arrays."""
    found = pool.pairs(needs)
    scaled = np.rint(found.total * SCALE).astype(np.int64)
    # Only pairs worth at least one unit: a pair scoring nothing (or less) is
    # never better than leaving the slot open.
    worth = scaled > 0
    pair_need, pair_candidate = found.need[worth], found.candidate[worth]
    n_needs, n_candidates, n_companies = len(needs), len(pool.candidates), len(pool.companies)
    # One node per (need, company) that has a pair; `group` maps each pair to it.
    groups, group = np.unique(
        pair_need * n_companies + pool.company_of[pair_candidate], return_inverse=True
    )
    n_groups = len(groups)
    first_group = n_needs
    first_candidate = first_group + n_groups
    first_company = first_candidate + n_candidates
    sink = first_company + n_companies
    slots = np.array([need.slots for need in needs], dtype=np.int64)
    need_rows = np.arange(n_needs, dtype=np.int64)
    group_rows = np.arange(n_groups, dtype=np.int64)
    candidate_rows = np.flatnonzero(pool.capacity > 0)
    company_rows = np.arange(n_companies, dtype=np.int64)
    n_pairs = len(pair_need)
    tails = np.concatenate(
        [
            first_group + group,
            groups // n_companies,
            first_candidate + candidate_rows,
            first_company + company_rows,
            need_rows,
        ]
    )
    heads = np.concatenate(
        [
            first_candidate + pair_candidate,
            first_group + group_rows,
            first_company + pool.company_of[candidate_rows],
            np.full(n_companies, sink),
            np.full(n_needs, sink),
        ]
    )
    capacities = np.concatenate(
        [
            np.ones(n_pairs + n_groups, dtype=np.int64),
            pool.capacity[candidate_rows],
            pool.remaining_cap(),
            slots,
        ]
    )
    unit_costs = np.concatenate([-scaled[worth], np.zeros(len(tails) - n_pairs, dtype=np.int64)])
    return FlowProblem(
        tails=tails.astype(np.int32),
        heads=heads.astype(np.int32),
        capacities=capacities,
        unit_costs=unit_costs,
        nodes=np.append(need_rows, sink).astype(np.int32),
        supplies=np.append(slots, -slots.sum()),
        pair_need=pair_need,
        pair_candidate=pair_candidate,
        pair_score=found.total[worth],
    )


def solve_flow(problem: FlowProblem) -> min_cost_flow.SimpleMinCostFlow:
    """Only the solver: load the ready arrays into OR-Tools and solve.

    Returns the solved OR-Tools object: its `optimal_cost()` is minus the scaled
    objective, and the flows of arcs 0 .. len(pair_need) - 1 say which pairs are used.
    """
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        problem.tails, problem.heads, problem.capacities, problem.unit_costs
    )
    flow.set_nodes_supplies(problem.nodes, problem.supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise MatchingError(f"min-cost flow ended with status {status!r}, not OPTIMAL")
    return flow


def assign(needs: Sequence[Need], pool: Pool) -> Assignment:
    """Propose candidates for many needs at once, maximising the total score.

    Respects slots per need, at most one candidate per company per need (so
    also one place per candidate per need), each candidate's capacity, each
    company's remaining cap, exclusions; pairs must score > 0.
    """
    if not needs:
        return Assignment()
    problem = build_flow(needs, pool)
    flow = solve_flow(problem)
    # Pair arcs were added first, so their arc ids are 0 .. len(pair_need) - 1.
    pair_arcs = np.arange(len(problem.pair_need), dtype=np.int32)
    used = np.flatnonzero(np.asarray(flow.flows(pair_arcs)) > 0)
    pairs = [
        (needs[int(n)].key, pool.candidates[int(c)].key, float(s))
        for n, c, s in zip(
            problem.pair_need[used],
            problem.pair_candidate[used],
            problem.pair_score[used],
            strict=True,
        )
    ]
    # In the order the needs were given; inside a need, best first.
    order = {need.key: row for row, need in enumerate(needs)}
    pairs.sort(key=lambda pair: (order[pair[0]], -pair[2], pair[1]))
    return Assignment(pairs=pairs, total=float(sum(s for _, _, s in pairs)))


# --- how evenly work is spread ---------------------------------------------------


def gini(values: Iterable[float]) -> float:
    """Gini coefficient: 0 when all hold the same, towards 1 when one holds everything."""
    ordered = np.sort(np.asarray(list(values), dtype=np.float64))
    if ordered.size and ordered[0] < 0:
        raise ValueError("the Gini coefficient needs non-negative values")
    total = ordered.sum()
    if ordered.size == 0 or total == 0:
        return 0.0
    n = ordered.size
    ranks = np.arange(1, n + 1, dtype=np.float64)
    return float(2.0 * (ranks * ordered).sum() / (n * total) - (n + 1) / n)


def top_share(values: Iterable[float], fraction: float = 0.10) -> float:
    """Share of the total held by the top `fraction` of entries (at least one entry)."""
    if not 0 < fraction <= 1:
        raise ValueError(f"the fraction must be in (0, 1], not {fraction}")
    ordered = np.sort(np.asarray(list(values), dtype=np.float64))[::-1]
    total = ordered.sum()
    if ordered.size == 0 or total == 0:
        return 0.0
    # The small allowance keeps 10% of 300 at 30 entries despite 0.1 * 300 > 30.
    count = max(1, math.ceil(fraction * ordered.size - 1e-9))
    return float(ordered[:count].sum() / total)
