from django.apps import AppConfig


class SnsTrainingConfig(AppConfig):
    name = "sns_training"
    verbose_name = "SNS training site"

    def ready(self):
        from . import checks  # noqa: F401
        from .cache import route_allauth_rate_limits
        from .security import nonce_wagtail_choosers

        nonce_wagtail_choosers()
        route_allauth_rate_limits()
