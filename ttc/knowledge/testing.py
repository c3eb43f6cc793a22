"""Articles for tests: written and published through the services, and the
leak-test registration."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ttc.core.testing import LabelledSurfaces, Personas, register_labelled
from ttc.knowledge import services
from ttc.knowledge.models import Article, ArticleKind


def content(**overrides: Any) -> services.ArticleContent:
    fields: dict[str, Any] = {
        "title": "Lessen uit een ransomware-aanval op een ziekenhuis",
        "summary": "Wat we leerden over **back-ups** en segmentatie.",
        "body": "## Back-ups\n\nBewaar een kopie offline.\n\n## Segmentatie\n\nScheid apparaten.",
        "kind": ArticleKind.RESEARCH,
        "tags": ["ransomware", "ziekenhuizen"],
    }
    fields.update(overrides)
    return services.ArticleContent(**fields)


def write(
    author: Any,
    *,
    organisation: Any = None,
    tlp: str = "green",
    people: list[Any] | None = None,
    organisations: list[Any] | None = None,
    **overrides: Any,
) -> Article:
    """A draft by `author`, for their first approved organisation unless named."""
    if organisation is None and not author.is_coordinator:
        organisation = services.writing_organisations(author).first()
    return services.article_create(
        author=author,
        organisation=organisation,
        content=content(**overrides),
        sharing=services.Sharing(tlp=tlp, people=people or [], organisations=organisations or []),
    )


def publish(personas: Personas, article: Article) -> Article:
    """Through review to published, as a coordinator decides."""
    if article.created_by_id != personas.coordinator.pk:
        article = services.article_submit(article=article, actor=article.created_by)
    return services.article_publish(article=article, actor=personas.coordinator)


def _probe_writer() -> tuple[Any, Any]:
    """A member company outside the personas' world, so that the author's side
    of a probe article is nobody the leak test checks."""
    from ttc.core.testing import make_organisation, make_user
    from ttc.members.models import Membership, OrganisationKind

    existing = Membership.objects.filter(user__email="probe@kennisbron.test").first()
    if existing is not None:
        return existing.user, existing.organisation
    company = make_organisation("Kennisbron B.V.", OrganisationKind.MEMBER_COMPANY)
    author = make_user("probe@kennisbron.test", full_name="Pim Probe")
    Membership.objects.create(user=author, organisation=company, role="admin")
    return author, company


def make_labelled_article(
    personas: Personas, tlp: str, *, people: list[Any], organisations: list[Any]
) -> Article:
    """For the leak test: a published article under `tlp` for exactly these recipients."""
    author, company = _probe_writer()
    article = write(
        author,
        organisation=company,
        tlp=tlp,
        people=people,
        organisations=organisations,
        title=f"Leak probe {tlp} title",
        summary=f"Leak probe {tlp} summary",
        body=f"Leak probe {tlp} secret body",
    )
    return publish(personas, article)


register_labelled(
    LabelledSurfaces(
        model=Article,
        make=make_labelled_article,
        list_url=reverse("article_list"),
        detail_url=lambda obj: obj.get_absolute_url(),
        search_url=lambda obj: "/search/?q=probe",
        api_list_url="/api/v1/articles",
        api_detail_url=lambda obj: f"/api/v1/articles/{obj.pk}",
        # Publishing tells the author, not the label's audience (see the module
        # docstring of ttc.knowledge.services); tests/test_knowledge.py checks that
        # every notification of an article's life reaches only people who may read it.
        broadcasts=False,
        # The front page and dashboard show no articles.
        partial_surfaces=("home",),
    )
)
