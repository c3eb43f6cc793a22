"""The umbrella organisations' dashboard, the research view and the TLP:CLEAR
summary for publication.

Thin views: who may look, what period, then the selectors in
`ttc.incidents.research`, which count only what the viewer may see.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ttc.core import access, audit
from ttc.core.http import AuthenticatedHttpRequest
from ttc.core.tlp import CONFIDENTIAL
from ttc.incidents.research import (
    DEFAULT_WEEKS,
    MAX_WEEKS,
    OPEN_LISTED,
    RECURRING_LISTED,
    RECURRING_ORGANISATIONS,
    SMALL_CELL,
    beyond_rule,
    may_research,
    publication,
    publication_markdown,
    research_figures,
    umbrella_figures,
    umbrellas_for,
)


class PeriodForm(forms.Form):
    weeks = forms.IntegerField(
        label=gettext_lazy("Number of weeks"),
        min_value=1,
        max_value=MAX_WEEKS,
        required=False,
        help_text=format_lazy(gettext_lazy("From 1 to {max}."), max=MAX_WEEKS),
        error_messages={
            "invalid": gettext_lazy("Give the number of weeks as a whole number."),
            "min_value": gettext_lazy("Show at least 1 week."),
            "max_value": gettext_lazy("Show at most %(limit_value)s weeks."),
        },
    )


def _period_form(request: AuthenticatedHttpRequest) -> tuple[PeriodForm, int]:
    """The form as sent (or its default), and the number of weeks to show:
    the default while what was sent is not valid."""
    if "weeks" not in request.GET:
        return PeriodForm(initial={"weeks": DEFAULT_WEEKS}), DEFAULT_WEEKS
    form = PeriodForm(request.GET)
    if form.is_valid():
        return form, form.cleaned_data["weeks"] or DEFAULT_WEEKS
    return form, DEFAULT_WEEKS


def _require_researcher(request: AuthenticatedHttpRequest) -> None:
    if not may_research(request.user):
        raise PermissionDenied(_("The research view is for coordinators and vetted researchers."))


@never_cache
@login_required
@require_safe
def umbrella_dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """An umbrella organisation's view of its care members' incidents: what
    the person may see under each incident's label, nothing more."""
    user = request.user
    umbrellas = list(umbrellas_for(user))
    if not umbrellas and not user.is_coordinator:
        raise PermissionDenied(_("This dashboard is for people of an umbrella organisation."))
    chosen = umbrellas[0] if umbrellas else None
    asked = request.GET.get("umbrella", "")
    if asked:
        chosen = next((org for org in umbrellas if str(org.pk) == asked), None)
        if chosen is None:
            raise Http404
    figures = umbrella_figures(chosen, user) if chosen is not None else None
    if figures is not None:
        access.record_views(user, figures.open_incidents, surface="umbrella")
    return render(
        request,
        "incidents/research/umbrella.html",
        {
            "umbrellas": umbrellas,
            "umbrella": chosen,
            "figures": figures,
            "open_listed": OPEN_LISTED,
        },
    )


@never_cache
@login_required
@require_safe
def research(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Incidents per week by type and severity, recurring indicators and the
    kinds of organisation hit, over the incidents the viewer may see."""
    _require_researcher(request)
    user = request.user
    form, weeks = _period_form(request)
    figures = research_figures(user, weeks=weeks)
    beyond = beyond_rule(user, figures.span)
    if figures.label in CONFIDENTIAL or beyond:
        audit.record(
            actor=user,
            action="incident.research.view",
            summary=(
                f"{figures.label.label} research figures {figures.span.first}–{figures.span.last}"
                + (" (beyond the rule)" if beyond else "")
            ),
            data={
                "weeks": weeks,
                "label": figures.label.value,
                "incidents": figures.total,
                "recurring_indicators": len(figures.recurring),
                "beyond_rule": beyond,
            },
        )
    template = "incidents/research/research.html"
    if request.htmx:
        template += "#figures"
    return render(
        request,
        template,
        {
            "form": form,
            "weeks": weeks,
            "figures": figures,
            "recurring_listed": RECURRING_LISTED,
            "recurring_organisations": RECURRING_ORGANISATIONS,
            "small_cell": SMALL_CELL,
        },
    )


@never_cache
@login_required
@require_safe
def research_summary(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The TLP:CLEAR summary of the last complete weeks as a Markdown file."""
    _require_researcher(request)
    form = PeriodForm(request.GET)
    if not form.is_valid():
        messages = [str(error) for errors in form.errors.values() for error in errors]
        return HttpResponseBadRequest(
            "\n".join(messages) + "\n", content_type="text/plain; charset=utf-8"
        )
    weeks = form.cleaned_data["weeks"] or DEFAULT_WEEKS
    summary = publication(request.user, weeks=weeks)
    text = publication_markdown(summary)
    audit.record(
        actor=request.user,
        action="incident.research.export",
        summary=f"TLP:CLEAR incident summary {summary.span.first}–{summary.span.last} (Markdown)",
        data={
            "format": "markdown",
            "weeks": weeks,
            "first": str(summary.span.first),
            "last": str(summary.span.last),
            "counted": summary.counted,
            "withheld_weeks": [str(week) for week in summary.withheld],
        },
    )
    filename = (
        f"ttc-incidents-{summary.span.first}-{summary.span.last}"
        f"-{timezone.localdate().isoformat()}.md"
    )
    return HttpResponse(
        text,
        content_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
