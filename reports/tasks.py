"""Background tasks of the reports app (django-tasks: the database backend and its worker in
production, the immediate backend in development and tests; decision 0011)."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def certificate_bundle_build(bundle_id: int) -> dict:
    """Build a requested certificate ZIP (enqueued by services.certificate_bundle_request on commit;
    this module path and name are what the task database holds)."""
    return services.certificate_bundle_build(bundle_id=bundle_id)
