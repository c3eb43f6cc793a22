"""Ranking one request against the whole market, as the request page does.

Measured: `Pool.rank` (numpy) on a pool built once beforehand, as the app
builds it once per page. Baseline: `rank_naive`, the plain loop over the same
2,300 candidates. 100 different requests, each ranked by both in turn.
Target: the pool takes at most half the loop's time, with identical top tens.
"""

from __future__ import annotations

from bench.market import build_market, build_needs, recent_counts
from bench.timing import paired
from ttc.lib.matching import Fairness, Pool, rank_naive

REQUESTS = 100
LIMIT = 10
TARGET = 0.5


def run() -> dict:
    market = build_market(seed=2020)
    needs = build_needs(market, REQUESTS, seed=21)
    fairness = Fairness(recent=recent_counts(market, seed=22, cap=Fairness(recent={}).cap))
    pool = Pool(market.candidates, fairness)

    identical = all(
        [(r.candidate.key, r.score) for r in pool.rank(need, LIMIT)]
        == [
            (r.candidate.key, r.score) for r in rank_naive(market.candidates, fairness, need, LIMIT)
        ]
        for need in needs
    )

    # Each pair of runs ranks the same request; the measured side moves on to the next.
    turn = [0]

    def naive() -> object:
        return rank_naive(market.candidates, fairness, needs[turn[0] % REQUESTS], LIMIT)

    def vectorised() -> object:
        ranked = pool.rank(needs[turn[0] % REQUESTS], LIMIT)
        turn[0] += 1
        return ranked

    baseline, measured, ratio = paired(naive, vectorised, repeat=REQUESTS)
    return {
        "name": "ranking",
        "figures": {
            "requests": REQUESTS,
            "candidates": len(pool),
            "companies": len(pool.companies),
            "pool_rank_ms": round(measured * 1000, 3),
            "identical_top_10": identical,
        },
        "baseline": {"rank_naive_ms": round(baseline * 1000, 3)},
        "ratio": round(ratio, 3),
        "target": TARGET,
        "met": ratio <= TARGET and identical,
    }
