"""django-q2 tasks of bulk jobs: they take a job id, run what is pending, and are safe to run
twice (a second worker finds the job claimed, or its items done, and returns).

- ``run_bulk_job(job_id)``: runs the job for at most ``ZOOM_SYNC_TASK_SECONDS``, then queues
  itself again; a job paused by Zoom's rate limit is scheduled to resume when Zoom said.

Enqueue through :func:`enqueue_job`, which waits for the surrounding transaction to commit.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from zoomadmin.jobs.models import BulkJob
from zoomadmin.jobs.runner import job_run

TASK_GROUP = "zoom-bulk-jobs"
TASK_FUNC = "zoomadmin.jobs.tasks.run_bulk_job"


def run_bulk_job(job_id: int) -> dict[str, Any]:
    job = job_run(job_id=job_id, deadline_seconds=settings.ZOOM_SYNC_TASK_SECONDS)
    if job is None:
        return {"job": job_id, "status": "busy"}
    if job.status == BulkJob.Status.QUEUED:
        enqueue_job(job.pk)  # out of the task's time: the next task goes on
    elif job.status == BulkJob.Status.PAUSED:
        schedule_job_resume(job)
    return {"job": job.pk, "status": job.status, "succeeded": job.succeeded, "failed": job.failed}


def enqueue_job(job_id: int) -> None:
    def enqueue() -> None:
        async_task(TASK_FUNC, job_id, group=TASK_GROUP, task_name=f"zoom-bulk-job-{job_id}")

    transaction.on_commit(enqueue, robust=True)


def schedule_job_resume(job: BulkJob) -> Schedule:
    schedule, _ = Schedule.objects.update_or_create(
        name=f"zoom-bulk-job-resume-{job.pk}",
        defaults={
            "func": TASK_FUNC,
            "args": repr(job.pk),
            "schedule_type": Schedule.ONCE,
            "repeats": -1,
            "next_run": job.resumes_at or timezone.now(),
        },
    )
    return schedule
