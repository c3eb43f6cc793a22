"""Merging concurrent proposals: 1,000 proposals against one section, and proof
that no accepted text was lost.

One section of 1,000 paragraphs, each a distinct Dutch sentence. Measured:
1,000 proposals all written against revision 1, each changing a different
paragraph, all submitted first and then accepted one by one in a shuffled
order; every accept merges three-way with everything accepted before it.
Baseline, in the same run and interleaved with it: the same 1,000 changes on
a second copy of the section, each proposal written against the latest
revision just before it is accepted, so the same service does no merge. The
ratio of the two totals is the cost of merging.

Afterwards both sections must hold every accepted change and none of the
replaced sentences, in 1,001 revisions. On PostgreSQL a third copy takes its
1,000 accepts from several threads at once, each on its own connection, and
must end the same way. SQLite lets one writer in at a time, so there the
accepts run one after another and the threaded run is skipped.

Target: merged accepts cost at most 3× plain ones, and nothing is lost.
"""

from __future__ import annotations

import queue
import random
import statistics
import threading
import time

from django.db import connection

from ttc.accounts.models import User
from ttc.core.tlp import TLP
from ttc.documents import services
from ttc.documents.models import Proposal, Section

PARAGRAPHS = 1_000
THREADS = 8
TARGET = 3.0

SUBJECTS = [
    "De GGD",
    "Het ziekenhuis",
    "De gemeente",
    "Het team",
    "De huisarts",
    "De school",
    "Het RIVM",
    "De apotheek",
    "De thuiszorg",
    "Het verpleeghuis",
]
#: Each verb, and the verb an accepted proposal puts in its place.
VERBS = [
    ("plant", "verschuift"),
    ("test", "verbetert"),
    ("deelt", "publiceert"),
    ("meet", "controleert"),
    ("opent", "sluit"),
    ("bouwt", "vervangt"),
    ("leest", "herziet"),
    ("bespreekt", "evalueert"),
    ("regelt", "verdeelt"),
    ("ordent", "bundelt"),
]
OBJECTS = [
    "de looproutes",
    "de afspraken",
    "het rooster",
    "de wachtrij",
    "de mondkapjes",
    "de teststraat",
    "de ventilatie",
    "de spreekuren",
    "de hulplijn",
    "de lesroosters",
]


