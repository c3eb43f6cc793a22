"""The knowledge base: guides, checklists and research results under a TLP label.

Readers see an article when it is published, not flagged as commercial, and
the label allows it. Its author and the people of its author organisation also
see drafts and flagged articles, so they can revise them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ttc.core import access
from ttc.core.models import Labelled
from ttc.lib.markdown import render

TITLE_MAX = 200
SUMMARY_MAX = 600
BODY_MAX = 100_000
TAGS_MAX = 10


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("article_list") + f"?tag={self.slug}"


class ArticleKind(models.TextChoices):
    GUIDE = "guide", _("Guide")
    CHECKLIST = "checklist", _("Checklist")
    RESEARCH = "research", _("Research result")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")


class ArticleLanguage(models.TextChoices):
    DUTCH = "nl", _("Dutch")
    ENGLISH = "en", _("English")


class ArticleQuerySet(models.QuerySet["Article"]):
    def published(self) -> ArticleQuerySet:
        return self.filter(status=ArticleStatus.PUBLISHED, flagged_commercial_at__isnull=True)

    def readable_by(self, user: Any) -> ArticleQuerySet:
        """What this person may read: published articles the label allows, and
        their own organisation's drafts and flagged articles."""
        readable = access.visible_to(self.published(), user).values("pk")
        condition = models.Q(pk__in=readable)
        if user.is_authenticated:
            condition |= access.rule_filter(self.model, user) & (
                models.Q(created_by=user) | models.Q(organisation__in=user.organisation_ids)
            )
            if user.is_coordinator:
                # Coordinators do the editorial review.
                condition |= ~models.Q(status=ArticleStatus.DRAFT)
        return self.filter(condition)


class Article(Labelled):
    """The search index lives beside the table (migration 0002_search). On SQLite
    a migration that rebuilds this table drops the index's triggers: such a
    migration must create them again, or search stops following changes."""

    title = models.CharField(_("title"), max_length=TITLE_MAX)
    summary = models.TextField(_("summary"), max_length=SUMMARY_MAX)
    body = models.TextField(_("text"), max_length=BODY_MAX)
    kind = models.CharField(_("kind"), max_length=16, choices=ArticleKind.choices)
    language = models.CharField(
        _("language"), max_length=2, choices=ArticleLanguage.choices, default=ArticleLanguage.DUTCH
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="articles")
    organisation = models.ForeignKey(
        "members.Organisation",
        verbose_name=_("author organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="articles",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    #: The number of its latest revision.
    number = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    flagged_commercial_at = models.DateTimeField(null=True, blank=True)
    flagged_commercial_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flagged_commercial_reason = models.TextField(_("why this is advertising"), blank=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("article_detail", args=[self.pk])

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED and self.flagged_commercial_at is None

    @property
    def is_flagged_commercial(self) -> bool:
        return self.flagged_commercial_at is not None

    def summary_html(self) -> str:
        return render(self.summary)

    def body_html(self) -> str:
        return render(self.body)

    def may_edit(self, user: Any) -> bool:
        """The author, people of the author organisation, and coordinators."""
        if not user.is_authenticated:
            return False
        if user.is_coordinator or self.created_by_id == user.pk:
            return True
        return self.organisation_id is not None and self.organisation_id in user.organisation_ids


class ArticleRevision(Labelled):
    """One saved state of an article; never changed afterwards.

    A revision keeps the label and named recipients its article had when it
    was saved, and `created_by` is the person who saved it: older text stays
    with the people it was shared with when it was written, whatever the
    article's label becomes later. Every surface reads revisions through
    `access.visible_to`.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    summary = models.TextField(_("summary"))
    body = models.TextField(_("text"))
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    reverted_to = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.article} #{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("article_revision", args=[self.article_id, self.number])
