"""The append-only, hash-chained audit log: written by services and views, proven by
`manage.py audit_verify` and the nightly task, browsed by coordinators at /audit/."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from itertools import pairwise

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from ttc.accounts.models import User
from ttc.announcements.services import announcement_publish
from ttc.core import audit
from ttc.core.models import GENESIS_HASH, AppendOnlyError, AuditEvent
from ttc.core.tasks import verify_audit_chain
from ttc.core.testing import make_user, promote_coordinator
from ttc.core.tlp import TLP
from ttc.members.models import Membership
from ttc.members.services import membership_add, membership_remove, organisation_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(personas):
    """Assert on the English texts, whatever translations are added later."""
    User.objects.update(preferred_language="en")


def some_history(personas) -> list[AuditEvent]:
    """A few real state changes, each through its service."""
    organisation_create(actor=personas.coordinator, name="GGD Twente", kind="ggd", verified=True)
    membership_add(
        actor=personas.coordinator,
        organisation=personas.member_company,
        person=personas.outsider,
        role="member",
    )
    membership_remove(
        actor=personas.member_admin,
        membership=Membership.objects.get(
            user=personas.outsider, organisation=personas.member_company
        ),
    )
    publish(personas, TLP.GREEN, title="Nieuwe richtlijn")
    publish(personas, TLP.CLEAR, title="Persbericht")
    return list(AuditEvent.objects.order_by("id"))


def publish(personas, tlp: str, *, title: str = "Bericht", people=(), organisations=()):
    return announcement_publish(
        author=personas.coordinator,
        title=title,
        body="Inhoud van het bericht.",
        tlp=tlp,
        people=list(people),
        organisations=list(organisations),
    )


def run_sql_refused_on_postgresql(sql: str, params: list) -> None:
    """Change the log behind the application's back, as an attacker with a SQL prompt
    would. On PostgreSQL the database itself refuses first; the attacker then needs
    the owner's rights to switch the trigger off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                cursor.execute(sql, params)
            # Deferred foreign-key checks of this test's own writes must run first:
            # PostgreSQL alters no table with trigger events still pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only"
            )
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(sql, params)


def verify_output() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


# --- the chain -----------------------------------------------------------------------


def test_services_write_a_hash_chain(personas):
    events = some_history(personas)
    assert [event.action for event in events] == [
        "organisation.create",
        "membership.add",
        "membership.remove",
        "announcement.publish",
        "announcement.publish",
    ]
    assert events[0].prev_hash == GENESIS_HASH
    for before, event in pairwise(events):
        assert event.prev_hash == before.hash
    for event in events:
        assert len(event.hash) == 64
        assert event.hash == event.compute_hash()
    assert events[1].actor == personas.coordinator
    assert events[1].object_type == "members.organisation"
    assert events[1].object_id == str(personas.member_company.pk)


def test_audit_verify_reports_an_intact_chain(personas):
    some_history(personas)
    assert "OK: 5 events, chain intact" in verify_output()


def test_audit_verify_on_an_empty_log(personas):
    assert "OK: 0 events, chain intact" in verify_output()


def test_audit_verify_names_the_changed_event(personas):
    events = some_history(personas)
    target = events[2]
    run_sql_refused_on_postgresql(
        "UPDATE core_auditevent SET summary = %s WHERE id = %s", ["niets gebeurd", target.pk]
    )
    assert AuditEvent.objects.get(pk=target.pk).summary == "niets gebeurd"
    with pytest.raises(CommandError) as error:
        verify_output()
    message = str(error.value)
    assert f"BROKEN at event #{target.pk}:" in message
    assert "its content was changed" in message
    assert "(2 events before it are intact)" in message


def test_audit_verify_names_the_event_after_a_deleted_one(personas):
    events = some_history(personas)
    run_sql_refused_on_postgresql("DELETE FROM core_auditevent WHERE id = %s", [events[2].pk])
    assert AuditEvent.objects.count() == 4
    with pytest.raises(CommandError) as error:
        verify_output()
    message = str(error.value)
    assert f"BROKEN at event #{events[3].pk}:" in message
    assert "does not link to the event before it" in message


