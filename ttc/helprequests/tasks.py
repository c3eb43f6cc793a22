from __future__ import annotations

from crontask import cron
from django.tasks import task

from ttc.helprequests.engagements import proposals_follow_up
from ttc.helprequests.services import stale_requests_check


@cron("20 6 * * *")
@task
def stale_requests_daily() -> dict[str, int]:
    """Every morning: ask about untouched requests, close the unanswered ones."""
    report = stale_requests_check()
    return {"asked": report.asked, "closed": report.closed}


@cron("*/15 * * * *")
@task
def proposals_follow_up_task() -> dict[str, int]:
    """Every quarter of an hour: withdraw proposals to members who may no longer
    help, remind members of proposals due soon, expire the unanswered and ask the
    next candidate, so a requester never waits on silence."""
    report = proposals_follow_up()
    return {"reminded": report.reminded, "expired": report.expired, "withdrawn": report.withdrawn}
