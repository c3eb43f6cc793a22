"""Working documents: proposals, moderation, revisions, reverts and comments.

Every accepted change locks the document row first, so accepts on one document
run one after another and each starts from the latest text. A proposal written
against an older revision is merged three-way (`ttc.lib.textmerge`); what truly
collides goes back to the editor with both versions whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ttc.core import access, audit
from ttc.core.notify import notify, notify_people
from ttc.core.tasks import deliver_email
from ttc.core.tlp import TLP, validate_recipients
from ttc.documents.models import (
    COMMENT_MAX,
    REASON_MAX,
    SECTION_BODY_MAX,
    TITLE_MAX,
    Comment,
    Document,
    Proposal,
    ProposalStatus,
    RevisionKind,
    Section,
    SectionRevision,
)
from ttc.lib import textmerge

if TYPE_CHECKING:
    from ttc.accounts.models import User
    from ttc.members.models import Organisation

#: Web addresses that are pages of their own under /documents/.
RESERVED_SLUGS = frozenset({"new", "proposals", "confirm", "comments"})
CONFIRM_SALT = "ttc.documents.proposal-confirm"
CONFIRM_MAX_AGE = 2 * 24 * 3600


class MergeConflict(Exception):
    """A proposal collides with a change accepted since it was written."""

    def __init__(self, *, proposal: Proposal, head: SectionRevision, result: Any, title: str):
        super().__init__("the proposal conflicts with a later change")
        self.proposal = proposal
        self.head = head
        self.result: textmerge.MergeResult = result
        self.title = title

    def text_to_resolve(self) -> str:
        return self.result.marked(_("current text"), _("proposal"))


def _limited(value: str, *, field: str, limit: int, required: str | None = None) -> str:
    """Refused, never cut, when too long; `required` makes it mandatory."""
    value = value.strip()
    if required and not value:
        raise ValidationError({field: required})
    if len(value) > limit:
        raise ValidationError(
            {
                field: _("Keep it under %(max)s characters.")
                % {"max": number_format(limit, force_grouping=True)}
            }
        )
    return value


def _section_title(title: str) -> str:
    title = _limited(title, field="title", limit=TITLE_MAX, required=_("Give the section a title."))
    # A title is one line: a line break would let it pose as text (or a label)
    # in the Markdown export, and breaks e-mail subjects.
    if any(not character.isprintable() for character in title):
        raise ValidationError({"title": _("A title is one line, without line breaks or tabs.")})
    return title


def _section_body(body: str) -> str:
    body = _limited(body, field="body", limit=SECTION_BODY_MAX)
    if textmerge.has_conflict_markers(body):
        raise ValidationError(
            {
                "body": _(
                    "Resolve every conflict first: remove the lines with "
                    "<<<<<<<, ======= and >>>>>>>."
                )
            }
        )
    # One line ending everywhere, so that merges and diffs compare text, not line endings.
    return body.replace("\r\n", "\n").strip() + "\n"


def _section_text(title: str, body: str) -> tuple[str, str]:
    return _section_title(title), _section_body(body)


def _lock(document: Document) -> Document:
    return Document.objects.select_for_update().get(pk=document.pk)


def _write_revision(
    *,
    document: Document,
    section: Section,
    title: str,
    body: str,
    kind: str,
    author: User | None,
    credit: str,
    editor: User | None,
    proposal: Proposal | None = None,
    note: str = "",
    reverted_to: int | None = None,
) -> SectionRevision:
    """The section takes the new text as its next revision and the document its
    next version. `document` must be locked."""
    now = timezone.now()
    document.version += 1
    document.updated_at = now
    document.save(update_fields=["version", "updated_at"])
    if section.pk is None:
        section.number = 1
        section.title, section.body, section.updated_at = title, body, now
        section.save()
    else:
        section.number += 1
        section.title, section.body, section.updated_at = title, body, now
        section.save(update_fields=["number", "title", "body", "updated_at"])
    return SectionRevision.objects.create(
        document=document,
        section=section,
        number=section.number,
        document_version=document.version,
        title=title,
        body=body,
        kind=kind,
        note=note,
        author=author,
        credit=credit,
        editor=editor,
        proposal=proposal,
        reverted_to=reverted_to,
        created_at=now,
    )


@transaction.atomic
def document_create(
    *,
    author: User,
    title: str,
    summary: str = "",
    tlp: str = TLP.CLEAR,
    slug: str = "",
    people: Sequence[User] = (),
    organisations: Sequence[Organisation] = (),
    sections: Sequence[tuple[str, str]] = (),
) -> Document:
    """Start a working document with its first sections. Coordinators only."""
    if not author.is_coordinator:
        raise PermissionDenied(_("Only coordinators start working documents."))
    title = _limited(
        title, field="title", limit=TITLE_MAX, required=_("Give the document a title.")
    )
    if any(not character.isprintable() for character in title):
        raise ValidationError({"title": _("A title is one line, without line breaks or tabs.")})
    summary = _limited(summary, field="summary", limit=2_000)
    validate_recipients(tlp, people=len(people), organisations=len(organisations))
    access.check_named_people(people)
    slug = slugify(slug or title)[:80] or "document"
    if slug in RESERVED_SLUGS:
        raise ValidationError({"slug": _("This web address is taken by a page; choose another.")})
    if Document.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("Another document already has this web address.")})
    document = Document.objects.create(
        title=title, summary=summary, tlp=tlp, slug=slug, created_by=author
    )
    document.recipient_people.set(people)
    document.recipient_orgs.set(organisations)
    for position, (section_title, body) in enumerate(sections, start=1):
        section_title, body = _section_text(section_title, body)
        _write_revision(
            document=document,
            section=Section(document=document, position=position),
            title=section_title,
            body=body,
            kind=RevisionKind.CREATED,
            author=author,
            credit=author.credit,
            editor=author,
        )
    audit.record(
        actor=author,
        action="document.create",
        obj=document,
        summary=f"{document.get_tlp_display()} {document.title}",
        data={"sections": len(sections)},
    )
    return document


@transaction.atomic
def document_set_editors(
    *, document: Document, coordinator: User, editors: Sequence[User]
) -> Document:
    """Appoint the members who moderate this document's proposals."""
    if not coordinator.is_coordinator:
        raise PermissionDenied(_("Only coordinators appoint editors."))
    unable = sorted(
        person.display_name for person in editors if not access.rule_allows(person, document)
    )
    if unable:
        raise ValidationError(
            {
                "editors": _("These people may not read this document: %(list)s")
                % {"list": ", ".join(unable)}
            }
        )
    document.editors.set(editors)
    audit.record(
        actor=coordinator,
        action="document.editors",
        obj=document,
        summary=f"{document.title}: {len(editors)} editor(s)",
        data={"editors": [person.pk for person in editors]},
    )
    return document


