"""Pages of the knowledge base: reading, writing, review, history and comparing."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ttc.core import access
from ttc.core.decorators import coordinator_required
from ttc.core.forms import add_service_errors
from ttc.core.http import AuthenticatedHttpRequest, HtmxHttpRequest
from ttc.core.pagination import paginate
from ttc.core.tlp import most_restrictive
from ttc.knowledge import services
from ttc.knowledge.forms import ArticleEditForm, ArticleForm, ReasonForm
from ttc.knowledge.models import Article, ArticleKind, ArticleRevision, ArticleStatus, Tag
from ttc.knowledge.services import VERSIONED
from ttc.lib import textdiff
from ttc.lib.markdown import render as render_markdown

#: How many of their organisation's unpublished articles the list shows a writer.
UNPUBLISHED_SHOWN = 20


def _part_label(name: str) -> str:
    return {"title": _("Title"), "summary": _("Summary"), "body": _("Text")}[name]


def _get_article_for_user(request: HtmxHttpRequest, pk: int) -> Article:
    article = (
        Article.objects.readable_by(request.user)
        .select_related("organisation", "created_by", "flagged_commercial_by")
        .filter(pk=pk)
        .first()
    )
    if article is None:
        # Not 403: whether a confidential or unpublished article exists is itself confidential.
        raise Http404
    return article


def _require_editor(request: AuthenticatedHttpRequest, article: Article) -> None:
    if not article.may_edit(request.user):
        raise PermissionDenied(_("Only the author's organisation and coordinators change it."))


def _get_editable_article(request: AuthenticatedHttpRequest, pk: int) -> Article:
    article = _get_article_for_user(request, pk)
    _require_editor(request, article)
    return article


def _get_revision(article: Article, number: Any, user: Any) -> ArticleRevision:
    """One revision the person may read: each keeps the label it was written
    under. One they may not read answers 404, like one that does not exist."""
    if not str(number).isdigit():
        raise Http404
    revision = services.revisions_for(article, user).filter(number=int(number)).first()
    if revision is None:
        raise Http404(_("There is no revision %(number)s that you may read.") % {"number": number})
    return revision


def _act(request: AuthenticatedHttpRequest, action: Any, success: str) -> bool:
    """Run a service; say what happened in a message either way."""
    try:
        action()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return False
    messages.success(request, success)
    return True


# --- reading --------------------------------------------------------------------------


def article_list(request: HtmxHttpRequest) -> HttpResponse:
    user = request.user
    tag_slug = request.GET.get("tag", "")[:60]
    kind = request.GET.get("kind", "")
    readable = Article.objects.readable_by(user).published()
    articles = readable.select_related("organisation").prefetch_related("tags")
    # Only a tag of an article this person may read has a name for them: the
    # slug of a tag on confidential articles alone behaves like an unknown one.
    tag = (
        Tag.objects.filter(
            slug=tag_slug, articles__in=Article.objects.readable_by(user).values("pk")
        ).first()
        if tag_slug
        else None
    )
    if tag is not None:
        articles = articles.filter(tags=tag)
    elif tag_slug:
        articles = articles.none()
    if kind in ArticleKind.values:
        articles = articles.filter(kind=kind)
    else:
        kind = ""
    page = paginate(request, articles)
    # Titles and summaries are content too: reading confidential ones in a list is a view.
    access.record_views(user, page.object_list, surface="list")
    filters = {key: value for key, value in (("tag", tag_slug), ("kind", kind)) if value}
    context: dict[str, Any] = {
        "page": page,
        "tag": tag,
        "tag_slug": tag_slug,
        "kind": kind,
        "kinds": ArticleKind.choices,
        "extra_query": urlencode(filters),
    }
    if request.htmx:
        return render(request, "knowledge/list.html#results", context)
    unpublished = list(services.unpublished_for(user)[:UNPUBLISHED_SHOWN])
    access.record_views(user, unpublished, surface="list")
    context.update(
        tags=Tag.objects.filter(articles__in=readable.values("pk")).distinct(),
        unpublished=unpublished,
        may_write=services.may_write(user),
    )
    return render(request, "knowledge/list.html", context)


def article_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    article = _get_article_for_user(request, pk)
    access.record_views(request.user, [article], surface="page")
    user = request.user
    related = services.related_articles(article, user)
    access.record_views(user, related, surface="related")
    coordinator = user.is_authenticated and user.is_coordinator
    editor = article.may_edit(user)
    status = article.status
    can = {
        "edit": editor,
        "history": editor,
        "submit": editor and status == ArticleStatus.DRAFT,
        "publish": coordinator
        and (
            status == ArticleStatus.IN_REVIEW
            or (status == ArticleStatus.DRAFT and article.created_by_id == user.pk)
            or (status == ArticleStatus.PUBLISHED and article.is_flagged_commercial)
        ),
        "return": coordinator and status == ArticleStatus.IN_REVIEW,
        "flag": coordinator and not article.is_flagged_commercial and status != ArticleStatus.DRAFT,
    }
    context = {
        "article": article,
        "tags": article.tags.all(),
        "related": related,
        "can": can,
        "people": article.recipient_people.all(),
        "organisations": article.recipient_orgs.all(),
        "returned": services.return_reason(article) if editor else None,
    }
    return render(request, "knowledge/detail.html", context)


# --- writing --------------------------------------------------------------------------


@login_required
def article_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not services.may_write(request.user):
        raise PermissionDenied(_("Only people of an approved organisation write articles."))
    organisations = services.writing_organisations(request.user)
    form = ArticleForm(
        request.POST or None,
        user=request.user,
        initial={"organisation": organisations.first()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            article = services.article_create(
                author=request.user,
                organisation=form.cleaned_data["organisation"],
                content=form.content(),
                sharing=form.sharing(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved as a draft. Send it for review when it is ready."))
            return redirect(article)
    return render(request, "knowledge/form.html", {"form": form, "article": None})


def _changes_meanwhile(article: Article, since: int, user: Any) -> list[dict[str, Any]]:
    """What others changed since the revision this person edited, word by word
    (the number comes from the form: only a revision they may read counts)."""
    base = services.revisions_for(article, user).filter(number=since).first()
    if base is None:
        return []
    access.record_views(user, [base], surface="edit")
    return [
        {
            "label": _part_label(name),
            "pieces": textdiff.inline(getattr(base, name), getattr(article, name)),
        }
        for name in VERSIONED
        if getattr(base, name) != getattr(article, name)
    ]


@login_required
def article_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    article = _get_editable_article(request, pk)
    form = ArticleEditForm(
        request.POST or None,
        user=request.user,
        article=article,
        initial=ArticleEditForm.initial_for(article),
    )
    changes: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.article_update(
                article=article,
                actor=request.user,
                content=form.content(),
                base_number=form.cleaned_data["base_number"],
                note=form.cleaned_data["note"],
                sharing=form.sharing_if_shown(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            if getattr(error, "code", None) == "conflict":
                # Keep every word the person wrote; show what changed meanwhile, and
                # let the next save build on the newest revision.
                article.refresh_from_db()
                changes = _changes_meanwhile(
                    article, form.cleaned_data["base_number"], request.user
                )
                data = request.POST.copy()
                data["base_number"] = str(article.number)
                form.data = data
        else:
            messages.success(request, _("Saved as a new revision."))
            return redirect(article)
    # The form holds the whole text: reading it there is a view like any other.
    access.record_views(request.user, [article], surface="edit")
    return render(
        request, "knowledge/form.html", {"form": form, "article": article, "changes": changes}
    )


@login_required
@require_POST
def article_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    article = _get_editable_article(request, pk)
    _act(
        request,
        lambda: services.article_submit(article=article, actor=request.user),
        _("Sent for review. A coordinator reads it soon."),
    )
    return redirect(article)


@login_required
def article_revert(request: AuthenticatedHttpRequest, pk: int, number: int) -> HttpResponse:
    article = _get_article_for_user(request, pk)
    # A revision the person may not read is not there for them (404), editor or not.
    revision = _get_revision(article, number, request.user)
    _require_editor(request, article)
    if request.method == "POST":
        base = request.POST.get("base_number", "")
        done = _act(
            request,
            lambda: services.article_revert(
                article=article,
                actor=request.user,
                number=revision.number,
                base_number=int(base) if base.isdigit() else -1,
            ),
            _("The text of revision %(number)s is back, as a new revision.")
            % {"number": revision.number},
        )
        if done:
            return redirect(article)
        article.refresh_from_db()
    access.record_views(request.user, [article], surface="revert")
    access.record_views(request.user, [revision], surface="revert")
    return render(
        request,
        "knowledge/revert.html",
        {
            "article": article,
            "revision": revision,
            "diff": _diff(article, revision, "inline"),
            "shared_alike": services.shared_alike(revision, article),
            "tlp": most_restrictive(article.tlp, revision.tlp),
        },
    )


# --- history --------------------------------------------------------------------------


def _visible_numbers(article: Article, user: Any) -> list[int]:
    """The numbers of the revisions this person may read, newest first."""
    return list(services.revisions_for(article, user).values_list("number", flat=True))


def _earlier(numbers: list[int], number: int) -> int | None:
    """The newest of `numbers` (newest first) before `number`."""
    return next((other for other in numbers if other < number), None)


@login_required
def article_history(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    article = _get_editable_article(request, pk)
    access.record_views(request.user, [article], surface="history")
    numbers = _visible_numbers(article, request.user)
    page = paginate(request, services.revisions_for(article, request.user))
    # The notes say what changed: under a confidential label they are content too.
    access.record_views(request.user, page.object_list, surface="history")
    rows = [
        {"revision": revision, "earlier": _earlier(numbers, revision.number)}
        for revision in page.object_list
    ]
    return render(
        request,
        "knowledge/history.html",
        {
            "article": article,
            "page": page,
            "rows": rows,
            "numbers": numbers,
            "compare_to": numbers[0] if numbers else None,
            "compare_from": _earlier(numbers, numbers[0]) if numbers else None,
        },
    )


@login_required
def article_revision(request: AuthenticatedHttpRequest, pk: int, number: int) -> HttpResponse:
    article = _get_article_for_user(request, pk)
    # A revision the person may not read is not there for them (404), editor or not.
    revision = _get_revision(article, number, request.user)
    _require_editor(request, article)
    access.record_views(request.user, [revision], surface="revision")
    return render(
        request,
        "knowledge/revision.html",
        {
            "article": article,
            "revision": revision,
            "summary_html": render_markdown(revision.summary),
            "body_html": render_markdown(revision.body),
            "may_revert": revision.number != article.number
            and services.shared_alike(revision, article),
        },
    )


def _diff(old: Any, new: Any, mode: str) -> list[dict[str, Any]]:
    """Title, summary and text of two versions compared, in the chosen view."""
    parts = []
    for name in VERSIONED:
        before, after = getattr(old, name), getattr(new, name)
        parts.append(
            {
                "label": _part_label(name),
                "changed": before != after,
                "inline": textdiff.inline(before, after) if mode == "inline" else [],
                "rows": textdiff.side_by_side(before, after) if mode == "side" else [],
            }
        )
    return parts


@login_required
def article_compare(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Two revisions the person may read; asking for one they may not read
    answers 404, editor or not. Left out, they are the newest one and the one
    before it."""
    article = _get_article_for_user(request, pk)
    user = request.user
    numbers = _visible_numbers(article, user)
    if not numbers:
        raise Http404
    new = _get_revision(article, request.GET.get("to", numbers[0]), user)
    older = _earlier(numbers, new.number) or new.number
    old = _get_revision(article, request.GET.get("from", older), user)
    _require_editor(request, article)
    mode = "inline" if request.GET.get("mode") == "inline" else "side"
    access.record_views(user, [old, new] if old.pk != new.pk else [new], surface="compare")
    return render(
        request,
        "knowledge/compare.html",
        {
            "article": article,
            "old": old,
            "new": new,
            # What the page shows is both texts: the narrower label of the two.
            "tlp": most_restrictive(old.tlp, new.tlp),
            "mode": mode,
            "parts": _diff(old, new, mode),
            "numbers": numbers,
            "side_query": urlencode({"from": old.number, "to": new.number, "mode": "side"}),
            "inline_query": urlencode({"from": old.number, "to": new.number, "mode": "inline"}),
        },
    )


