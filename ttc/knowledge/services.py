"""The knowledge base: writing, editorial review, the commercial flag and versions.

People of an approved organisation and coordinators write; coordinators
review and publish. Every saved text is an `ArticleRevision`; an edit names
the revision it started from, so two people editing at once never overwrite
each other unnoticed.

Publishing tells the author, not the label's audience: the knowledge base is
read when needed, it is not news (announcements are).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ttc.core import access, audit
from ttc.core.models import AuditEvent
from ttc.core.notify import notify, notify_people
from ttc.core.tlp import TLP, validate_recipients
from ttc.knowledge.models import (
    BODY_MAX,
    SUMMARY_MAX,
    TAGS_MAX,
    TITLE_MAX,
    Article,
    ArticleKind,
    ArticleLanguage,
    ArticleRevision,
    ArticleStatus,
    Tag,
)
from ttc.members.models import Membership, Organisation
from ttc.members.vetting import coordinators

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ttc.accounts.models import User

    AnyUser = User | AnonymousUser

#: ArticleRevision.note
NOTE_MAX = 300
#: Why an article goes back to draft, or why it is advertising.
REASON_MAX = 2_000
#: Tag.name
TAG_NAME_MAX = 50
#: What each revision keeps.
VERSIONED = ("title", "summary", "body")


@dataclass(frozen=True)
class ArticleContent:
    """What a writer enters. Forms and the API validate first; the service
    checks again, so no path skips a rule."""

    title: str
    summary: str
    body: str
    kind: str
    language: str = ArticleLanguage.DUTCH
    tags: Sequence[str] = ()


@dataclass(frozen=True)
class Sharing:
    """The TLP label and its named recipients."""

    tlp: str
    people: Sequence[User] = ()
    organisations: Sequence[Organisation] = ()


# --- who may do what ------------------------------------------------------------------


def writing_organisations(user: AnyUser) -> QuerySet[Organisation]:
    """The organisations this person may write for: their approved ones."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(pk__in=user.approved_organisation_ids).order_by("name")


def may_write(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_coordinator or bool(user.approved_organisation_ids))


def is_source(user: AnyUser, article: Article) -> bool:
    """The author or a person of the author organisation: who decides the label."""
    return user.is_authenticated and (
        article.created_by_id == user.pk
        or (
            article.organisation_id is not None and article.organisation_id in user.organisation_ids
        )
    )


def may_edit(user: AnyUser, article: Article) -> bool:
    """May change the article, and may read it (the label still applies)."""
    return (
        article.may_edit(user) and Article.objects.readable_by(user).filter(pk=article.pk).exists()
    )


def _require_editor(user: User, article: Article) -> None:
    if not may_edit(user, article):
        raise PermissionDenied(_("You may not change this article."))


def _require_coordinator(user: User, message: str) -> None:
    if not user.is_coordinator:
        raise PermissionDenied(message)


# --- validation -----------------------------------------------------------------------


def _too_long(limit: int) -> str:
    return _("Keep it under %(max)s characters.") % {
        "max": number_format(limit, force_grouping=True)
    }


def _text(value: str, *, limit: int, required: str | None) -> tuple[str, str | None]:
    """A text with its error, if any. Oversized text is refused, never cut."""
    value = value.replace("\r\n", "\n").strip()
    if "\x00" in value:
        return value, _("Remove the invisible NUL characters.")
    if required is not None and not value:
        return value, required
    if len(value) > limit:
        return value, _too_long(limit)
    return value, None


def normalise_tags(raw: Iterable[str]) -> list[str]:
    """Trimmed, without repeats (case and punctuation do not make a new tag),
    at most `TAGS_MAX`."""
    names: dict[str, str] = {}
    for item in raw:
        name = " ".join(item.split())
        if not name:
            continue
        if len(name) > TAG_NAME_MAX:
            raise ValidationError(
                _("Keep each tag under %(max)s characters.") % {"max": TAG_NAME_MAX},
                code="tag_too_long",
            )
        slug = slugify(name)
        if not slug:
            raise ValidationError(
                _("A tag needs letters or digits: “%(tag)s”.") % {"tag": name}, code="tag_empty"
            )
        names.setdefault(slug, name)
    if len(names) > TAGS_MAX:
        raise ValidationError(
            _("Use at most %(max)s tags.") % {"max": TAGS_MAX}, code="too_many_tags"
        )
    return list(names.values())