def editors_of(document: Document) -> list[User]:
    """Who moderates it: appointed editors the label still lets read it, and
    coordinators; never anyone outside the label's audience."""
    return list(
        access.audience(document).filter(
            Q(is_coordinator=True) | Q(pk__in=document.editors.values("pk"))
        )
    )


def _contributor_or_visitor(
    contributor: User | None, email: str, name: str
) -> tuple[User | AnonymousUser, str, str]:
    if contributor is not None and contributor.is_authenticated:
        return contributor, "", ""
    email = email.strip().lower()
    if not email:
        raise ValidationError({"email": _("Give your e-mail address, so that we can confirm it.")})
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    return AnonymousUser(), email, _limited(name, field="name", limit=200)


@transaction.atomic
def proposal_submit(
    *,
    document: Document,
    title: str,
    body: str,
    contributor: User | None = None,
    section: Section | None = None,
    base_number: int | None = None,
    reason: str = "",
    anonymous: bool = False,
    email: str = "",
    name: str = "",
) -> Proposal:
    """Propose a change to `section`, or a new section when it is empty.

    Anyone who may read the document proposes. A visitor without an account
    gives an e-mail address; the proposal waits until they confirm it.
    `base_number` is the revision they started from.
    """
    person, email, name = _contributor_or_visitor(contributor, email, name)
    if not access.can_view(person, document):
        raise PermissionDenied(_("You may not read this document."))
    title, body = _section_text(title, body)
    reason = _limited(reason, field="reason", limit=REASON_MAX)
    base = None
    if section is not None:
        if section.document_id != document.pk:
            raise ValidationError(_("This section belongs to another document."))
        base = section.revisions.filter(number=base_number or section.number).first()
        if base is None:
            raise ValidationError(_("That version of the section does not exist."))
        if (title, body) == (base.title, base.body):
            raise ValidationError(
                _("Your text is the same as the current text: change something first.")
            )
    if not body.strip():
        raise ValidationError({"body": _("Write the text of the new section.")})
    visitor = not person.is_authenticated
    proposal = Proposal.objects.create(
        document=document,
        section=section,
        base_revision=base,
        title=title,
        body=body,
        reason=reason,
        contributor=None if visitor else contributor,
        email=email,
        name=name,
        language=translation.get_language() or settings.LANGUAGE_CODE if visitor else "",
        anonymous=anonymous,
        status=ProposalStatus.UNCONFIRMED if visitor else ProposalStatus.PENDING,
        confirmed_at=None if visitor else timezone.now(),
    )
    audit.record(
        actor=None if visitor else person,  # type: ignore[arg-type]
        action="proposal.submit",
        obj=proposal,
        summary=f"{document.title}: {proposal.title}",
        data={"visitor": visitor, "section": section.pk if section else None},
    )
    if visitor:
        _send_confirmation(proposal)
    else:
        _tell_editors(proposal)
    return proposal


