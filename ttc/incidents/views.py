"""Pages for reporting and working incidents: the queue, the report form, the
incident page with its clocks, team, timeline, tasks and notes, and the NIS2
reports."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Q, When
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ttc.core import access
from ttc.core.decorators import coordinator_required
from ttc.core.forms import add_service_errors
from ttc.core.http import AuthenticatedHttpRequest, HtmxHttpRequest
from ttc.core.pagination import paginate
from ttc.incidents import indicator_views, indicators, research, services
from ttc.incidents.forms import (
    DeclineForm,
    InviteForm,
    NoteForm,
    ReportFieldsForm,
    ReportForm,
    StatusForm,
    TaskForm,
    TaskStatusForm,
    TimelineForm,
)
from ttc.incidents.lookups import incident_for, worked_incident
from ttc.incidents.models import (
    TRANSITIONS,
    Category,
    Incident,
    Note,
    Responder,
    Severity,
    Stage,
    Status,
    Task,
)


def incident_list(request: HtmxHttpRequest) -> HttpResponse:
    """The incidents a person may see; for coordinators the queue, most urgent
    first. Visitors see TLP:CLEAR incidents only."""
    query = request.GET.get("q", "")[:200].strip()
    status = request.GET.get("status", "")
    severity = request.GET.get("severity", "")
    incidents = access.visible_to(Incident.objects.select_related("organisation"), request.user)
    if query:
        incidents = incidents.filter(Q(title__icontains=query) | Q(reference__icontains=query))
    if status == "open":
        incidents = incidents.open()
    elif status in Status.values:
        incidents = incidents.filter(status=status)
    if severity.isdigit() and int(severity) in Severity.values:
        incidents = incidents.filter(severity=int(severity))
    # Open incidents first, the most severe and then the oldest at the top.
    closed_last = Case(When(status=Status.CLOSED, then=1), default=0)
    incidents = incidents.order_by(closed_last, "-severity", "created_at")
    page = paginate(request, incidents)
    access.record_views(request.user, page.object_list, surface="list")
    user = request.user
    signed_in = user.is_authenticated
    invitations = (
        Responder.objects.filter(person=user.pk, status=Responder.Status.INVITED).select_related(
            "incident"
        )
        if signed_in
        else Responder.objects.none()
    )
    context = {
        "page": page,
        "query": query,
        "status": status,
        "statuses": Status.choices,
        "severity": int(severity) if severity.isdigit() else None,
        "severities": Severity.choices,
        "may_report": signed_in and services.organisations_for_reporter(user).exists(),  # type: ignore[arg-type]
        "umbrella": signed_in and research.umbrellas_for(user).exists(),  # type: ignore[arg-type]
        "invitations": invitations,
        "now": timezone.now(),
    }
    template = "incidents/list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


@login_required
def incident_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    organisations = services.organisations_for_reporter(request.user)
    if not organisations.exists():
        raise PermissionDenied(services.MAY_NOT_REPORT)
    form = ReportForm(
        request.POST or None,
        organisations=organisations,
        initial={
            "submission_key": uuid.uuid4(),
            "organisation": organisations.first(),
            "detected_at": timezone.localtime().replace(second=0, microsecond=0),
            "contact_name": request.user.full_name,
            "contact_email": request.user.email,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_report(
                author=request.user,
                organisation=form.cleaned_data["organisation"],
                data=form.report_data(),
                submission_key=form.cleaned_data["submission_key"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Incident %(reference)s is reported. A coordinator acknowledges it "
                    "within %(minutes)s minutes; keep your phone at hand."
                )
                % {
                    "reference": incident.reference,
                    "minutes": int(
                        (incident.acknowledge_due - incident.created_at).total_seconds() // 60
                    ),
                },
            )
            return redirect(incident)
    return render(request, "incidents/new.html", {"form": form})


def _stages(incident: Incident) -> list[dict[str, Any]]:
    now = timezone.now()
    return [
        {
            "stage": stage,
            "due": incident.stage_due(stage),
            "sent_at": incident.stage_sent_at(stage),
            "overdue": incident.stage_sent_at(stage) is None and now > incident.stage_due(stage),
            "is_next": stage == incident.stage_next,
            "missing": services.stage_missing(incident, stage),
        }
        for stage in Stage
    ]


def _case_people(incident: Incident) -> Any:
    """Who may own a task: the team, the reporting side and coordinators."""
    from ttc.accounts.models import User
    from ttc.members.vetting import coordinators

    return User.objects.filter(
        Q(pk__in=incident.team().values("pk"))
        | Q(pk__in=services.reporter_people(incident).values("pk"))
        | Q(pk__in=[person.pk for person in coordinators()])
    ).order_by("full_name", "email")


def incident_detail(request: HtmxHttpRequest, reference: str) -> HttpResponse:
    incident = incident_for(request, reference)
    user = request.user
    access.record_views(user, [incident], surface="detail")
    works = services.may_work_on(user, incident)  # type: ignore[arg-type]
    context: dict[str, Any] = {
        "incident": incident,
        "works": works,
        "clocks": [incident.clock_acknowledge, incident.clock_responder],
        "stages": _stages(incident),
        "next_statuses": [Status(value) for value in TRANSITIONS[incident.status]],
        "team": incident.responders.select_related("person", "organisation").filter(
            status__in=[Responder.Status.INVITED, Responder.Status.ACCEPTED]
        ),
        "is_responder": works and services.is_responder(user, incident),  # type: ignore[arg-type]
        "now": timezone.now(),
    }
    if works:
        context.update(
            timeline=incident.timeline.select_related("created_by"),
            tasks=incident.tasks.select_related("owner"),
            notes=incident.notes.select_related("updated_by"),
            timeline_form=TimelineForm(
                initial={"occurred_at": timezone.localtime().replace(second=0, microsecond=0)}
            ),
            task_form=TaskForm(people=_case_people(incident)),
            status_form=StatusForm(),
            task_statuses=Task.Status.choices,
        )
    context.update(indicator_views.detail_context(request, incident))
    if request.htmx and request.GET.get("part") == "clocks":
        return render(request, "incidents/detail.html#clocks", context)
    return render(request, "incidents/detail.html", context)


@login_required
@require_POST
def incident_status(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    incident = incident_for(request, reference)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.incident_move(
                incident=incident,
                actor=request.user,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The status is changed."))
    else:
        messages.error(request, _("Choose a status."))
    return redirect(incident)


@coordinator_required
def incident_team(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    """Coordinators assemble the response team from the ranked candidates."""
    incident = incident_for(request, reference)
    access.record_views(request.user, [incident], surface="team")
    if request.method == "POST":
        form = InviteForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a person from the list."))
            return redirect("incident_team", reference=incident.reference)
        person = form.cleaned_data["person"]
        try:
            services.responder_invite(
                incident=incident,
                actor=request.user,
                person=person,
                score=form.cleaned_data["score"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(name)s is asked to respond. You see here when they answer.")
                % {"name": person.display_name},
            )
        return redirect("incident_team", reference=incident.reference)
    context = {
        "incident": incident,
        "candidates": services.responder_candidates(incident),
        "places": incident.responders.select_related("person", "organisation"),
    }
    return render(request, "incidents/team.html", context)


@login_required
@require_POST
def responder_remove(request: AuthenticatedHttpRequest, reference: str, pk: int) -> HttpResponse:
    incident = incident_for(request, reference)
    place = get_object_or_404(Responder, pk=pk, incident=incident)
    try:
        services.responder_remove(place=place, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The team is changed."))
    if access.can_view(request.user, incident):
        return redirect(incident)
    return redirect("incident_list")


@login_required
def invitation(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The invited person sees what kind of incident it is, never its content,
    until they accept."""
    place = get_object_or_404(
        Responder.objects.select_related("incident", "incident__organisation"),
        pk=pk,
        person=request.user,
    )
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accept = request.POST.get("answer") == "accept"
        try:
            services.responder_answer(
                place=place, actor=request.user, accept=accept, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("incident_invitation", pk=place.pk)
        if accept:
            messages.success(request, _("Thank you. You are on the response team."))
            return redirect(place.incident)
        messages.success(request, _("You declined. A coordinator asks someone else."))
        return redirect("incident_list")
    incident = place.incident
    context = {
        "place": place,
        "form": form,
        "category": Category(incident.category).label,
        "severity": incident.get_severity_display(),
        "severity_meaning": incident.severity_meaning,
        "kind": incident.organisation.get_kind_display(),
        "city": incident.organisation.city,
    }
    return render(request, "incidents/invitation.html", context)


@login_required
@require_POST
def timeline_add(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    incident = worked_incident(request, reference)
    form = TimelineForm(request.POST)
    if form.is_valid():
        try:
            services.timeline_add(incident=incident, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
    if form.errors:
        return _case_form_page(request, incident, form, _("Add to the timeline"))
    messages.success(request, _("Added to the timeline."))
    return redirect(incident.get_absolute_url() + "#timeline")


def _case_form_page(
    request: AuthenticatedHttpRequest, incident: Incident, form: Any, heading: str
) -> HttpResponse:
    """A refused case-work form comes back whole, with its messages."""
    return render(
        request,
        "incidents/case_form.html",
        {"incident": incident, "form": form, "heading": heading, "action": request.path},
        status=400,
    )


@login_required
@require_POST
def task_create(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    incident = worked_incident(request, reference)
    form = TaskForm(request.POST, people=_case_people(incident))
    if form.is_valid():
        try:
            services.task_create(incident=incident, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
    if form.errors:
        return _case_form_page(request, incident, form, _("New task"))
    messages.success(request, _("The task is added."))
    return redirect(incident.get_absolute_url() + "#tasks")


@login_required
@require_POST
def task_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    task = get_object_or_404(Task.objects.select_related("incident"), pk=pk)
    incident = worked_incident(request, task.incident.reference)
    form = TaskStatusForm(request.POST)
    if form.is_valid():
        services.task_update(task=task, actor=request.user, status=form.cleaned_data["status"])
        messages.success(request, _("The task is updated."))
    else:
        messages.error(request, _("Choose a status."))
    return redirect(incident.get_absolute_url() + "#tasks")


@login_required
def note_new(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    incident = worked_incident(request, reference)
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.note_create(
                incident=incident,
                actor=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The note is saved."))
            return redirect(incident.get_absolute_url() + "#notes")
    return render(request, "incidents/note.html", {"incident": incident, "form": form})


@login_required
def note_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(Note.objects.select_related("incident", "updated_by"), pk=pk)
    incident = worked_incident(request, note.incident.reference)
    conflict = None
    if request.method == "POST":
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                saved = services.note_save(
                    note=note,
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    base_version=form.cleaned_data["base_version"] or note.version,
                )
            except services.NoteConflict as clash:
                conflict = clash
                # The next save resolves against what is saved now.
                form = NoteForm(
                    initial={
                        "title": form.cleaned_data["title"],
                        "body": clash.marked,
                        "base_version": clash.note.version,
                    }
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if saved.merged:
                    messages.info(
                        request,
                        _("Someone saved this note while you edited it; both changes are kept."),
                    )
                else:
                    messages.success(request, _("The note is saved."))
                return redirect(incident.get_absolute_url() + "#notes")
    else:
        form = NoteForm(
            initial={"title": note.title, "body": note.body, "base_version": note.version}
        )
    context = {"incident": incident, "form": form, "note": note, "conflict": conflict}
    return render(request, "incidents/note.html", context, status=409 if conflict else 200)


@login_required
def report_edit(request: AuthenticatedHttpRequest, reference: str) -> HttpResponse:
    incident = worked_incident(request, reference)
    form = ReportFieldsForm(
        request.POST or None,
        initial={
            "severity": incident.severity,
            "suspected_malicious": incident.suspected_malicious,
            "cross_border": incident.cross_border,
            "impact": incident.impact,
            "root_cause": incident.root_cause,
            "mitigations": incident.mitigations,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.report_update(incident=incident, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The report is updated."))
            return redirect(incident.get_absolute_url() + "#reports")
    return render(request, "incidents/report_edit.html", {"incident": incident, "form": form})


def _stage(stage: str) -> Stage:
    try:
        return Stage(stage.replace("-", "_"))
    except ValueError:
        raise Http404 from None


@login_required
def stage_report(request: AuthenticatedHttpRequest, reference: str, stage: str) -> HttpResponse:
    """A stage's report as a printable page, or as Markdown (?format=md)."""
    incident = worked_incident(request, reference)
    chosen = _stage(stage)
    access.record_views(request.user, [incident], surface=f"report.{chosen.value}")
    context = {
        "incident": incident,
        "stage": chosen,
        "due": incident.stage_due(chosen),
        "sent_at": incident.stage_sent_at(chosen),
        "includes_impact": chosen in (Stage.NOTIFICATION, Stage.FINAL),
        "includes_final": chosen == Stage.FINAL,
        "indicator_count": indicators.visible_indicators(incident, request.user).count(),
        "timeline": incident.timeline.all() if chosen == Stage.FINAL else [],
        "missing": services.stage_missing(incident, chosen),
        "now": timezone.now(),
    }
    if request.GET.get("format") == "md":
        text = render_to_string("incidents/stage_report.md", context, request=request)
        response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
        filename = f"{incident.reference}-{chosen.value.replace('_', '-')}.md"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return render(request, "incidents/stage_report.html", context)


@login_required
@require_POST
def stage_sent(request: AuthenticatedHttpRequest, reference: str, stage: str) -> HttpResponse:
    incident = worked_incident(request, reference)
    try:
        services.stage_mark_sent(incident=incident, actor=request.user, stage=_stage(stage))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Marked as sent."))
    return redirect(reverse("incident_detail", args=[incident.reference]) + "#reports")


def dashboard_panel(user: Any) -> dict[str, Any]:
    """The open incidents this person works on (for coordinators: all open
    ones, most severe first) and invitations waiting for their answer."""
    incidents = Incident.objects.open().select_related("organisation")
    if not user.is_coordinator:
        incidents = access.visible_to(incidents, user).filter(
            Q(pk__in=Responder.objects.on_team(user).values("incident_id"))
            | Q(organisation_id__in=user.approved_organisation_ids)
            | Q(reported_via_id__in=user.approved_organisation_ids)
        )
    shown = list(incidents.order_by("-severity", "created_at")[:8])
    access.record_views(user, shown, surface="dashboard")
    return {
        "incidents": shown,
        "invitations": list(
            Responder.objects.filter(person=user, status=Responder.Status.INVITED).select_related(
                "incident"
            )[:8]
        ),
        "now": timezone.now(),
    }
