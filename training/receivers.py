"""Signal receivers of the training app (connected in TrainingConfig.ready)."""

from django.dispatch import receiver
from django.utils import timezone

from courses.signals import version_recorded
from people.signals import roster_changed

from . import services


@receiver(roster_changed, dispatch_uid="training.assignments_follow_roster")
def assignments_follow_roster(
    sender, *, municipality, on, created=(), transferred=(), deactivated=(), reactivated=(), **kwargs
):
    """Keep the assignments of not-yet-closed cycles true to a roster change, inside the change's
    own transaction (so both commit or neither)."""
    services.assignments_follow_roster(
        municipality=municipality,
        on=on,
        created=created,
        transferred=transferred,
        deactivated=deactivated,
        reactivated=reactivated,
    )


@receiver(version_recorded, dispatch_uid="training.revision_reviews_follow_version")
def revision_reviews_follow_version(sender, *, version, **kwargs):
    """A substantive version in force today: its 改正点の確認 are made in the background, after the
    publish commits (a later 施行日 waits for the daily run, services.reminders_send)."""
    from django.db import transaction

    from courses import versions

    if versions.is_substantive(version) and version.effective_date <= timezone.localdate():
        from . import tasks

        transaction.on_commit(lambda: tasks.revision_reviews_create.enqueue(version.pk))