def confirmation_token(proposal: Proposal) -> str:
    return signing.dumps({"proposal": proposal.pk, "email": proposal.email}, salt=CONFIRM_SALT)


def _send_confirmation(proposal: Proposal) -> None:
    link = settings.SITE_URL + reverse(
        "document_proposal_confirm", args=[confirmation_token(proposal)]
    )
    deliver_email.enqueue(
        to=[proposal.email],
        subject="[TTC] "
        + _("Confirm your proposal to %(document)s") % {"document": proposal.document.title},
        body="\n\n".join(
            [
                # Not the proposal's title: anyone may type someone else's address,
                # and our e-mail must not carry their text to it.
                _(
                    "Thank you for your proposal. Confirm your e-mail address within two "
                    "days, and an editor will look at it:"
                ),
                link,
                _("Did you not write this? Then ignore this message; nothing is published."),
            ]
        ),
    )


@transaction.atomic
def proposal_confirm(*, token: str) -> Proposal:
    """The visitor's link: their address is theirs, so the editors see it now.
    Following the link again changes nothing."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError(
            _("This link has expired. Send your proposal again; it takes a minute."), code="expired"
        ) from None
    except signing.BadSignature:
        raise ValidationError(_("This link is not valid."), code="invalid") from None
    proposal = (
        Proposal.objects.select_for_update()
        .filter(pk=data.get("proposal"), email=data.get("email"))
        .first()
    )
    if proposal is None:
        raise ValidationError(_("This link is not valid."), code="invalid")
    if proposal.status != ProposalStatus.UNCONFIRMED:
        return proposal
    proposal.status = ProposalStatus.PENDING
    proposal.confirmed_at = timezone.now()
    proposal.save(update_fields=["status", "confirmed_at"])
    audit.record(
        actor=None,
        action="proposal.confirm",
        obj=proposal,
        summary=f"{proposal.document.title}: {proposal.title}",
    )
    _tell_editors(proposal)
    return proposal


def _tell_editors(proposal: Proposal) -> None:
    document = proposal.document
    notify(
        recipients=[
            person for person in editors_of(document) if person.pk != proposal.contributor_id
        ],
        title=f"{document.title}: {proposal.title}",
        url=reverse("document_proposal", args=[proposal.pk]),
        tlp=document.tlp,
        email_subject=lambda: _("New proposal for %(document)s") % {"document": document.title},
        email_body=lambda: (
            _("Someone proposed a change to “%(title)s”. Review it:") % {"title": proposal.title}
        ),
        target=document,
    )


def _may_moderate(document: Document, editor: User) -> None:
    if not document.is_editor(editor):
        raise PermissionDenied(_("Only this document's editors may do this."))


def _open_proposal(proposal: Proposal) -> Proposal:
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != ProposalStatus.PENDING:
        raise ValidationError(
            _("This proposal was already decided, or its e-mail address is not confirmed yet."),
            code="not_pending",
        )
    return proposal


def _merged_title(base: str, ours: str, theirs: str) -> str | None:
    """The title both changes agree on, or None when both changed it differently."""
    if theirs in (base, ours):
        return ours
    if ours == base:
        return theirs
    return None


@dataclass(frozen=True)
class Preview:
    """What accepting a proposal now would write: the merged text, or the conflict."""

    head: SectionRevision | None
    title: str
    result: textmerge.MergeResult
    #: The revision the merged change was written against.
    base_number: int = 0

    @property
    def clean(self) -> bool:
        return self.result.clean and bool(self.title)

    @property
    def body(self) -> str:
        return self.result.text if self.result.clean else ""

    @property
    def moved_on(self) -> bool:
        """Whether the section changed since the contributor started."""
        return self.head is not None and self.head.number != self.base_number

    def text_to_resolve(self) -> str:
        return self.result.marked(_("current text"), _("proposal"))


def proposal_preview(
    proposal: Proposal,
    *,
    body: str | None = None,
    title: str | None = None,
    based_on: int | None = None,
) -> Preview:
    """The text an accept would write: the proposal merged with what was
    accepted since. An editor's edited title or body was written against
    revision `based_on`; what the editor left alone is still the proposal's,
    written against the proposal's own base."""
    theirs_body = proposal.body if body is None else body
    theirs_title = proposal.title if title is None else title
    if proposal.section is None:
        return Preview(None, theirs_title, textmerge.MergeResult((theirs_body,)))
    section = proposal.section
    head = section.revisions.get(number=section.number)
    proposal_base = proposal.base_revision or head
    edit_base = proposal_base
    if based_on is not None:
        found = section.revisions.filter(number=based_on).first()
        if found is None:
            raise ValidationError(_("That version of the section does not exist."))
        edit_base = found
    body_base = edit_base if body is not None else proposal_base
    title_base = edit_base if title is not None else proposal_base
    return Preview(
        head,
        _merged_title(title_base.title, head.title, theirs_title) or "",
        textmerge.merge(body_base.body, head.body, theirs_body),
        base_number=body_base.number,
    )