# --- review ---------------------------------------------------------------------------


@coordinator_required
def review_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    queue = list(services.review_queue())
    access.record_views(request.user, queue, surface="review")
    return render(
        request,
        "knowledge/review.html",
        {
            "in_review": [a for a in queue if a.status == ArticleStatus.IN_REVIEW],
            "flagged": [
                a for a in queue if a.is_flagged_commercial and a.status != ArticleStatus.IN_REVIEW
            ],
        },
    )


@coordinator_required
@require_POST
def article_publish(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    article = _get_article_for_user(request, pk)
    _act(
        request,
        lambda: services.article_publish(article=article, actor=request.user),
        _("The article is published."),
    )
    return redirect(article)


def _reason_page(
    request: AuthenticatedHttpRequest,
    pk: int,
    *,
    run: Any,
    form: ReasonForm,
    success: str,
    heading: str,
    explanation: str,
    button: str,
    then: Any,
) -> HttpResponse:
    article = _get_article_for_user(request, pk)
    if request.method == "POST" and form.is_valid():
        try:
            run(article, form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, success)
            return redirect(then(article))
    access.record_views(request.user, [article], surface="review")
    return render(
        request,
        "knowledge/reason.html",
        {
            "article": article,
            "form": form,
            "heading": heading,
            "explanation": explanation,
            "button": button,
            "action": request.path,
        },
    )


@coordinator_required
def article_return(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _reason_page(
        request,
        pk,
        run=lambda article, reason: services.article_return(
            article=article, actor=request.user, reason=reason
        ),
        form=ReasonForm(
            request.POST or None,
            label=_("Why does it go back?"),
            required_message=_("Tell the author why."),
        ),
        success=_("The article is back to draft and the author is told why."),
        heading=_("Send back to the author"),
        explanation=_("The article becomes a draft again. The author reads your reason."),
        button=_("Send back"),
        # A draft is for its author's side: the coordinator returns to the queue.
        then=lambda article: "article_review_queue",
    )


@coordinator_required
def article_flag(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _reason_page(
        request,
        pk,
        run=lambda article, reason: services.article_flag_commercial(
            article=article, actor=request.user, reason=reason
        ),
        form=ReasonForm(
            request.POST or None,
            label=_("What in it is advertising?"),
            required_message=_("Say what in the article is advertising."),
        ),
        success=_("The article is hidden. The author and their organisation's admins are told."),
        heading=_("Flag as advertising"),
        explanation=_(
            "The Code of Conduct does not allow advertising. Readers no longer see the "
            "article; the author's organisation can revise it, and then it comes back "
            "for review."
        ),
        button=_("Hide as advertising"),
        then=lambda article: article,
    )
