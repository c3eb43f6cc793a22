"""Open working documents: ordered sections that anyone may propose to improve.

Every accepted change is a new `SectionRevision`. Revisions also carry the
document's own running version, so the whole document can be rebuilt as it
stood at any version and two versions compared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ttc.core import access
from ttc.core.models import Labelled
from ttc.core.tlp import TLP
from ttc.lib.markdown import render

if TYPE_CHECKING:
    from ttc.accounts.models import User

TITLE_MAX = 200
SECTION_BODY_MAX = 50_000
COMMENT_MAX = 5_000
REASON_MAX = 1_000


class DocumentQuerySet(models.QuerySet["Document"]):
    def public(self) -> DocumentQuerySet:
        return self.filter(tlp=TLP.CLEAR)

    def editable_by(self, user: Any) -> DocumentQuerySet:
        """Documents whose proposals this person moderates: coordinators all of
        them, appointed editors those they may read."""
        if not user.is_authenticated:
            return self.none()
        if user.is_coordinator:
            return self
        return access.visible_to(self, user).filter(editors=user)


class Document(Labelled):
    """A working document. TLP:CLEAR documents are public; any other label
    makes it internal, for the label's audience only."""

    slug = models.SlugField(_("web address"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    summary = models.TextField(_("summary"), max_length=2_000, blank=True)
    #: Raised by one for every accepted change to any of its sections.
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("editors"),
        blank=True,
        related_name="edited_documents",
        help_text=_("Members who moderate proposals, besides the coordinators."),
    )

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("working document")
        verbose_name_plural = _("working documents")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("document_detail", args=[self.slug])

    @property
    def is_public(self) -> bool:
        return self.tlp == TLP.CLEAR

    def summary_html(self) -> str:
        return render(self.summary)

    def is_editor(self, user: Any) -> bool:
        if not user.is_authenticated:
            return False
        if user.is_coordinator:
            return True
        return self.editors.filter(pk=user.pk).exists() and access.rule_allows(user, self)


class Section(models.Model):
    """A chapter of a document; its text is always that of its latest revision.

    The search index lives beside the table (migration 0002_search). On SQLite
    a migration that rebuilds this table drops the index's triggers: such a
    migration must create them again, or search stops following changes."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    body = models.TextField(_("text"), max_length=SECTION_BODY_MAX, blank=True)
    #: The number of its latest revision.
    number = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("section_detail", args=[self.document.slug, self.pk])

    @property
    def anchor(self) -> str:
        return f"section-{self.pk}"

    def body_html(self) -> str:
        return render(self.body)

    def head(self) -> SectionRevision:
        return self.revisions.get(number=self.number)


class RevisionKind(models.TextChoices):
    CREATED = "created", _("Written")
    PROPOSAL = "proposal", _("Proposal accepted")
    EDITED = "edited", _("Proposal accepted with edits")
    MERGED = "merged", _("Proposal merged with a later change")
    REVERTED = "reverted", _("Reverted")


class SectionRevision(models.Model):
    """One accepted state of a section; never changed afterwards."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="revisions")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    #: The document's version this revision made.
    document_version = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    body = models.TextField(_("text"), blank=True)
    kind = models.CharField(max_length=16, choices=RevisionKind.choices)
    note = models.CharField(_("note"), max_length=REASON_MAX, blank=True)
    #: Who wrote the change; for a visitor without an account, only the proposal knows.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: The name shown publicly: empty when the contributor chose to stay anonymous.
    credit = models.CharField(max_length=200, blank=True)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposal = models.ForeignKey(
        "Proposal", null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions"
    )
    reverted_to = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-document_version"]
        constraints = [
            models.UniqueConstraint(fields=["section", "number"], name="section_revision_number"),
            models.UniqueConstraint(
                fields=["document", "document_version"], name="document_revision_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.section} #{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("section_revision", args=[self.document.slug, self.section_id, self.number])


class ProposalStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Waiting for e-mail confirmation")
    PENDING = "pending", _("Waiting for an editor")
    ACCEPTED = "accepted", pgettext_lazy("proposal status", "Accepted")
    DECLINED = "declined", pgettext_lazy("proposal status", "Declined")


class DocumentProposalQuerySet(models.QuerySet["Proposal"]):
    def pending(self) -> DocumentProposalQuerySet:
        return self.filter(status=ProposalStatus.PENDING)

    def moderated_by(self, user: Any) -> DocumentProposalQuerySet:
        return self.filter(document__in=Document.objects.editable_by(user))

    def by_contributor(self, user: Any) -> DocumentProposalQuerySet:
        """A person's own proposals, on documents they may still read."""
        if not user.is_authenticated:
            return self.none()
        readable = access.visible_to(Document.objects.all(), user)
        return self.filter(contributor=user, document__in=readable)


class Proposal(models.Model):
    """A suggested change to one section, or a new section (`section` empty)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="proposals")
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.CASCADE, related_name="proposals"
    )
    #: The revision the contributor started from; the merge base on acceptance.
    base_revision = models.ForeignKey(
        SectionRevision, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    body = models.TextField(_("text"), max_length=SECTION_BODY_MAX)
    reason = models.TextField(_("why this change"), max_length=REASON_MAX, blank=True)
    contributor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="document_proposals",
    )
    #: A visitor without an account: confirmed through a link sent here.
    email = models.EmailField(_("e-mail address"), blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    anonymous = models.BooleanField(_("list my contribution as anonymous"), default=False)
    #: The visitor's language, for the e-mails they receive.
    language = models.CharField(max_length=8, blank=True)
    status = models.CharField(
        max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(
        _("note to the contributor"), max_length=REASON_MAX, blank=True
    )

    objects = DocumentProposalQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["document", "status"])]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("document_proposal", args=[self.pk])

    @property
    def is_new_section(self) -> bool:
        return self.section_id is None

    @property
    def is_open(self) -> bool:
        return self.status in (ProposalStatus.UNCONFIRMED, ProposalStatus.PENDING)

    @property
    def contributor_email(self) -> str:
        return self.contributor.email if self.contributor else self.email

    @property
    def credit(self) -> str:
        """The name shown publicly, or nothing for an anonymous contribution."""
        if self.anonymous:
            return ""
        if self.contributor is not None:
            return self.contributor.credit
        return self.name

    def reason_html(self) -> str:
        return render(self.reason)

    def is_contributor(self, user: User | Any) -> bool:
        return bool(user.is_authenticated and self.contributor_id == user.pk)


class Comment(models.Model):
    """Discussion on a section, by people who may read the document."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"), max_length=COMMENT_MAX)
    created_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author} on {self.section}"

    def body_html(self) -> str:
        return render(self.body)