@transaction.atomic
def proposal_accept(
    *,
    proposal: Proposal,
    editor: User,
    title: str | None = None,
    body: str | None = None,
    based_on: int | None = None,
    note: str = "",
) -> SectionRevision:
    """Accept a proposal, as written or with the editor's edits.

    An editor's edit is written against revision `based_on` (the latest one
    when they opened the proposal). Whatever was accepted since is merged in;
    if it collides, `MergeConflict` carries both versions and nothing changes.
    """
    document = _lock(proposal.document)
    _may_moderate(document, editor)
    proposal = _open_proposal(proposal)
    note = _limited(note, field="note", limit=REASON_MAX)
    edited = body is not None or title is not None
    if title is not None:
        title = _section_title(title)
    if body is not None:
        body = _section_body(body)
    kind = RevisionKind.EDITED if edited else RevisionKind.PROPOSAL
    if proposal.section is None:
        section = Section(
            document=document,
            position=(document.sections.aggregate(last=Max("position"))["last"] or 0) + 1,
        )
        new_title, new_body = title or proposal.title, body or proposal.body
    else:
        section = Section.objects.select_for_update().get(pk=proposal.section.pk)
        preview = proposal_preview(proposal, body=body, title=title, based_on=based_on)
        assert preview.head is not None  # an existing section always has a head
        if not preview.clean:
            raise MergeConflict(
                proposal=proposal, head=preview.head, result=preview.result, title=preview.title
            )
        new_title, new_body = preview.title, preview.body
        if preview.moved_on:
            kind = RevisionKind.MERGED
    if len(new_body) > SECTION_BODY_MAX:
        raise ValidationError(_("Together the changes make the section too long; shorten it."))
    revision = _write_revision(
        document=document,
        section=section,
        title=new_title,
        body=new_body,
        kind=kind,
        author=proposal.contributor,
        credit=proposal.credit,
        editor=editor,
        proposal=proposal,
        note=note,
    )
    proposal.status = ProposalStatus.ACCEPTED
    proposal.section = section
    proposal.decided_by, proposal.decided_at = editor, timezone.now()
    proposal.decision_note = note
    proposal.save(update_fields=["status", "section", "decided_by", "decided_at", "decision_note"])
    audit.record(
        actor=editor,
        action="proposal.accept",
        obj=proposal,
        summary=f"{document.title}: {proposal.title} → #{revision.number}",
        data={"kind": kind, "revision": revision.pk, "version": document.version},
    )
    _tell_contributor(proposal, accepted=True)
    return revision