def test_a_rewritten_hash_does_not_hide_the_change(personas):
    """Recomputing the changed event's own hash breaks the link of the next one."""
    events = some_history(personas)
    target = events[1]
    target.summary = "iemand anders"
    run_sql_refused_on_postgresql(
        "UPDATE core_auditevent SET summary = %s, hash = %s WHERE id = %s",
        [target.summary, target.compute_hash(), target.pk],
    )
    with pytest.raises(CommandError, match=f"BROKEN at event #{events[2].pk}:"):
        verify_output()


def test_the_model_refuses_changes_and_removal(personas):
    events = some_history(personas)
    event = events[0]
    event.summary = "anders"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="anders")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).summary == "GGD Twente"
    assert AuditEvent.objects.count() == 5
    assert "OK: 5 events" in verify_output()


# --- views of confidential content ---------------------------------------------------


@pytest.mark.parametrize(
    ("label", "recipients", "viewer"),
    [
        (TLP.AMBER, {"organisations": ["member_company"]}, "expert"),
        (TLP.AMBER, {"organisations": ["member_company"]}, "requester"),  # a declared client
        (TLP.AMBER_STRICT, {"organisations": ["hospital"]}, "requester"),
        (TLP.RED, {"people": ["expert"]}, "expert"),
    ],
)
def test_viewing_confidential_content_writes_a_view_event(
    personas, client_for, label, recipients, viewer
):
    announcement = publish(
        personas,
        label,
        people=[personas.get(name) for name in recipients.get("people", [])],
        organisations=[getattr(personas, name) for name in recipients.get("organisations", [])],
    )
    assert client_for(viewer).get(announcement.get_absolute_url()).status_code == 200
    event = AuditEvent.objects.get(action__startswith="view")
    assert event.action == "view"
    assert event.actor == personas.get(viewer)
    assert event.object_type == "announcements.announcement"
    assert event.object_id == str(announcement.pk)
    assert event.data == {"surface": "page"}
    assert label.label in event.summary


def test_coordinator_viewing_red_beyond_the_rule_is_marked(personas, client_for):
    announcement = publish(personas, TLP.RED, people=[personas.expert])
    other = promote_coordinator(make_user("tweede@ttc.test", preferred_language="en"))
    client = client_for("anonymous")
    client.force_login(other)
    assert client.get(announcement.get_absolute_url()).status_code == 200
    event = AuditEvent.objects.get(action__startswith="view")
    assert event.action == "view.beyond_rule"
    assert event.actor == other
    assert event.object_id == str(announcement.pk)
    # And the audit page shows it plainly.
    page = client_for("coordinator").get("/audit/").content.decode()
    assert "viewed beyond the label" in page


def test_coordinator_viewing_amber_beyond_the_rule_is_marked(personas, client_for):
    announcement = publish(personas, TLP.AMBER_STRICT, organisations=[personas.hospital])
    other = promote_coordinator(make_user("tweede@ttc.test", preferred_language="en"))
    client = client_for("anonymous")
    client.force_login(other)
    assert client.get(announcement.get_absolute_url()).status_code == 200
    assert AuditEvent.objects.get(action__startswith="view").action == "view.beyond_rule"


def test_the_author_reading_their_own_red_announcement_is_a_plain_view(personas, client_for):
    """The author always sees their own content: that is within the rule."""
    announcement = publish(personas, TLP.RED, people=[personas.expert])
    client_for("coordinator").get(announcement.get_absolute_url())
    assert AuditEvent.objects.get(action__startswith="view").action == "view"


@pytest.mark.parametrize("label", [TLP.CLEAR, TLP.GREEN])
def test_viewing_clear_or_green_writes_no_event(personas, client_for, label):
    announcement = publish(personas, label)
    for persona in ("coordinator", "expert", "outsider"):
        assert client_for(persona).get(announcement.get_absolute_url()).status_code == 200
    assert not AuditEvent.objects.filter(action__startswith="view").exists()


def test_a_refused_view_writes_no_view_event(personas, client_for):
    announcement = publish(personas, TLP.RED, people=[personas.expert])
    assert client_for("outsider").get(announcement.get_absolute_url()).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="view").exists()


def test_api_views_of_confidential_content_are_recorded_too(personas, client_for):
    announcement = publish(personas, TLP.RED, people=[personas.expert])
    client = client_for("expert")
    assert client.get(f"/api/v1/announcements/{announcement.pk}").status_code == 200
    assert client.get("/api/v1/announcements").status_code == 200
    surfaces = sorted(event.data["surface"] for event in AuditEvent.objects.filter(action="view"))
    assert surfaces == ["api", "api list"]


