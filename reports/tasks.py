"""Background tasks of the reports app (django-tasks: the database backend and its worker in
production, the immediate backend in development and tests; decision 0011)."""

from __future__ import annotations

from django_tasks import TaskContext, task

from . import services


@task(takes_context=True)
def certificate_bundle_build(context: TaskContext, bundle_id: int) -> dict:
    """Build a requested certificate ZIP (enqueued by services.certificate_bundle_request on commit;
    this module path and name are what the task database holds). Claimed by more than one worker
    means run again after a crash (decision 0034): take the bundle over and resume it."""
    return services.certificate_bundle_build(bundle_id=bundle_id, takeover=len(context.task_result.worker_ids) > 1)
