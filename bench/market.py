"""A synthetic TTC market for the matching benchmarks, the same for each seed.

300 member companies with heavy-tailed sizes: a few big names employ hundreds
of the 2,000 experts and cover many domains, most members are small
specialists. A company is a candidate itself (with the skills its experts
bring, at the best level among them) and so is each of its experts.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from ttc.lib.matching import Candidate, Need

COMPANIES = 300
EXPERTS = 2_000
DOMAINS = 8  # security, cloud, data, software, privacy, UX, networks, project work
SKILLS_PER_DOMAIN = 5  # 40 skill ids: domain d holds ids d*5+1 .. d*5+5
LEVELS = (0.5, 0.75, 1.0)  # the three levels a person can state
LEVEL_ODDS = (0.3, 0.4, 0.3)
# In a crisis security and cloud are asked for most; supply roughly follows.
DOMAIN_ODDS = (0.20, 0.15, 0.15, 0.15, 0.10, 0.08, 0.07, 0.10)
PROVINCE_POPULATION = {
    "DR": 0.5, "FL": 0.4, "FR": 0.65, "GE": 2.1, "GR": 0.6, "LI": 1.1,
    "NB": 2.6, "NH": 2.9, "OV": 1.2, "UT": 1.4, "ZE": 0.4, "ZH": 3.8,
}  # fmt: skip
PROVINCES = tuple(PROVINCE_POPULATION)


@dataclass(frozen=True)
class Market:
    candidates: list[Candidate]
    companies: list[int]
    size: dict[int, int]  # company -> number of its experts


def _domain_skills(domain: int) -> list[int]:
    return [domain * SKILLS_PER_DOMAIN + i + 1 for i in range(SKILLS_PER_DOMAIN)]


def _level(rng: random.Random) -> float:
    return rng.choices(LEVELS, LEVEL_ODDS)[0]


def _province(rng: random.Random) -> str:
    return rng.choices(PROVINCES, list(PROVINCE_POPULATION.values()))[0]


def _sizes(rng: random.Random) -> list[int]:
    """Experts per company: Zipf-like, so rank 1 has ~250 and rank 300 about 1 or none."""
    weights = [1 / (rank + 1) ** 0.9 for rank in range(COMPANIES)]
    sizes = [0] * COMPANIES
    for company in rng.choices(range(COMPANIES), weights, k=EXPERTS):
        sizes[company] += 1
    return sizes


def _domains(rng: random.Random, size: int) -> list[int]:
    # Breadth grows with size: one domain for a specialist, seven for the biggest.
    count = min(DOMAINS, 1 + int(math.log2(1 + size / 4)))
    chosen: set[int] = set()
    while len(chosen) < count:
        chosen.add(rng.choices(range(DOMAINS), DOMAIN_ODDS)[0])
    return sorted(chosen)


def _expert(
    rng: random.Random, key: str, company: int, domains: list[int], offices: list[str]
) -> Candidate:
    skills: dict[int, float] = {}
    for _ in range(rng.randint(2, 5)):
        domain = rng.choice(domains) if rng.random() < 0.9 else rng.randrange(DOMAINS)
        skills[rng.choice(_domain_skills(domain))] = _level(rng)
    home = rng.choice(offices)
    regions = {home} | ({_province(rng)} if rng.random() < 0.3 else set())
    languages = {"en"} if rng.random() < 0.05 else ({"nl", "en"} if rng.random() < 0.7 else {"nl"})
    return Candidate(
        key=key,
        company=company,
        skills=skills,
        free_hours=rng.choice([4, 8, 8, 16, 16, 24, 40]),
        regions=frozenset(regions),
        languages=frozenset(languages),
        capacity=1 if rng.random() < 0.7 else 2,
    )


def _company(
    rng: random.Random,
    company: int,
    experts: list[Candidate],
    domains: list[int],
    offices: list[str],
) -> Candidate:
    skills: dict[int, float] = {}
    for expert in experts:
        for skill, level in expert.skills.items():
            skills[skill] = max(level, skills.get(skill, 0.0))
    if not experts:  # a one-person firm: the company is its own expert
        for skill in rng.sample(_domain_skills(domains[0]), rng.randint(2, 4)):
            skills[skill] = _level(rng)
    return Candidate(
        key=f"org:{company}",
        company=company,
        skills=skills,
        free_hours=min(200.0, 16.0 + 8.0 * len(experts)),
        regions=frozenset(offices),
        languages=frozenset({"nl", "en"} if rng.random() < 0.8 else {"nl"}),
        capacity=1 + min(4, len(experts) // 15),
    )


def build_market(seed: int = 2020) -> Market:
    rng = random.Random(seed)
    sizes = _sizes(rng)
    candidates: list[Candidate] = []
    expert_number = 0
    for company, size in enumerate(sizes, start=1):
        domains = _domains(rng, size)
        offices = sorted({_province(rng) for _ in range(1 + size // 25)})
        experts = []
        for _ in range(size):
            expert_number += 1
            experts.append(_expert(rng, f"expert:{expert_number}", company, domains, offices))
        candidates.append(_company(rng, company, experts, domains, offices))
        candidates.extend(experts)
    return Market(
        candidates=candidates,
        companies=list(range(1, COMPANIES + 1)),
        size={company: size for company, size in enumerate(sizes, start=1)},
    )


def build_needs(
    market: Market, count: int, *, seed: int, slots: tuple[int, int] = (1, 1)
) -> list[Need]:
    """Help requests: 1-3 related skills, mostly Dutch, a third remote; some conflicts."""
    rng = random.Random(seed)
    bigger_first = [market.size[c] + 1 for c in market.companies]
    needs = []
    for key in range(1, count + 1):
        domain = rng.choices(range(DOMAINS), DOMAIN_ODDS)[0]
        skills = [rng.choice(_domain_skills(domain))]
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            other = domain if rng.random() < 0.75 else rng.randrange(DOMAINS)
            skill = rng.choice(_domain_skills(other))
            if skill not in skills:
                skills.append(skill)
        # A requester's current IT suppliers declare a conflict; those tend to be big.
        excluded = (
            frozenset(rng.choices(market.companies, bigger_first, k=rng.randint(1, 2)))
            if rng.random() < 0.2
            else frozenset()
        )
        needs.append(
            Need(
                key=key,
                skills=tuple(skills),
                effort_hours=rng.choice([4, 8, 8, 16, 24, 40]),
                region="" if rng.random() < 0.35 else _province(rng),
                language=rng.choices(["nl", "en", ""], [0.75, 0.10, 0.15])[0],
                slots=rng.randint(*slots),
                excluded_companies=excluded,
            )
        )
    return needs


def recent_counts(market: Market, *, seed: int, cap: int) -> dict[int, int]:
    """Matches in the window so far: four in ten companies worked recently, big ones more."""
    rng = random.Random(seed)
    recent = {}
    for company in market.companies:
        if rng.random() < 0.4:
            busy = min(1.0, 0.3 + market.size[company] / 50)
            recent[company] = min(cap, int(rng.random() * busy * cap) + 1)
    return recent
