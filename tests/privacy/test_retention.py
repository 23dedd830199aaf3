"""Retention (decision 0040): the daily command removes the oldest prefix of a chain past the
personnel-record period and nothing within it, verify_records then starts at the first index kept
(decision 0018), later records continue the chain, answers and logs past their time are erased
while the reports' counts stay, and only HR of the municipality (or the platform admin) edits the
periods. Run on PostgreSQL too: the trigger that refuses any other delete exists only there."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from wagtail.models import ModelLogEntry

from identity.models import AccessEvent
from privacy import services
from privacy.models import RetentionPolicy
from quizzes import chain
from quizzes.models import AttemptItem, CompletionRecord, QuizAttempt
from tests.reports.conftest import make_record
from training.models import Assignment, AssignmentException, ReminderLog
from training.status import status_counts

pytestmark = pytest.mark.django_db

# 5 years of records (the default): on 1 April 2025 年度 2019 goes, 2020 and later stay.
TODAY = datetime.date(2025, 4, 1)


def verify() -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("verify_records", stdout=out)
    except CommandError as exc:
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def apply(today=TODAY) -> str:
    out = StringIO()
    call_command("apply_retention", "--today", today.isoformat(), stdout=out)
    return out.getvalue()


def test_the_oldest_prefix_goes_and_the_chain_still_verifies(world, ashiya):
    records = world["records"]
    output = apply()

    remaining = list(CompletionRecord.objects.filter(municipality=ashiya).order_by("chain_index"))
    assert [r.fiscal_year for r in remaining] == [2023, 2024]
    assert [r.chain_index for r in remaining] == [2, 3]
    assert "records 2" in output
    entry = ModelLogEntry.objects.get(action="quizzes.records_purged")
    assert entry.data["first_index"] == 2
    assert entry.data["previous_hash"] == records[1].record_hash
    ok, report = verify()
    assert ok, report
    assert "from index 2" in report
    # The assignment of the removed record stays 修了 (its date is kept), so the counts hold.
    assignment = Assignment.objects.get(pk=world["assignment"].pk)
    assert assignment.completion_id is None and assignment.completed_at is not None
    # Twice the same day: nothing more.
    assert "records 0" in apply()
    assert ModelLogEntry.objects.filter(action="quizzes.records_purged").count() == 1


def test_a_record_within_retention_stops_the_prefix(world, ashiya):
    """Chain order is attestation order: a recent record before an old one keeps the old one."""
    guideline = world["guideline"]
    late = make_record(world["a_head"], guideline, fiscal_year=2018)  # index 4, after the 2024 record
    apply()
    kept = set(CompletionRecord.objects.filter(municipality=ashiya).values_list("pk", flat=True))
    assert late.pk in kept
    assert world["records"][2].pk in kept
    assert world["records"][0].pk not in kept


def test_records_within_the_personnel_period_are_never_touched(world, ashiya):
    RetentionPolicy.objects.create(municipality=ashiya, record_years=10)
    apply()
    assert CompletionRecord.objects.filter(municipality=ashiya).count() == 4


def test_new_records_continue_the_chain_after_everything_was_purged(world, ashiya):
    RetentionPolicy.objects.create(municipality=ashiya, record_years=1)
    apply(datetime.date(2030, 4, 1))
    assert not CompletionRecord.objects.filter(municipality=ashiya).exists()
    assert chain.start_of(ashiya.pk) == (4, world["records"][3].record_hash)
    fresh = make_record(world["a_emp"], world["guideline"], fiscal_year=2029)
    assert (fresh.chain_index, fresh.previous_hash) == (4, world["records"][3].record_hash)
    ok, report = verify()
    assert ok, report


def test_verify_still_finds_a_record_missing_after_the_purge(world, ashiya):
    apply()
    survivor = world["records"][3]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with transaction.atomic(), connection.cursor() as inner:
            if connection.vendor == "postgresql":
                inner.execute("SET LOCAL sns.allow_purge = on")
            inner.execute(
                f"DELETE FROM {CompletionRecord._meta.db_table} WHERE id = %s",  # noqa: S608
                [world["records"][2].pk],
            )
    ok, report = verify()
    assert not ok
    assert f"record id {survivor.pk}" in report


def test_a_prefix_removed_without_the_purge_is_reported(world, ashiya):
    """Someone deleting the oldest records with the hatch but without the audit entry is caught."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL sns.allow_purge = on")
        Assignment.objects.update(completion=None)
        cursor.execute(
            f"DELETE FROM {CompletionRecord._meta.db_table} WHERE chain_index < 2",  # noqa: S608
        )
    ok, report = verify()
    assert not ok
    assert "chain index 0 is missing" in report


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_without_the_purge_the_trigger_still_refuses(world):
    with pytest.raises(DatabaseError, match="completion records are evidence"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {CompletionRecord._meta.db_table} WHERE id = %s",  # noqa: S608
                [world["records"][0].pk],
            )