@transaction.atomic
def proposal_decline(*, proposal: Proposal, editor: User, reason: str) -> Proposal:
    """Decline with a reason, which the contributor reads."""
    _may_moderate(proposal.document, editor)
    reason = _limited(
        reason, field="reason", limit=REASON_MAX, required=_("Tell the contributor why.")
    )
    proposal = _open_proposal(proposal)
    proposal.status = ProposalStatus.DECLINED
    proposal.decided_by, proposal.decided_at = editor, timezone.now()
    proposal.decision_note = reason
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record(
        actor=editor,
        action="proposal.decline",
        obj=proposal,
        summary=f"{proposal.document.title}: {proposal.title}",
    )
    _tell_contributor(proposal, accepted=False)
    return proposal


ACCEPTED_SUBJECT = gettext_lazy("Your proposal was accepted: %(title)s")
ACCEPTED_MESSAGE = gettext_lazy("Thank you: your proposal is now part of “%(document)s”.")
DECLINED_SUBJECT = gettext_lazy("Your proposal was not accepted: %(title)s")
DECLINED_MESSAGE = gettext_lazy(
    "An editor of “%(document)s” did not accept your proposal. The reason:"
)


def _tell_contributor(proposal: Proposal, *, accepted: bool) -> None:
    """The decision, in the contributor's own language (not the editor's)."""
    document = proposal.document
    subject, message = (
        (ACCEPTED_SUBJECT, ACCEPTED_MESSAGE) if accepted else (DECLINED_SUBJECT, DECLINED_MESSAGE)
    )

    def body(*links: str) -> str:
        parts = [message % {"document": document.title}, proposal.decision_note, *links]
        return "\n\n".join(part for part in parts if part)

    contributor = proposal.contributor
    if contributor is not None:
        if not access.rule_allows(contributor, document):
            return
        with translation.override(contributor.preferred_language):
            title = str(subject % {"title": proposal.title})
        notify_people(
            recipients=[contributor],
            title=title,
            url=proposal.get_absolute_url(),
            email_subject=lambda: subject % {"title": proposal.title},
            email_body=body,
        )
    elif proposal.email and document.is_public:
        with translation.override(proposal.language or settings.LANGUAGE_CODE):
            deliver_email.enqueue(
                to=[proposal.email],
                subject="[TTC] " + subject % {"title": proposal.title},
                body=body(settings.SITE_URL + document.get_absolute_url()),
            )


@transaction.atomic
def section_revert(
    *, section: Section, number: int, editor: User, note: str = ""
) -> SectionRevision:
    """Bring back the text of revision `number`, as a new revision: history keeps all."""
    document = _lock(section.document)
    _may_moderate(document, editor)
    section = Section.objects.select_for_update().get(pk=section.pk)
    old = section.revisions.filter(number=number).first()
    if old is None:
        raise ValidationError(_("That version of the section does not exist."))
    if (old.title, old.body) == (section.title, section.body):
        raise ValidationError(_("The section already reads like that version."))
    revision = _write_revision(
        document=document,
        section=section,
        title=old.title,
        body=old.body,
        kind=RevisionKind.REVERTED,
        author=editor,
        credit=editor.credit,
        editor=editor,
        note=_limited(note, field="note", limit=REASON_MAX),
        reverted_to=number,
    )
    audit.record(
        actor=editor,
        action="section.revert",
        obj=section,
        summary=f"{document.title}: {section.title} → #{number}",
        data={"revision": revision.pk},
    )
    return revision


@transaction.atomic
def comment_add(*, section: Section, author: User, body: str) -> Comment:
    """Discussion on a section, by signed-in people who may read the document."""
    if not author.is_authenticated or not access.can_view(author, section.document):
        raise PermissionDenied(_("Sign in to take part in the discussion."))
    body = _limited(body, field="body", limit=COMMENT_MAX, required=_("Write your comment."))
    comment = Comment.objects.create(section=section, author=author, body=body)
    audit.record(
        actor=author,
        action="comment.add",
        obj=comment,
        summary=f"{section.document.title}: {section.title}",
    )
    return comment


@transaction.atomic
def comment_remove(*, comment: Comment, editor: User) -> Comment:
    """Editors remove comments that break the Code of Conduct; the thread shows where."""
    _may_moderate(comment.section.document, editor)
    comment = Comment.objects.select_for_update().get(pk=comment.pk)
    if comment.removed_at is None:
        comment.removed_at, comment.removed_by = timezone.now(), editor
        comment.save(update_fields=["removed_at", "removed_by"])
        audit.record(
            actor=editor,
            action="comment.remove",
            obj=comment,
            summary=f"{comment.section.document.title}: {comment.section.title}",
        )
    return comment
