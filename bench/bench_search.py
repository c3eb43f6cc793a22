"""Search over 20,000 knowledge articles, as a vetted member searches them.

Measured: `ttc.knowledge.search.search()` over articles (PostgreSQL full text
with a GIN index, or SQLite FTS5), one page of 20 with its total count and
snippets, for 100 realistic Dutch queries. Baseline in the same run: the plain
scan a list page would do without an index, every word `icontains` title,
summary or body, with the same access filter, counted and one page fetched.
Both run as the same vetted member, so the access policy is part of every
query. The articles carry every label, with named organisations and people,
and some are drafts.

Figures: median and 95th percentile per query of each. Target: the median
search takes at most half the median scan (ratio ≤ 0.5).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from faker import Faker

from ttc.accounts.models import User
from ttc.core.tlp import TLP
from ttc.knowledge.models import Article
from ttc.knowledge.search import STOPWORDS, search
from ttc.members.models import Membership, MemberStatus, Organisation, OrganisationKind

ARTICLES = 20_000
ORGANISATIONS = 60
PEOPLE = 300
PER_PAGE = 20
ROUNDS = 2
TARGET = 0.5

# Each article is about one or two of these; the queries below use the same words.
TOPICS = {
    "ransomware": ["ransomware", "versleuteling", "losgeld", "back-ups", "herstel", "aanvallen"],
    "phishing": ["phishing", "nepmails", "medewerkers", "bewustwording", "spoofing", "e-mail"],
    "datalek": ["datalek", "datalekken", "meldplicht", "persoonsgegevens", "AVG", "privacy"],
    "thuiswerken": ["thuiswerken", "VPN", "videobellen", "laptops", "werkplekken", "beveiliging"],
    "zorg": ["ziekenhuis", "ziekenhuizen", "IC-capaciteit", "patiëntenspreiding", "coördinatie"],
    "testen": ["GGD", "testcapaciteit", "teststraten", "testuitslagen", "contactonderzoek"],
    "hulpmiddelen": ["mondkapjes", "beschermingsmiddelen", "leveranciers", "beademing", "voorraad"],
    "kwetsbaarheden": [
        "kwetsbaarheid",
        "kwetsbaarheden",
        "patches",
        "Citrix",
        "updates",
        "exploit",
    ],
    "toegang": [
        "wachtwoorden",
        "tweefactorauthenticatie",
        "inloggen",
        "accounts",
        "toegangsbeheer",
    ],
    "ddos": ["DDoS-aanval", "websites", "beschikbaarheid", "gemeenten", "filtering", "provider"],
    "apps": ["CoronaMelder", "app", "bluetooth", "broncode", "toegankelijkheid", "open source"],
    "incidenten": ["incidentrespons", "crisisteam", "draaiboek", "forensisch", "logbestanden"],
    "communicatie": ["crisiscommunicatie", "woordvoering", "persberichten", "desinformatie"],
    "onderwijs": ["onderwijs", "scholen", "afstandsonderwijs", "leerlingen", "chromebooks"],
}
SECTORS = ["ziekenhuizen", "GGD's", "gemeenten", "verpleeghuizen", "huisartsen", "ministeries"]
DUTCH = [
    "{org} in {city} heeft {a} en {b} besproken met {other}.",
    "Bij {a} is snelle {b} nodig, zeker voor {sector}.",
    "Het draaiboek beschrijft hoe {sector} omgaan met {a}.",
    "{name} adviseert om {a} te combineren met {b}.",
    "Na problemen met {a} in {city} volgde een evaluatie van {b}.",
    "Deze checklist helpt bij {a}, {b} en {c}.",
    "Veel {sector} onderschatten {a}; begin daarom met {b}.",
    "Volgens {name} van {org} verdient {a} meer aandacht dan {b}.",
    "Medewerkers moeten {a} herkennen en melden bij de servicedesk.",
    "Losgeld betalen is nooit de eerste stap; eerst komen {a} en {b}.",
    "Het onderzoek naar {a} bij {sector} in {city} loopt nog.",
]
ENGLISH = [
    "{org} in {city} discussed {a} and {b} with {other}.",
    "This checklist covers {a}, {b} and {c} for {sector}.",
    "{name} recommends combining {a} with {b}.",
]
TITLES = [
    "{A} bij {sector}",
    "Handreiking {a} en {b}",
    "Zo pak je {a} aan",
    "{A}: lessen uit {city}",
    "Checklist {a}",
    "Onderzoek naar {a} in {sector}",
]

QUERIES = [
    "ransomware ziekenhuis",
    "ransomware",
    "losgeld betalen",
    "back-ups herstel",
    "versleuteling",
    "phishing medewerkers",
    "nepmails herkennen",
    "bewustwording phishing",
    "spoofing e-mail",
    "datalek melden",
    "datalekken",
    "meldplicht datalek",
    "persoonsgegevens privacy",
    "AVG",
    "thuiswerken VPN",
    "videobellen privacy",
    "laptops thuiswerken",
    "werkplekken beveiliging",
    "ziekenhuizen",
    "IC-capaciteit",
    "patiëntenspreiding coördinatie",
    "coördinatie ziekenhuis",
    "coordinatie",
    "GGD testcapaciteit",
    "teststraten",
    "testuitslagen",
    "contactonderzoek GGD",
    "mondkapjes leveranciers",
    "beschermingsmiddelen voorraad",
    "beademing",
    "leveranciers",
    "kwetsbaarheid Citrix",
    "kwetsbaarheden patches",
    "updates",
    "exploit",
    "wachtwoorden",
    "tweefactorauthenticatie",
    "inloggen accounts",
    "toegangsbeheer",
    "DDoS-aanval gemeenten",
    "websites beschikbaarheid",
    "filtering provider",
    "CoronaMelder bluetooth",
    "app toegankelijkheid",
    "broncode open source",
    "incidentrespons draaiboek",
    "crisisteam",
    "forensisch onderzoek",
    "logbestanden",
    "crisiscommunicatie",
    "woordvoering persberichten",
    "desinformatie",
    "afstandsonderwijs chromebooks",
    "scholen leerlingen",
    "onderwijs",
    "verpleeghuizen",
    "huisartsen",
    "ministeries",
    "gemeenten ransomware",
    "ziekenhuis phishing",
    "datalek ziekenhuis",
    "hoe meld ik een datalek",
    "wat te doen bij ransomware",
    "checklist thuiswerken",
    "handreiking mondkapjes",
    "lessen ransomware",
    "onderzoek testcapaciteit",
    "draaiboek crisisteam",
    "evaluatie datalek",
    "aanvallen ziekenhuizen",
    "herstel back-ups",
    "privacy app",
    "VPN",
    "Citrix",
    "GGD",
    "beveiliging laptops",
    "e-mail phishing",
    "persoonsgegevens",
    "voorraad mondkapjes",
    "patches updates",
    "accounts wachtwoorden",
    "beschikbaarheid websites",
    "bluetooth",
    "logbestanden forensisch",
    "crisiscommunicatie desinformatie",
    "leerlingen",
    "zorg",
    "aandacht",
    "evaluatie",
    "verpleeghuizen mondkapjes",
    "gemeenten DDoS",
    "huisartsen videobellen",
    "ministeries crisiscommunicatie",
    "scholen thuiswerken",
    "IC-capaciteit coördinatie",
    "ransomware losgeld",
    "meldplicht",
    "bewustwording",
    "kwetsbaarheid",
    "beademing leveranciers",
]
assert len(QUERIES) == 100


def _build() -> User:
    rng = random.Random(2020)
    fake = Faker("nl_NL")
    fake.seed_instance(2020)
    cities = [fake.city() for _ in range(100)]
    companies = [fake.company() for _ in range(100)]
    names = [fake.name() for _ in range(200)]
    now = timezone.now()
    organisations = Organisation.objects.bulk_create(
        Organisation(
            name=f"Organisatie {i}",
            kind=OrganisationKind.MEMBER_COMPANY,
            status=MemberStatus.APPROVED,
            vetted_at=now,
        )
        for i in range(ORGANISATIONS)
    )
    people = User.objects.bulk_create(
        User(email=f"person{i}@search.bench.test", password="!") for i in range(PEOPLE)
    )
    Membership.objects.bulk_create(
        Membership(user=person, organisation=organisations[i % ORGANISATIONS])
        for i, person in enumerate(people)
    )
    author = User.objects.create(email="author@search.bench.test", password="!")

    def text(templates: list[str], words: list[str], count: int) -> str:
        return " ".join(
            rng.choice(templates).format(
                org=rng.choice(companies),
                other=rng.choice(companies),
                city=rng.choice(cities),
                name=rng.choice(names),
                sector=rng.choice(SECTORS),
                a=rng.choice(words),
                b=rng.choice(words),
                c=rng.choice(words),
            )
            for _ in range(count)
        )

    def article(i: int) -> Article:
        words = [w for topic in rng.sample(list(TOPICS), 2) for w in TOPICS[topic]]
        english = rng.random() < 0.15
        first = rng.choice(words)
        title = rng.choice(TITLES).format(
            A=first[0].upper() + first[1:],
            a=first,
            b=rng.choice(words),
            sector=rng.choice(SECTORS),
            city=rng.choice(cities),
        )
        draft = rng.random() < 0.05
        return Article(
            title=title[:200],
            summary=text(ENGLISH if english else DUTCH, words, 2),
            body=text(ENGLISH if english else DUTCH, words, rng.randint(8, 16)),
            kind=rng.choice(["guide", "checklist", "research"]),
            language="en" if english else "nl",
            tlp=rng.choices(list(TLP), weights=[40, 30, 15, 10, 5])[0],
            status="draft" if draft else "published",
            published_at=None if draft else now,
            created_by=author,
        )

    articles: list[Article] = []
    for start in range(0, ARTICLES, 1000):
        articles += Article.objects.bulk_create(
            article(i) for i in range(start, min(start + 1000, ARTICLES))
        )
    people_through = Article.recipient_people.through
    orgs_through = Article.recipient_orgs.through
    people_through.objects.bulk_create(
        people_through(article=a, user=rng.choice(people)) for a in articles if a.tlp == TLP.RED
    )
    orgs_through.objects.bulk_create(
        orgs_through(article=a, organisation=org)
        for a in articles
        if a.tlp in (TLP.AMBER, TLP.AMBER_STRICT)
        for org in rng.sample(organisations, 3)
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # as autovacuum would have done
            cursor.execute("ANALYZE")
    return User.objects.get(email="person7@search.bench.test")


def _indexed_rows() -> int:
    """Rows in the index, read from the index itself: bulk inserts fire the triggers too."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT COUNT(*) FROM knowledge_article WHERE search_vector IS NOT NULL")
        else:
            cursor.execute("SELECT COUNT(*) FROM knowledge_article_fts_docsize")
        return cursor.fetchone()[0]


