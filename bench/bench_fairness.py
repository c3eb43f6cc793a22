"""Does fair matching spread the work without losing fit? 12 simulated weeks.

2,000 requests (one person each) arrive over 12 weeks. An engagement occupies
its candidate for 1-4 weeks, then frees it again. The rolling window is 90
days, so it covers the whole simulation.

Measured: fair matching, the top of `Pool.rank` with the product defaults of
`Fairness` (share penalty and hard cap). Baseline: greedy best-fit, the
candidate with the best score without penalty or cap, ties going to the larger
company (big names with broad skills win ties: that is how work flows to
them). Both see the same requests, durations and capacities.

Targets: fair mean skill fit (unmatched requests count as 0) at least 0.95×
greedy's, and fair Gini of matches per company (all 300, idle ones included)
at most 0.5× greedy's. The ratio reported is fair Gini / greedy Gini.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from bench.market import Market, build_market, build_needs
from ttc.lib.matching import Fairness, Need, Pool, gini, top_share

WEEKS = 12
WINDOW_WEEKS = 13  # 90 days
REQUESTS = 2_000
FIT_TARGET = 0.95
TARGET = 0.5


@dataclass(frozen=True)
class Match:
    key: str
    company: int
    skill: float


Chooser = Callable[[Pool, Need], Match | None]
FairnessFor = Callable[[dict[int, int]], Fairness]


@dataclass
class Outcome:
    fits: list[float] = field(default_factory=list)
    per_company: Counter[int] = field(default_factory=Counter)
    unmatched: int = 0

    def figures(self, market: Market) -> dict[str, float | int]:
        matches = [self.per_company[company] for company in market.companies]
        matched_fits = [fit for fit in self.fits if fit > 0]
        return {
            "mean_fit": round(float(np.mean(self.fits)), 4),
            "mean_fit_of_matched": round(float(np.mean(matched_fits)), 4),
            "gini": round(gini(matches), 4),
            "top_10_percent_share": round(top_share(matches, 0.10), 4),
            "companies_with_work": sum(1 for count in matches if count),
            "most_matches_one_company": max(matches),
            "unmatched": self.unmatched,
        }


@dataclass(frozen=True)
class Scenario:
    market: Market
    needs: list[Need]
    arrival_week: list[int]
    weeks_busy: list[int]


def _scenario() -> Scenario:
    market = build_market(seed=2020)
    needs = build_needs(market, REQUESTS, seed=31)
    rng = random.Random(32)
    return Scenario(
        market=market,
        needs=needs,
        arrival_week=sorted(rng.randrange(WEEKS) for _ in needs),
        weeks_busy=[rng.randint(1, 4) for _ in needs],
    )


def _simulate(scenario: Scenario, choose: Chooser, fairness_for: FairnessFor) -> Outcome:
    market = scenario.market
    capacity = {c.key: c.capacity for c in market.candidates}
    frees: defaultdict[int, list[str]] = defaultdict(list)  # week -> candidates freed then
    history: list[tuple[int, int]] = []  # (week, company) of every match
    outcome = Outcome()
    requests = iter(zip(scenario.needs, scenario.arrival_week, scenario.weeks_busy, strict=True))
    pending = next(requests, None)
    for week in range(WEEKS):
        for key in frees.pop(week, []):
            capacity[key] += 1
        recent = Counter(c for started, c in history if started > week - WINDOW_WEEKS)
        # Rebuilt once a week; within the week record_match keeps it current.
        pool = Pool(
            [replace(c, capacity=capacity[c.key]) for c in market.candidates],
            fairness_for(dict(recent)),
        )
        while pending is not None and pending[1] == week:
            need, _, busy = pending
            match = choose(pool, need)
            if match is None:
                outcome.unmatched += 1
                outcome.fits.append(0.0)
            else:
                pool.record_match(match.key)
                capacity[match.key] -= 1
                frees[week + busy].append(match.key)
                history.append((week, match.company))
                outcome.per_company[match.company] += 1
                outcome.fits.append(match.skill)
            pending = next(requests, None)
    return outcome


def _fair(pool: Pool, need: Need) -> Match | None:
    top = pool.rank(need, limit=1)
    if not top:
        return None
    return Match(top[0].candidate.key, top[0].candidate.company, top[0].skill)


def _greedy(size: dict[int, int], *, bigger_wins_ties: bool) -> Chooser:
    def choose(pool: Pool, need: Need) -> Match | None:
        found = pool.pairs([need])
        if found.total.size == 0:
            return None
        best = found.total.max()
        tied = [
            (float(skill), int(row))
            for total, skill, row in zip(found.total, found.skill, found.candidate, strict=True)
            if total == best
        ]

        def preference(item: tuple[float, int]) -> tuple[float, int, str]:
            skill, row = item
            candidate = pool.candidates[row]
            return (-skill, -size[candidate.company] if bigger_wins_ties else 0, candidate.key)

        skill, row = min(tied, key=preference)
        return Match(pool.candidates[row].key, pool.candidates[row].company, skill)

    return choose


def _no_fairness(_recent: dict[int, int]) -> Fairness:
    # Nothing counted, and a cap no company can reach in this simulation.
    return Fairness(recent={}, cap=REQUESTS + 1, weight=0.0)


def run() -> dict:
    scenario = _scenario()
    size = scenario.market.size
    fair = _simulate(scenario, _fair, lambda recent: Fairness(recent=recent)).figures(
        scenario.market
    )
    greedy = _simulate(scenario, _greedy(size, bigger_wins_ties=True), _no_fairness).figures(
        scenario.market
    )
    by_key = _simulate(scenario, _greedy(size, bigger_wins_ties=False), _no_fairness).figures(
        scenario.market
    )
    defaults = Fairness(recent={})
    fit_ratio = fair["mean_fit"] / greedy["mean_fit"]
    ratio = fair["gini"] / greedy["gini"]
    return {
        "name": "fairness",
        "figures": {
            "weeks": WEEKS,
            "requests": REQUESTS,
            "companies": len(scenario.market.companies),
            "fairness_cap": defaults.cap,
            "fairness_weight": defaults.weight,
            **{f"fair_{name}": value for name, value in fair.items()},
            "fit_ratio": round(fit_ratio, 4),
            "fit_target": FIT_TARGET,
            "greedy_by_key_gini": by_key["gini"],
        },
        "baseline": {f"greedy_{name}": value for name, value in greedy.items()},
        "ratio": round(ratio, 3),
        "target": TARGET,
        "met": ratio <= TARGET and fit_ratio >= FIT_TARGET,
    }
