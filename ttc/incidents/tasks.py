from __future__ import annotations

from crontask import cron
from django.tasks import task

from ttc.incidents.services import deadlines_check


@cron("* * * * *")
@task
def incident_deadlines() -> dict[str, int]:
    """Every minute: a critical incident has fifteen minutes to be acknowledged,
    so a breach is told within a minute of happening."""
    report = deadlines_check()
    return {"acknowledge": report.acknowledge, "responder": report.responder}
