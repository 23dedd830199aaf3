"""Settings of the real worker process the drills start (tests/worker, bench/drill_worker.py): the
test settings with the database task backend, SMTP to the drill's sink, private files on disk and
short leases. The drill passes the database, the sink's port and the directory in the environment."""

import os

from sns_training.settings.test import *  # noqa: F401,F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("DRILL_SMTP_PORT", "25"))
EMAIL_USE_TLS = False
EMAIL_TIMEOUT = 10
STORAGES = {
    **STORAGES,  # noqa: F405
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ.get("DRILL_PRIVATE_ROOT", "/tmp/drill-private")},
    },
}
WORKER_HEARTBEAT_SECONDS = float(os.environ.get("DRILL_HEARTBEAT_SECONDS", "0.5"))
WORKER_LEASE_SECONDS = float(os.environ.get("DRILL_LEASE_SECONDS", "3"))
WORKER_BACKOFF_MAX_SECONDS = 2.0
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
