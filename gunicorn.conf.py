"""gunicorn's settings, read from the project directory by `gunicorn sns_training.wsgi`."""

import multiprocessing
import os

# Sync workers, one more than the cores: while one waits for PostgreSQL (a commit's flush) another
# runs. On 2 cores, `bench/run.py --rounds 3` served 314 quiz submits/s with 2 workers, 360 with 3
# and 366 with 4; the chapter page 311, 340 and 303 (bench/README.md). WEB_CONCURRENCY overrides.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))


def post_worker_init(worker):
    """Load WeasyPrint and the certificate font once the worker has loaded Django, so the first PDF
    (certificate, letter, 新旧対照表) a worker serves is as fast as the next (bench/pdf_warmup.py)."""
    from reports import certificates

    try:
        certificates.warm_up()
    except Exception:  # a broken font must not stop the worker; the PDF view reports it clearly
        worker.log.exception("PDF warm-up failed")