def test_views_keep_the_chain_intact(personas, client_for):
    announcement = publish(personas, TLP.RED, people=[personas.expert])
    client_for("expert").get(announcement.get_absolute_url())
    client_for("coordinator").get(announcement.get_absolute_url())
    assert "OK: 3 events, chain intact" in verify_output()


# --- the /audit/ page ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["member_admin", "expert", "requester", "umbrella", "outsider"])
def test_audit_page_is_for_coordinators_only(personas, client_for, persona):
    some_history(personas)
    response = client_for(persona).get("/audit/")
    assert response.status_code == 403
    assert "GGD Twente" not in response.content.decode()


def test_audit_page_sends_anonymous_to_log_in(personas, client_for):
    response = client_for("anonymous").get("/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/audit/")


def test_audit_page_lists_every_event(personas, client_for):
    some_history(personas)
    response = client_for("coordinator").get("/audit/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "5 events" in page
    assert "GGD Twente" in page
    assert "dev@anderesoftware.test joined Veilig Netwerk B.V. as member" in page
    assert "dev@anderesoftware.test left Veilig Netwerk B.V." in page


def results(client, **filters) -> str:
    response = client.get("/audit/", filters, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def test_audit_filter_by_action(personas, client_for):
    some_history(personas)
    client = client_for("coordinator")
    page = results(client, action="membership")
    assert "2 events" in page
    assert "joined Veilig Netwerk" in page
    assert "GGD Twente" not in page
    page = results(client, action="membership.remove")
    assert "1 event" in page
    assert "left Veilig Netwerk" in page
    assert "joined Veilig Netwerk" not in page


def test_audit_filter_by_actor_email(personas, client_for):
    some_history(personas)
    client = client_for("coordinator")
    page = results(client, actor="ADMIN@veilignetwerk")
    assert "1 event" in page
    assert "left Veilig Netwerk" in page
    assert "joined Veilig Netwerk" not in page
    assert "GGD Twente" not in page
    assert "Nieuwe richtlijn" not in page
    page = results(client, actor="coordinator@ttc.test")
    assert "4 events" in page
    assert "GGD Twente" in page
    assert "joined Veilig Netwerk" in page
    assert "left Veilig Netwerk" not in page


def test_audit_filter_by_object(personas, client_for):
    first = publish(personas, TLP.GREEN, title="Eerste bericht")
    second = publish(personas, TLP.RED, title="Tweede bericht", people=[personas.expert])
    client_for("expert").get(second.get_absolute_url())
    client = client_for("coordinator")

    page = results(client, object=f"announcements.announcement#{second.pk}")
    assert "2 events" in page
    assert "Tweede bericht" in page
    assert "Eerste bericht" not in page

    page = results(client, object=f"announcements.announcement#{first.pk}")
    assert "1 event" in page
    assert "Eerste bericht" in page

    page = results(client, object="announcements.announcement")
    assert "3 events" in page

    page = results(client, object="members.organisation")
    assert "0 events" in page
    assert "No events match." in page


def record_on(day: datetime, summary: str) -> AuditEvent:
    """An event written on a past day, linked into the chain exactly as `audit.record` does."""
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event = AuditEvent(
        created_at=day, action="test.past", summary=summary, prev_hash=last or GENESIS_HASH
    )
    event.hash = event.compute_hash()
    event.save()
    return event


def test_audit_filter_by_date_range(personas, client_for):
    amsterdam = timezone.get_current_timezone()
    record_on(datetime(2020, 3, 15, 0, 30, tzinfo=amsterdam), "Vroeg op de vijftiende")
    record_on(datetime(2020, 3, 16, 23, 30, tzinfo=amsterdam), "Laat op de zestiende")
    audit.record(actor=personas.coordinator, action="test.today", summary="Vandaag gebeurd")
    assert "OK: 3 events" in verify_output()
    client = client_for("coordinator")
    today = timezone.localdate()

    page = results(client, since="2020-03-15", until="2020-03-15")
    assert "1 event" in page
    assert "Vroeg op de vijftiende" in page

    page = results(client, since="2020-03-16", until="2020-03-16")
    assert "1 event" in page
    assert "Laat op de zestiende" in page

    page = results(client, since="2020-03-15", until="2020-03-16")
    assert "2 events" in page
    assert "Vandaag gebeurd" not in page

    page = results(client, since=today.isoformat())
    assert "1 event" in page
    assert "Vandaag gebeurd" in page

    assert "0 events" in results(client, since=(today + timedelta(days=1)).isoformat())
    assert "0 events" in results(client, until="2020-03-14")


@pytest.mark.parametrize(
    "dates",
    [
        {"since": "2020-13-45"},
        {"until": "2020-02-30"},
        {"since": "gisteren", "until": "morgen"},
        {"since": "2020-03-15'; DROP TABLE core_auditevent; --"},
        {"since": "9" * 200},
    ],
)
def test_malformed_dates_are_ignored(personas, client_for, dates):
    some_history(personas)
    response = client_for("coordinator").get("/audit/", dates)
    assert response.status_code == 200
    assert "5 events" in response.content.decode()


def test_audit_htmx_request_returns_only_the_results(personas, client_for):
    some_history(personas)
    fragment = results(client_for("coordinator"), action="organisation").strip()
    assert 'id="results"' not in fragment, "the live region stays on the page; htmx fills it"
    assert "<html" not in fragment
    assert "<form" not in fragment
    assert "GGD Twente" in fragment
    full = client_for("coordinator").get("/audit/").content.decode()
    assert "<html" in full
    assert 'id="results"' in full


def test_audit_page_paginates_with_filters_kept(personas, client_for):
    for number in range(55):
        audit.record(actor=personas.coordinator, action="test.bulk", summary=f"Regel {number}")
    audit.record(actor=personas.expert, action="test.other", summary="Andere regel")
    client = client_for("coordinator")
    page = client.get("/audit/", {"action": "test.bulk"}).content.decode()
    assert "55 events" in page
    assert "Page 1 of 2" in page
    assert "action=test.bulk" in page
    second = client.get("/audit/", {"action": "test.bulk", "page": 2}).content.decode()
    assert "Regel 0<" in second
    assert "Andere regel" not in second


# --- the nightly check ---------------------------------------------------------------


def test_nightly_check_passes_an_intact_chain(personas):
    some_history(personas)
    mail.outbox.clear()
    assert verify_audit_chain.call() is True
    assert mail.outbox == []


def test_nightly_check_alerts_coordinators_when_broken(personas):
    events = some_history(personas)
    second = promote_coordinator(make_user("tweede@ttc.test"))
    retired = promote_coordinator(make_user("oud@ttc.test"))
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    run_sql_refused_on_postgresql(
        "UPDATE core_auditevent SET summary = %s WHERE id = %s", ["weggepoetst", events[3].pk]
    )
    mail.outbox.clear()
    assert verify_audit_chain.call() is False
    # One message per coordinator: they never see each other's addresses.
    assert sorted(message.to for message in mail.outbox) == sorted(
        [[personas.coordinator.email], [second.email]]
    )
    for message in mail.outbox:
        assert "tampering" in message.subject
        assert f"#{events[3].pk}" in message.body


def test_nightly_check_runs_through_the_task_backend(personas):
    some_history(personas)
    result = verify_audit_chain.enqueue()
    assert result.return_value is True


def test_a_kept_head_proves_that_nothing_was_cut_from_the_end(personas):
    some_history(personas)
    out = StringIO()
    call_command("audit_verify", stdout=out)
    head = out.getvalue().split("head ")[1].strip()
    call_command("audit_verify", head=head, stdout=StringIO())

    last = AuditEvent.objects.order_by("-id").first()
    run_sql_refused_on_postgresql("DELETE FROM core_auditevent WHERE id = %s", [last.pk])
    with pytest.raises(CommandError, match="were removed"):
        call_command("audit_verify", head=head, stdout=StringIO())
    with pytest.raises(CommandError, match="ID:HASH"):
        call_command("audit_verify", head="not-a-head", stdout=StringIO())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger")
def test_postgresql_refuses_to_truncate_the_log(personas):
    some_history(personas)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        # Outside the test suite's own database the guard is always on.
        cursor.execute("SET LOCAL ttc.test_database = off")
        cursor.execute("TRUNCATE core_auditevent CASCADE")
    assert AuditEvent.objects.exists()
