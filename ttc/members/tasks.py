from __future__ import annotations

from crontask import cron
from django.tasks import task

from ttc.members.compliance import daily_checks


@cron("5 6 * * *")
@task
def membership_daily_checks() -> dict[str, object]:
    """Every morning: compliance, reminders, ended suspensions, expiry."""
    report = daily_checks()
    return {
        "checked": report.checked,
        "reminders": report.reminders,
        "reinstated": report.reinstated,
        "expired": report.expired,
    }
