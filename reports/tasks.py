"""Background tasks of the reports app (django-tasks: the database backend and its worker in
production, the immediate backend in development and tests; decision 0011)."""

from __future__ import annotations

from django_tasks import task

from . import bundles


@task()
def certificate_bundle_build(bundle_id: int) -> dict:
    """Build a requested certificate ZIP (enqueued by bundles.certificate_bundle_request on commit)."""
    return bundles.certificate_bundle_build(bundle_id=bundle_id)
