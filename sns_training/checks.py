"""Deployment checks (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def redis_configured(app_configs, **kwargs):
    if settings.REDIS_URL:
        return []
    return [
        Warning(
            "REDIS_URL is not set: log-in rate limits, sessions and the page-tree cache are per worker.",
            hint="Set REDIS_URL (for example redis://127.0.0.1:6379/0) when running more than one worker.",
            id="sns_training.W001",
        )
    ]
