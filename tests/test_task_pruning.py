"""Finished background tasks, with the addresses and texts they carried, are
forgotten after two weeks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ttc.core.tasks import TASK_RESULT_DAYS, deliver_email, prune_task_results

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def queued(subject: str) -> DBTaskResult:
    result = deliver_email.enqueue(to=["iemand@example.test"], subject=subject, body="Hallo")
    return DBTaskResult.objects.get(id=result.id)


def finish(row: DBTaskResult, days_ago: int) -> None:
    DBTaskResult.objects.filter(pk=row.pk).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now() - timedelta(days=days_ago)
    )


def test_old_finished_tasks_are_pruned_and_the_rest_kept(database_tasks):
    old, recent, waiting = queued("oud"), queued("recent"), queued("wacht")
    finish(old, TASK_RESULT_DAYS + 1)
    finish(recent, TASK_RESULT_DAYS - 1)

    prune_task_results.call()

    left = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert left == {recent.pk, waiting.pk}
