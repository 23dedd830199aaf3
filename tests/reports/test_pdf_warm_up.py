"""A fresh gunicorn worker loads WeasyPrint, the font and the certificate template before its first
request (bench/pdf_warmup.py prints the first PDF's time against the next ones)."""

from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

from reports import certificates

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_warm_up_renders_a_sample_and_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        certificates.warm_up()


def test_gunicorn_warms_each_worker_up(monkeypatch):
    calls = []
    monkeypatch.setattr(certificates, "warm_up", lambda: calls.append("warm"))
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    config["post_worker_init"](SimpleNamespace(log=None))

    assert calls == ["warm"]


def test_a_broken_font_does_not_stop_the_worker(monkeypatch):
    logged = []

    def broken():
        raise OSError("font unreadable")

    monkeypatch.setattr(certificates, "warm_up", broken)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    config["post_worker_init"](SimpleNamespace(log=SimpleNamespace(exception=logged.append)))

    assert logged == ["PDF warm-up failed"]