def test_answers_and_logs_past_their_time_are_erased_and_counts_kept(world, ashiya):
    old, new = world["old_attempt"], world["new_attempt"]
    cycle = world["assignment"].cycle
    counts_before = Assignment.objects.filter(cycle=cycle).aggregate(**status_counts(datetime.date(2019, 3, 31)))
    apply()  # attempts and logs: 3 years, so 年度 2021 and before go on 1 April 2025

    old_item = AttemptItem.objects.get(attempt=old)
    assert (old_item.selected, old_item.choice_order, old_item.is_correct) == ([], [], True)
    assert QuizAttempt.objects.get(pk=old.pk).correct_count == 1
    assert AttemptItem.objects.get(attempt=new).selected != []
    assert list(AccessEvent.objects.filter(subject=world["a_retired"].user).values_list("ip_address", flat=True)) == [
        "192.0.2.2"
    ]
    assert ReminderLog.objects.get().recipient == ""
    assert AssignmentException.objects.get().note == ""
    assert (
        Assignment.objects.filter(cycle=cycle).aggregate(**status_counts(datetime.date(2019, 3, 31))) == counts_before
    )
    entry = ModelLogEntry.objects.get(action="privacy.retention_applied")
    assert entry.data["answers"] == 1 and entry.data["access_events"] == 1


def test_the_other_municipality_is_left_alone(world, sukagawa, ashiya):
    from tests.factories import GuidelinePageFactory

    other = GuidelinePageFactory(municipality=sukagawa, slug="sukagawa-privacy")
    old = make_record(world["s_emp"], other, fiscal_year=2010)
    out = StringIO()
    call_command("apply_retention", "--municipality", "ashiya", "--today", TODAY.isoformat(), stdout=out)
    assert CompletionRecord.objects.filter(pk=old.pk).exists()


def test_only_hr_of_the_municipality_edits_the_policy(world, ashiya, sukagawa):
    policy = services.retention_policy_update(
        user=world["a_hr"].user, municipality=ashiya, record_years=7, attempt_years=2, log_years=1
    )
    assert (policy.record_years, policy.attempt_years, policy.log_years) == (7, 2, 1)
    assert ModelLogEntry.objects.filter(action="privacy.retention_changed").count() == 1
    for user in (world["s_hr"].user, world["a_head"].user, world["a_emp"].user):
        with pytest.raises(services.PrivacyError):
            services.retention_policy_update(
                user=user, municipality=ashiya, record_years=1, attempt_years=1, log_years=1
            )
    with pytest.raises(services.PrivacyError, match="1〜100"):
        services.retention_policy_update(
            user=world["a_hr"].user, municipality=ashiya, record_years=0, attempt_years=1, log_years=1
        )
    assert RetentionPolicy.objects.get(municipality=ashiya).record_years == 7
    assert not RetentionPolicy.objects.filter(municipality=sukagawa).exists()