def sentence(index: int, *, changed: bool = False) -> str:
    verb = VERBS[(index // 10) % 10][1 if changed else 0]
    return f"{index + 1}. {SUBJECTS[index % 10]} {verb} {OBJECTS[(index // 100) % 10]}."


def text(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs) + "\n"


def paragraphs_of(body: str) -> list[str]:
    return body.rstrip("\n").split("\n\n")


class Scenario:
    """One copy of the section, and what was accepted into it."""

    def __init__(self, *, coordinator: User, slug: str) -> None:
        self.document = services.document_create(
            author=coordinator,
            title=f"Benchmark {slug}",
            slug=slug,
            tlp=TLP.CLEAR,
            sections=[("Ideeën", text([sentence(i) for i in range(PARAGRAPHS)]))],
        )
        self.section = Section.objects.get(document=self.document)
        self.current = [sentence(i) for i in range(PARAGRAPHS)]
        self.times: list[float] = []

    def propose(self, index: int, contributor: User, *, base: list[str], number: int) -> Proposal:
        paragraphs = list(base)
        paragraphs[index] = sentence(index, changed=True)
        return services.proposal_submit(
            document=self.document,
            section=self.section,
            base_number=number,
            title=self.section.title,
            body=text(paragraphs),
            contributor=contributor,
        )

    def accept(self, proposal: Proposal, editor: User) -> None:
        started = time.perf_counter()
        services.proposal_accept(proposal=proposal, editor=editor)
        self.times.append(time.perf_counter() - started)

    def lost(self) -> dict[str, int | bool]:
        """What the final text misses: changes not in it, originals still in it."""
        self.section.refresh_from_db()
        final = paragraphs_of(self.section.body)
        expected = [sentence(i, changed=True) for i in range(PARAGRAPHS)]
        originals = {sentence(i) for i in range(PARAGRAPHS)}
        numbers = sorted(self.section.revisions.values_list("number", flat=True))
        return {
            "missing_changes": sum(
                1 for i, line in enumerate(expected) if i >= len(final) or final[i] != line
            ),
            "originals_left": sum(1 for line in final if line in originals),
            "revisions": len(numbers),
            "numbers_in_order": numbers == list(range(1, PARAGRAPHS + 2)),
        }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _threaded(scenario: Scenario, proposals: list[Proposal], editor: User) -> float:
    """Accept from THREADS threads at once, each on its own connection."""
    work: queue.SimpleQueue[Proposal] = queue.SimpleQueue()
    for proposal in proposals:
        work.put(proposal)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            while True:
                try:
                    proposal = work.get_nowait()
                except queue.Empty:
                    return
                services.proposal_accept(proposal=proposal, editor=editor)
        except BaseException as error:  # reported below, after every thread has ended
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


def _check(name: str, lost: dict[str, int | bool]) -> int:
    """The number of accepted changes lost; a broken revision history counts as all."""
    if lost["revisions"] != PARAGRAPHS + 1 or not lost["numbers_in_order"]:
        print(f"merge benchmark, {name}: revision history broken: {lost}")
        return PARAGRAPHS
    return int(lost["missing_changes"]) + int(lost["originals_left"])


def run() -> dict:
    coordinator = User.objects.create(
        email="editor@bench.test", full_name="Bench Editor", is_coordinator=True, password="!"
    )
    contributor = User.objects.create(
        email="contributor@bench.test", full_name="Bench Contributor", password="!"
    )
    order = list(range(PARAGRAPHS))
    random.Random(2020).shuffle(order)

    merged = Scenario(coordinator=coordinator, slug="merge-concurrent")
    plain = Scenario(coordinator=coordinator, slug="merge-plain")
    original = list(merged.current)
    submitted = time.perf_counter()
    waiting = {i: merged.propose(i, contributor, base=original, number=1) for i in order}
    submit_seconds = time.perf_counter() - submitted

    # Interleaved, so that a slow moment on a shared machine hits both sides.
    for number, index in enumerate(order, start=1):
        proposal = plain.propose(index, contributor, base=plain.current, number=number)
        plain.accept(proposal, coordinator)
        plain.current[index] = sentence(index, changed=True)
        merged.accept(waiting[index], coordinator)

    results = {"merged": merged.lost(), "plain": plain.lost()}
    lost = _check("merged", results["merged"]) + _check("plain", results["plain"])

    figures: dict[str, object] = {
        "database": connection.vendor,
        "paragraphs": PARAGRAPHS,
        "proposals": PARAGRAPHS,
        "section_chars": len(text(original)),
        "submit_all_s": round(submit_seconds, 3),
        "merge_accept_total_s": round(sum(merged.times), 3),
        "merge_accept_mean_ms": _ms(statistics.mean(merged.times)),
        "merge_accept_median_ms": _ms(statistics.median(merged.times)),
        "merge_accept_p95_ms": _ms(statistics.quantiles(merged.times, n=20)[-1]),
        "merge_accept_max_ms": _ms(max(merged.times)),
        "revisions": results["merged"]["revisions"],
        "missing_changes": results["merged"]["missing_changes"],
        "originals_left": results["merged"]["originals_left"],
    }
    if connection.vendor == "postgresql":
        threaded = Scenario(coordinator=coordinator, slug="merge-threads")
        proposals = [threaded.propose(i, contributor, base=original, number=1) for i in order]
        elapsed = _threaded(threaded, proposals, coordinator)
        results["threads"] = threaded.lost()
        lost += _check("threads", results["threads"])
        figures.update(
            {
                "threads": THREADS,
                "threaded_accept_total_s": round(elapsed, 3),
                "threaded_accepts_per_s": round(PARAGRAPHS / elapsed, 1),
                "threaded_revisions": results["threads"]["revisions"],
                "threaded_numbers_in_order": results["threads"]["numbers_in_order"],
            }
        )
    else:
        figures["threads"] = "skipped: SQLite serialises writers, accepts ran one after another"
    figures["lost"] = lost

    ratio = sum(merged.times) / sum(plain.times)
    return {
        "name": "merge",
        "figures": figures,
        "baseline": {
            "plain_accept_total_s": round(sum(plain.times), 3),
            "plain_accept_mean_ms": _ms(statistics.mean(plain.times)),
            "plain_accept_median_ms": _ms(statistics.median(plain.times)),
        },
        "ratio": round(ratio, 3),
        "target": TARGET,
        "met": ratio <= TARGET and lost == 0,
    }