def _scan(member: User, query: str) -> tuple[int, list[Article]]:
    """The unindexed way: every word somewhere in title, summary or body."""
    words = query.lower().split()
    articles: QuerySet[Article] = Article.objects.readable_by(member)
    for word in [w for w in words if w not in STOPWORDS] or words:
        articles = articles.filter(
            Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
        )
    return articles.count(), list(articles[:PER_PAGE])


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1]


def run() -> dict:
    member = _build()
    indexed = _indexed_rows()

    def searched(query: str) -> object:
        member.__dict__.pop("_memberships", None)  # as on a new request
        return search(user=member, query=query, kinds=("article",), per_page=PER_PAGE)

    def scan(query: str) -> object:
        member.__dict__.pop("_memberships", None)
        return _scan(member, query)

    for query in QUERIES:  # warm caches on both sides
        searched(query)
        scan(query)
    search_times: list[float] = []
    scan_times: list[float] = []
    for _ in range(ROUNDS):
        for query in QUERIES:  # alternately, so a slow moment hits both sides
            scan_times.append(_timed(lambda q=query: scan(q)))
            search_times.append(_timed(lambda q=query: searched(q)))
    results = [search(user=member, query=query, kinds=("article",)) for query in QUERIES]
    median_search = statistics.median(search_times)
    median_scan = statistics.median(scan_times)
    ratio = median_search / median_scan
    return {
        "name": "search",
        "figures": {
            "database": connection.vendor,
            "backend": results[0].backend,
            "articles": ARTICLES,
            "indexed_articles": indexed,
            "queries": len(QUERIES),
            "queries_with_results": sum(1 for result in results if result.total),
            "median_results_per_query": statistics.median(result.total for result in results),
            "median_ms": round(median_search * 1000, 3),
            "p95_ms": round(_p95(search_times) * 1000, 3),
        },
        "baseline": {
            "median_ms": round(median_scan * 1000, 3),
            "p95_ms": round(_p95(scan_times) * 1000, 3),
        },
        "ratio": round(ratio, 3),
        "target": TARGET,
        "met": ratio <= TARGET and indexed == ARTICLES,
    }
