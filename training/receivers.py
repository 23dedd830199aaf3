"""Signal receivers of the training app (connected in TrainingConfig.ready)."""

from django.dispatch import receiver

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
