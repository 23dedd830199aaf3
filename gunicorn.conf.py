"""gunicorn's settings, read from the project directory by `gunicorn sns_training.wsgi`."""

import multiprocessing
import os

# Sync workers, one more than the cores: while one waits for PostgreSQL (a commit's flush) another
# runs. On 2 cores, `bench/run.py --rounds 3` served 314 quiz submits/s with 2 workers, 360 with 3
# and 366 with 4; the chapter page 311, 340 and 303 (bench/README.md). WEB_CONCURRENCY overrides.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
