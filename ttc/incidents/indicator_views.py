"""Pages for indicators: paste and review, import, export, lookup, the feed.

Every read goes through `ttc.core.access` (an indicator has its own label), and
every change through the services in `ttc.incidents.indicators`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast
from uuid import UUID, uuid4

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ttc.core import access
from ttc.core.http import AuthenticatedHttpRequest, HtmxHttpRequest
from ttc.core.pagination import paginate
from ttc.core.tlp import TLP
from ttc.incidents import indicators, services
from ttc.incidents.indicator_forms import (
    REJECTED_CARRIED,
    ImportForm,
    PasteForm,
    RelabelForm,
    ReviewExtrasForm,
    review_capacity,
    review_formset,
)
from ttc.incidents.lookups import incident_for, worked_incident
from ttc.incidents.models import Incident, Indicator, IndicatorKind
from ttc.lib import indicators as ioc

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from ttc.accounts.models import User

#: The incident page lists at most this many indicators; the CSV export has them all.
SECTION_LIMIT = 500
EXPORT_FORMATS = ("stix", "misp", "csv")
FEED_FORMATS = ("stix", "csv")
LOOKUP_MAX_LENGTH = 2_048


def _may_work_on(user: User | AnonymousUser, incident: Incident) -> bool:
    return user.is_authenticated and services.may_work_on(cast("User", user), incident)


def _indicator_for(request: HtmxHttpRequest, uuid: UUID) -> Indicator:
    indicator = get_object_or_404(Indicator.objects.select_related("incident"), uuid=uuid)
    if not access.can_view(request.user, indicator):
        raise Http404
    return indicator


def _incident_indicators_url(incident: Incident) -> str:
    return incident.get_absolute_url() + "#indicators"


def _saved_message(saved: indicators.Saved) -> str:
    new = ngettext("%(count)s new indicator", "%(count)s new indicators", saved.created) % {
        "count": saved.created
    }
    again = ngettext("%(count)s seen again", "%(count)s seen again", saved.seen_again) % {
        "count": saved.seen_again
    }
    return _("%(new)s, %(again)s.") % {"new": new, "again": again}


# -- the section on the incident page ---------------------------------------------------------


@dataclass(frozen=True)
class SectionRow:
    indicator: Indicator
    #: In how many other incidents the viewer may see, the viewer may see it too.
    elsewhere: int


def detail_context(request: HtmxHttpRequest, incident: Incident) -> dict[str, Any]:
    """What `incidents/indicators/_section.html` shows on the incident page."""
    user = request.user
    visible = indicators.visible_indicators(incident, user)  # type: ignore[arg-type]
    shown = list(visible.order_by("kind", "value", "pk")[: SECTION_LIMIT + 1])
    capped = len(shown) > SECTION_LIMIT
    shown = shown[:SECTION_LIMIT]
    total = visible.count() if capped else len(shown)
    counts = indicators.correlation_counts(incident, user) if shown else {}  # type: ignore[arg-type]
    access.record_views(user, shown, surface="incident")
    reference = incident.reference
    return {
        "indicator_rows": [SectionRow(row, counts.get(row.key, 0)) for row in shown],
        "indicators_total": total,
        "indicators_capped": capped,
        "indicators_limit": SECTION_LIMIT,
        "indicators_may_work": _may_work_on(user, incident),
        "indicators_may_export": user.is_authenticated,
        "indicator_links": {
            "paste": reverse("indicators_paste", args=[reference]),
            "import": reverse("indicators_import", args=[reference]),
            **{fmt: reverse("incident_export", args=[reference, fmt]) for fmt in EXPORT_FORMATS},
        },
    }


# -- paste, review, save ----------------------------------------------------------------------


def _review_context(
    incident: Incident,
    formset: Any,
    extras: ReviewExtrasForm,
    *,
    more: list[tuple[str, str]],
    found_total: int,
    rejected: list[dict[str, str]],
    rejected_total: int,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "incident": incident,
        "formset": formset,
        "extras": extras,
        "found_total": found_total,
        "more": more,
        "rejected": rejected,
        "rejected_total": rejected_total,
        "rejected_hidden": max(0, rejected_total - len(rejected)),
        "errors": errors or [],
        "incident_tlp": TLP(incident.tlp),
    }


def _review_page(
    request: AuthenticatedHttpRequest, incident: Incident, extraction: ioc.Extraction
) -> HttpResponse:
    capacity = review_capacity()
    found = extraction.found
    rows = found[:capacity]
    more = [(str(item.kind), item.value) for item in found[capacity:]]
    rejected = [
        {
            "kind": str(IndicatorKind(item.kind).label) if item.kind else "",
            "raw": item.raw,
            "reason": item.reason,
        }
        for item in extraction.rejected
    ]
    carried = rejected[:REJECTED_CARRIED]
    formset = review_formset(
        initial=[
            {
                "selected": True,
                "kind": str(item.kind),
                "value": item.value,
                "tlp": incident.tlp,
                "comment": "",
            }
            for item in rows
        ]
    )
    extras = ReviewExtrasForm(
        initial={
            "more": json.dumps(more),
            "rejected": json.dumps([[r["kind"], r["raw"], r["reason"]] for r in carried]),
            "rejected_total": len(rejected),
            "submission_key": uuid4(),
        }
    )
    context = _review_context(
        incident,
        formset,
        extras,
        more=more,
        found_total=len(found),
        rejected=carried,
        rejected_total=len(rejected),
    )
    return render(request, "incidents/indicators/review.html", context)


@login_required
def indicators_paste(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    incident = worked_incident(request, reference)
    form = PasteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        extraction = ioc.extract(form.cleaned_data["text"], limit=indicators.MAX_PER_SAVE)
        if extraction.found or extraction.rejected:
            return _review_page(request, incident, extraction)
        form.add_error("text", _("No indicators were found in this text."))
    return render(request, "incidents/indicators/paste.html", {"incident": incident, "form": form})


#: How long a review page's key is remembered: a double click comes within seconds.
SAVED_KEY_SECONDS = 24 * 60 * 60


@login_required
@require_POST
def indicators_save(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    incident = worked_incident(request, reference)
    formset = review_formset(request.POST)
    extras = ReviewExtrasForm(request.POST)
    errors: list[str] = []
    if formset.is_valid() and extras.is_valid():
        items = formset.selected_items() + extras.more_items(incident.tlp)
        key = extras.cleaned_data["submission_key"]
        if key and not cache.add(f"incident-indicators-saved:{key}", True, SAVED_KEY_SECONDS):
            messages.info(request, _("These indicators were saved already."))
            return redirect(_incident_indicators_url(incident))
        try:
            saved = indicators.indicators_save(
                incident=incident,
                actor=request.user,
                items=items,
                source=Indicator.Source.PASTE,
            )
        except ValidationError as error:
            if key:
                cache.delete(f"incident-indicators-saved:{key}")  # corrected, it may come again
            errors = error.messages
        else:
            messages.success(request, _saved_message(saved))
            return redirect(_incident_indicators_url(incident))
    else:
        errors = [str(message) for message in formset.non_form_errors()]
        errors += [
            str(message) for field_errors in extras.errors.values() for message in field_errors
        ]
        if any(formset.errors):
            errors.insert(0, _("Some rows need a correction; see the marked values below."))
    rejected = extras.rejected_rows()
    more = extras.more_values()
    context = _review_context(
        incident,
        formset,
        extras,
        more=more,
        found_total=formset.total_form_count() + len(more),
        rejected=rejected,
        rejected_total=max(extras.rejected_count(), len(rejected)),
        errors=errors,
    )
    return render(request, "incidents/indicators/review.html", context)


# -- import and export ------------------------------------------------------------------------


@login_required
def indicators_import(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    incident = worked_incident(request, reference)
    posted = request.method == "POST"
    form = ImportForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            saved = indicators.stix_import(
                incident=incident, actor=request.user, data=form.data_to_import()
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Imported: %(saved)s") % {"saved": _saved_message(saved)})
            return redirect(_incident_indicators_url(incident))
    context = {
        "incident": incident,
        "form": form,
        "max_megabytes": settings.TTC_STIX_IMPORT_MAX_BYTES / 1_000_000,
    }
    return render(request, "incidents/indicators/import.html", context)


def _download(export: indicators.Export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = (
        content_disposition_header(True, export.filename) or "attachment"
    )
    return response


@login_required
def incident_export(request: AuthenticatedHttpRequest, reference: str, fmt: str) -> HttpResponse:
    if fmt not in EXPORT_FORMATS:
        raise Http404
    incident = incident_for(request, reference)
    export = indicators.incident_export(
        incident=incident,
        user=request.user,
        fmt=cast(Literal["stix", "misp", "csv"], fmt),
    )
    return _download(export)


# -- lookup ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LookupRow:
    indicator: Indicator
    #: None when the viewer may not see the incident: then it is not named at all.
    incident: Incident | None


def indicator_list(request: HtmxHttpRequest) -> HttpResponse:
    """The "Have we seen this?" lookup: the indicators the person may see that
    match a value, each with its incident only where they may see that too.

    TLP:CLEAR indicators are public (DESIGN.md §5, and the leak test expects a
    visitor to find them), so the page is open; a visitor finds only those."""
    query = request.GET.get("q", "").strip()[:LOOKUP_MAX_LENGTH]
    rows: list[LookupRow] = []
    page = None
    if query:
        matches = indicators.lookup(query, request.user)
        page = paginate(request, matches)
        found = list(page.object_list)
        incidents = {
            incident.pk: incident
            for incident in access.visible_to(
                Incident.objects.filter(pk__in={row.incident_id for row in found}),
                request.user,
            ).only("pk", "reference", "title", "tlp")
        }
        rows = [LookupRow(row, incidents.get(row.incident_id)) for row in found]
        access.record_views(request.user, found, surface="list")
    context = {"query": query, "page": page, "rows": rows}
    template = "incidents/indicators/list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


def indicator_detail(request: HtmxHttpRequest, uuid: UUID) -> HttpResponse:
    indicator = _indicator_for(request, uuid)
    user = request.user
    access.record_views(user, [indicator], surface="page")
    incident = indicator.incident
    incident_visible = access.can_view(user, incident)
    may_work = _may_work_on(user, incident)
    correlated = list(
        indicators.correlated_incidents(indicator, user).only(  # type: ignore[arg-type]
            "pk", "reference", "title", "tlp", "created_at"
        )
    )
    shown_incidents = [*correlated, *([incident] if incident_visible else [])]
    access.record_views(user, shown_incidents, surface="indicator")
    context = {
        "indicator": indicator,
        "incident": incident if incident_visible else None,
        "correlated": correlated,
        "may_work": may_work,
        "relabel_form": RelabelForm(initial={"tlp": indicator.tlp}) if may_work else None,
    }
    return render(request, "incidents/indicators/detail.html", context)


@login_required
@require_POST
def indicator_action(request: AuthenticatedHttpRequest, uuid: UUID, action: str) -> HttpResponse:
    if action not in ("sighting", "relabel", "delete"):
        raise Http404
    indicator = _indicator_for(request, uuid)
    incident = indicator.incident
    if not services.may_work_on(request.user, incident):
        raise PermissionDenied(_("Only people working on the incident change its indicators."))
    if action == "delete":
        indicators.indicator_delete(indicator=indicator, actor=request.user)
        messages.success(
            request,
            _("The indicator is removed from %(reference)s.") % {"reference": incident.reference},
        )
        return redirect(_incident_indicators_url(incident))
    if action == "sighting":
        indicators.indicator_sighting(indicator=indicator, actor=request.user)
        messages.success(request, _("Sighting recorded."))
        return redirect(indicator)
    form = RelabelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a TLP label."))
        return redirect(indicator)
    try:
        indicators.indicator_relabel(
            indicator=indicator, actor=request.user, tlp=form.cleaned_data["tlp"]
        )
    except PermissionDenied as refused:
        messages.error(request, str(refused))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The label is now %(label)s.") % {"label": TLP(form.cleaned_data["tlp"]).label},
        )
    if not access.can_view(request.user, indicator):
        # A narrower label can put the indicator out of the person's own sight.
        return redirect(_incident_indicators_url(incident))
    return redirect(indicator)


# -- the member feed ---------------------------------------------------------------------------


def _feed_context(request: HtmxHttpRequest, **extra: Any) -> dict[str, Any]:
    user = request.user
    return {
        "vetted": user.is_authenticated and user.is_vetted,
        "since": request.GET.get("since", "")[:64],
        "api_stix": request.build_absolute_uri("/api/v1/feed/stix"),
        "api_csv": request.build_absolute_uri("/api/v1/feed/csv"),
        "feed_page_size": number_format(indicators.FEED_PAGE, force_grouping=True),
        "error": "",
        **extra,
    }


def feed_page(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "incidents/indicators/feed.html", _feed_context(request))


@login_required
def feed_download(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    if fmt not in FEED_FORMATS:
        raise Http404
    if not request.user.is_vetted:
        context = _feed_context(
            request,
            error=_(
                "The feed is for people of vetted members and verified public parties. "
                "Your organisation has not been vetted yet."
            ),
        )
        return render(request, "incidents/indicators/feed.html", context, status=403)
    try:
        since = indicators.parse_since(request.GET.get("since", ""))
    except ValidationError as error:
        context = _feed_context(request, error=" ".join(error.messages))
        return render(request, "incidents/indicators/feed.html", context, status=400)
    after = request.GET.get("after", "")
    export = indicators.feed_export(
        user=request.user,
        fmt=cast(Literal["stix", "csv"], fmt),
        since=since,
        after=int(after) if since and after.isdigit() else None,
    )
    return _download(export)