def clean_content(content: ArticleContent) -> ArticleContent:
    """Every rule for an article's text; raises one error per field."""
    errors: dict[str, Any] = {}
    title, error = _text(content.title, limit=TITLE_MAX, required=_("Give the article a title."))
    if error:
        errors["title"] = error
    summary, error = _text(content.summary, limit=SUMMARY_MAX, required=_("Write a short summary."))
    if error:
        errors["summary"] = error
    body, error = _text(content.body, limit=BODY_MAX, required=_("Write the article."))
    if error:
        errors["body"] = error
    if content.kind not in ArticleKind.values:
        errors["kind"] = _("Choose one of the options.")
    if content.language not in ArticleLanguage.values:
        errors["language"] = _("Choose one of the options.")
    tags: list[str] = []
    try:
        tags = normalise_tags(content.tags)
    except ValidationError as exc:
        errors["tags"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return replace(content, title=title, summary=summary, body=body, tags=tuple(tags))


def _check_sharing(sharing: Sharing) -> None:
    if sharing.tlp not in TLP.values:
        raise ValidationError({"tlp": _("Choose one of the labels.")})
    try:
        validate_recipients(
            sharing.tlp, people=len(sharing.people), organisations=len(sharing.organisations)
        )
    except ValidationError as exc:
        raise ValidationError({"tlp": exc.messages}) from None
    if any(not person.is_active or person.deleted_at for person in sharing.people):
        raise ValidationError({"people": _("Name only people who are on the platform.")})
    if any(not organisation.is_vetted for organisation in sharing.organisations):
        raise ValidationError({"organisations": _("Name only approved organisations.")})
    try:
        access.check_named_people(sharing.people)
    except ValidationError as exc:
        raise ValidationError({"people": exc.messages}) from None


def _tags(names: Sequence[str]) -> list[Tag]:
    """The tags for these names: an existing tag whatever its case, else a new one."""
    by_slug = {slugify(name): name for name in names}
    found = {tag.slug: tag for tag in Tag.objects.filter(slug__in=by_slug)}
    for slug, name in by_slug.items():
        if slug in found:
            continue
        same_name = Tag.objects.filter(name__iexact=name).first()
        found[slug] = same_name or Tag.objects.get_or_create(slug=slug, defaults={"name": name})[0]
    return [found[slug] for slug in by_slug]


# --- notifications --------------------------------------------------------------------


def _who_may_read(article: Article, people: QuerySet[User]) -> QuerySet[User]:
    """Of these people, those the label lets read the article (and its author)."""
    return people.filter(
        Q(pk__in=access.audience(article).values("pk")) | Q(pk=article.created_by_id)
    ).distinct()


def _tell_coordinators(article: Article, actor: User, *, title: str, body: str) -> None:
    notify(
        recipients=coordinators().exclude(pk=actor.pk),  # type: ignore[attr-defined]
        title=title,
        url=article.get_absolute_url(),
        tlp=article.tlp,
        email_subject=lambda: title,
        email_body=lambda: body,
        target=article,
    )


def _tell_people(article: Article, people: QuerySet[User], *, title: str, body: str) -> None:
    notify_people(
        recipients=_who_may_read(article, people),
        title=title,
        url=article.get_absolute_url(),
        email_subject=lambda: title,
        email_body=lambda: body,
    )


def _author(article: Article, actor: User) -> QuerySet[User]:
    from ttc.accounts.models import User

    return User.objects.filter(
        pk=article.created_by_id, is_active=True, deleted_at__isnull=True
    ).exclude(pk=actor.pk)


def _author_and_admins(article: Article, actor: User) -> QuerySet[User]:
    """The author and the admins of the author organisation."""
    from ttc.accounts.models import User

    admins = Q(
        memberships__organisation_id=article.organisation_id,
        memberships__role=Membership.Role.ADMIN,
    )
    return User.objects.filter(
        Q(pk=article.created_by_id) | admins, is_active=True, deleted_at__isnull=True
    ).exclude(pk=actor.pk)


# --- writing --------------------------------------------------------------------------


def _locked(article: Article) -> Article:
    return Article.objects.select_for_update().get(pk=article.pk)


def _add_revision(
    article: Article, *, author: User, note: str = "", reverted_to: int | None = None
) -> ArticleRevision:
    """The article as it is now, under the label and for the named recipients
    it has now: a later change of label does not reach back to this text."""
    revision = ArticleRevision.objects.create(
        article=article,
        number=article.number,
        title=article.title,
        summary=article.summary,
        body=article.body,
        note=note,
        created_by=author,
        reverted_to=reverted_to,
        tlp=article.tlp,
    )
    revision.recipient_people.set(article.recipient_people.all())
    revision.recipient_orgs.set(article.recipient_orgs.all())
    return revision


def _recipients(obj: Article | ArticleRevision) -> tuple[str, set[int], set[int]]:
    return (
        obj.tlp,
        set(obj.recipient_people.values_list("pk", flat=True)),
        set(obj.recipient_orgs.values_list("pk", flat=True)),
    )


def shared_alike(revision: ArticleRevision, article: Article) -> bool:
    """Whether the revision was written under the label and for the named
    recipients the article has now."""
    return _recipients(revision) == _recipients(article)


def revisions_for(article: Article, user: AnyUser) -> QuerySet[ArticleRevision]:
    """The article's revisions this person may read, newest first. Only the
    article's editors see its history at all (the views check that first)."""
    return access.visible_to(article.revisions.all(), user).select_related("created_by")


@transaction.atomic
def article_create(
    *,
    author: User,
    organisation: Organisation | None,
    content: ArticleContent,
    sharing: Sharing,
) -> Article:
    """A new draft, revision 1.

    People of an approved organisation write for one of their approved
    organisations; coordinators may also write for none.
    """
    if not may_write(author):
        raise PermissionDenied(_("Only people of an approved organisation write articles."))
    if organisation is None:
        if not author.is_coordinator:
            raise ValidationError({"organisation": _("Choose the organisation you write for.")})
    elif organisation.pk not in author.approved_organisation_ids:
        raise ValidationError({"organisation": _("Choose one of your own approved organisations.")})
    content = clean_content(content)
    _check_sharing(sharing)
    now = timezone.now()
    article = Article.objects.create(
        title=content.title,
        summary=content.summary,
        body=content.body,
        kind=content.kind,
        language=content.language,
        organisation=organisation,
        tlp=sharing.tlp,
        created_by=author,
        created_at=now,
        updated_at=now,
        number=1,
    )
    article.tags.set(_tags(content.tags))
    article.recipient_people.set(sharing.people)
    article.recipient_orgs.set(sharing.organisations)
    _add_revision(article, author=author)
    audit.record(
        actor=author,
        action="article.create",
        obj=article,
        summary=f"{article.get_tlp_display()} article #{article.pk}",
        data={
            "organisation": organisation.pk if organisation else None,
            "people": [person.pk for person in sharing.people],
            "organisations": [org.pk for org in sharing.organisations],
        },
    )
    return article


def _conflict(current: int) -> ValidationError:
    return ValidationError(
        _(
            "Someone else saved a newer version (revision %(number)s) while you were "
            "editing. Your text is not saved yet: check what changed, then save again."
        )
        % {"number": current},
        code="conflict",
    )


def _revised_by_source(article: Article, actor: User) -> bool:
    """A flagged article that its own side revised goes back to review (a draft
    stays a draft until it is sent)."""
    if (
        article.is_flagged_commercial
        and article.status != ArticleStatus.DRAFT
        and is_source(actor, article)
    ):
        article.status = ArticleStatus.IN_REVIEW
        return True
    return False


@transaction.atomic
def article_update(
    *,
    article: Article,
    actor: User,
    content: ArticleContent,
    base_number: int,
    note: str = "",
    sharing: Sharing | None = None,
) -> Article:
    """Save a new revision. `base_number` is the revision the person edited:
    when the article moved on meanwhile, nothing is saved and the error says
    so. Only the author's side changes the label (`sharing`)."""
    _require_editor(actor, article)
    content = clean_content(content)
    note, error = _text(note, limit=NOTE_MAX, required=None)
    if error:
        raise ValidationError({"note": error})
    article = _locked(article)
    if article.number != base_number:
        raise _conflict(article.number)
    old_people = set(article.recipient_people.values_list("pk", flat=True))
    old_orgs = set(article.recipient_orgs.values_list("pk", flat=True))
    relabel = sharing is not None and (
        sharing.tlp != article.tlp
        or {person.pk for person in sharing.people} != old_people
        or {org.pk for org in sharing.organisations} != old_orgs
    )
    if relabel:
        assert sharing is not None
        if not is_source(actor, article):
            raise PermissionDenied(_("Only the author's organisation changes who may read it."))
        _check_sharing(sharing)
    tags = _tags(content.tags)
    old_tags = set(article.tags.values_list("pk", flat=True))
    changed = [
        field
        for field in ("title", "summary", "body", "kind", "language")
        if getattr(content, field) != getattr(article, field)
    ]
    if {tag.pk for tag in tags} != old_tags:
        changed.append("tags")
    if not changed and not relabel:
        raise ValidationError(_("Nothing changed."), code="unchanged")
    for field in ("title", "summary", "body", "kind", "language"):
        setattr(article, field, getattr(content, field))
    article.number += 1
    article.updated_at = timezone.now()
    back_to_review = _revised_by_source(article, actor)
    if relabel:
        assert sharing is not None
        article.tlp = sharing.tlp
        article.recipient_people.set(sharing.people)
        article.recipient_orgs.set(sharing.organisations)
    article.save(
        update_fields=[
            "title",
            "summary",
            "body",
            "kind",
            "language",
            "number",
            "updated_at",
            "status",
            "tlp",
        ]
    )
    article.tags.set(tags)
    _add_revision(article, author=actor, note=note)
    audit.record(
        actor=actor,
        action="article.update",
        obj=article,
        summary=f"Revision {article.number} of article #{article.pk}",
        data={
            "number": article.number,
            "changed": changed,
            "relabel": article.tlp if relabel else None,
            "back_to_review": back_to_review,
        },
    )
    if back_to_review:
        _tell_coordinators(
            article,
            actor,
            title=_("Revised after the advertising flag: %(title)s") % {"title": article.title},
            body=_("An article flagged as advertising was revised and waits for review:"),
        )
    return article


@transaction.atomic
def article_revert(
    *, article: Article, actor: User, number: int, base_number: int | None = None
) -> Article:
    """Bring back the text of an earlier revision, as a new revision."""
    _require_editor(actor, article)
    article = _locked(article)
    if base_number is not None and article.number != base_number:
        raise _conflict(article.number)
    # A revision the person may not read is treated as one that does not exist.
    target = revisions_for(article, actor).filter(number=number).first()
    if target is None or number >= article.number:
        raise ValidationError({"number": _("Choose an earlier revision.")})
    if not shared_alike(target, article):
        # Bringing it back would show older text to people it was never shared
        # with: sharing it wider is the source's decision, made by editing.
        raise ValidationError(
            {
                "number": _(
                    "Revision %(number)s was written under another label or for other "
                    "people than the article has now, so it cannot simply come back. "
                    "To share that text again, edit the article."
                )
                % {"number": number}
            },
            code="other_label",
        )
    if all(getattr(target, name) == getattr(article, name) for name in VERSIONED):
        raise ValidationError({"number": _("This revision has the same text as the current one.")})
    article.title, article.summary, article.body = target.title, target.summary, target.body
    article.number += 1
    article.updated_at = timezone.now()
    back_to_review = _revised_by_source(article, actor)
    article.save(update_fields=["title", "summary", "body", "number", "updated_at", "status"])
    _add_revision(article, author=actor, reverted_to=number)
    audit.record(
        actor=actor,
        action="article.revert",
        obj=article,
        summary=f"Article #{article.pk} back to revision {number}",
        data={"number": article.number, "reverted_to": number, "back_to_review": back_to_review},
    )
    if back_to_review:
        _tell_coordinators(
            article,
            actor,
            title=_("Revised after the advertising flag: %(title)s") % {"title": article.title},
            body=_("An article flagged as advertising was revised and waits for review:"),
        )
    return article


# --- editorial flow -------------------------------------------------------------------


@transaction.atomic
def article_submit(*, article: Article, actor: User) -> Article:
    """Draft → in review; the coordinators are told."""
    _require_editor(actor, article)
    article = _locked(article)
    if article.status != ArticleStatus.DRAFT:
        raise ValidationError(_("Only a draft can be sent for review."), code="transition")
    article.status = ArticleStatus.IN_REVIEW
    article.save(update_fields=["status"])
    audit.record(
        actor=actor,
        action="article.submit",
        obj=article,
        summary=f"Article #{article.pk} sent for review",
    )
    _tell_coordinators(
        article,
        actor,
        title=_("Article to review: %(title)s") % {"title": article.title},
        body=_("An article waits for review:"),
    )
    return article


@transaction.atomic
def article_publish(*, article: Article, actor: User) -> Article:
    """In review → published (coordinators). A coordinator's own draft may go
    straight out. Publishing again lifts an advertising flag."""
    _require_coordinator(actor, _("Only coordinators publish articles."))
    article = _locked(article)
    own_draft = article.status == ArticleStatus.DRAFT and article.created_by_id == actor.pk
    lifts_flag = article.status == ArticleStatus.PUBLISHED and article.is_flagged_commercial
    if not (article.status == ArticleStatus.IN_REVIEW or own_draft or lifts_flag):
        if article.is_published:
            raise ValidationError(_("This article is already published."), code="transition")
        raise ValidationError(_("Only an article in review can be published."), code="transition")
    was_flagged = article.is_flagged_commercial
    article.status = ArticleStatus.PUBLISHED
    article.published_at = article.published_at or timezone.now()
    article.flagged_commercial_at = None
    article.flagged_commercial_by = None
    article.flagged_commercial_reason = ""
    article.save(
        update_fields=[
            "status",
            "published_at",
            "flagged_commercial_at",
            "flagged_commercial_by",
            "flagged_commercial_reason",
        ]
    )
    audit.record(
        actor=actor,
        action="article.publish",
        obj=article,
        summary=f"Article #{article.pk} published",
        data={"lifted_flag": was_flagged},
    )
    _tell_people(
        article,
        _author(article, actor),
        title=_("Your article is published: %(title)s") % {"title": article.title},
        body=_("A coordinator published your article:"),
    )
    return article


@transaction.atomic
def article_return(*, article: Article, actor: User, reason: str) -> Article:
    """In review → draft (coordinators), with the reason for the author."""
    _require_coordinator(actor, _("Only coordinators review articles."))
    reason, error = _text(reason, limit=REASON_MAX, required=_("Tell the author why."))
    if error:
        raise ValidationError({"reason": error})
    article = _locked(article)
    if article.status != ArticleStatus.IN_REVIEW:
        raise ValidationError(_("Only an article in review can be sent back."), code="transition")
    article.status = ArticleStatus.DRAFT
    article.save(update_fields=["status"])
    audit.record(
        actor=actor,
        action="article.return",
        obj=article,
        summary=f"Article #{article.pk} sent back to draft",
        data={"reason": reason},
    )
    _tell_people(
        article,
        _author(article, actor),
        title=_("Your article went back to draft: %(title)s") % {"title": article.title},
        body=_("A coordinator sent your article back. Read why on the platform:"),
    )
    return article


@transaction.atomic
def article_flag_commercial(*, article: Article, actor: User, reason: str) -> Article:
    """The Code of Conduct forbids advertising: a coordinator hides the article
    until its author revises it and it passes review again."""
    _require_coordinator(actor, _("Only coordinators flag articles."))
    reason, error = _text(
        reason, limit=REASON_MAX, required=_("Say what in the article is advertising.")
    )
    if error:
        raise ValidationError({"reason": error})
    article = _locked(article)
    if article.is_flagged_commercial:
        raise ValidationError(_("This article is already flagged."), code="transition")
    if article.status == ArticleStatus.DRAFT:
        raise ValidationError(
            _("A draft is not shown to anyone; there is nothing to hide."), code="transition"
        )
    article.flagged_commercial_at = timezone.now()
    article.flagged_commercial_by = actor
    article.flagged_commercial_reason = reason
    article.save(
        update_fields=[
            "flagged_commercial_at",
            "flagged_commercial_by",
            "flagged_commercial_reason",
        ]
    )
    audit.record(
        actor=actor,
        action="article.flag_commercial",
        obj=article,
        summary=f"Article #{article.pk} flagged as advertising",
        data={"reason": reason},
    )
    _tell_people(
        article,
        _author_and_admins(article, actor),
        title=_("Article hidden as advertising: %(title)s") % {"title": article.title},
        body=_(
            "A coordinator hid this article: the Code of Conduct does not allow advertising. "
            "Revise it and it goes back to review. Read why on the platform:"
        ),
    )
    return article


# --- reads ----------------------------------------------------------------------------


def related_articles(article: Article, user: AnyUser, limit: int = 5) -> list[Article]:
    """Published articles this person may read that share the most tags with
    `article`, newest first among equals."""
    tag_ids = [tag.pk for tag in article.tags.all()]
    if not tag_ids:
        return []
    return list(
        Article.objects.readable_by(user)
        .published()
        .exclude(pk=article.pk)
        # Filtering on the tags first makes the count below count shared tags only.
        .filter(tags__in=tag_ids)
        .annotate(shared=Count("tags"))
        .select_related("organisation")
        .prefetch_related("tags")
        .order_by("-shared", "-published_at", "-id")[:limit]
    )


def review_queue() -> QuerySet[Article]:
    """What coordinators act on: articles in review, and those flagged as
    advertising (a flagged article sent back to draft is its author's again)."""
    flagged = Q(flagged_commercial_at__isnull=False) & ~Q(status=ArticleStatus.DRAFT)
    return (
        Article.objects.filter(Q(status=ArticleStatus.IN_REVIEW) | flagged)
        .select_related("organisation", "created_by")
        .order_by("updated_at", "id")
    )


def unpublished_for(user: AnyUser) -> QuerySet[Article]:
    """Drafts, articles in review and flagged ones of the person and their
    organisation that the label lets them read."""
    if not user.is_authenticated:
        return Article.objects.none()
    return (
        Article.objects.readable_by(user)
        .filter(Q(created_by=user) | Q(organisation__in=user.organisation_ids))
        .exclude(status=ArticleStatus.PUBLISHED, flagged_commercial_at__isnull=True)
        .select_related("organisation")
        .order_by("-updated_at", "-id")
    )


def return_reason(article: Article) -> AuditEvent | None:
    """Why a coordinator sent this draft back, while it is still a draft."""
    if article.status != ArticleStatus.DRAFT:
        return None
    last = (
        AuditEvent.objects.filter(
            object_type=article._meta.label_lower,
            object_id=str(article.pk),
            action__in=("article.return", "article.submit"),
        )
        .select_related("actor")
        .first()
    )
    return last if last is not None and last.action == "article.return" else None
