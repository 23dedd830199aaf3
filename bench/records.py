"""Completion records as the benchmarks make them in bulk (bench/exports.py, bench/reports.py):
the snapshot of the person, their department and the guideline that
quizzes.services.attestation_create takes, filled the same way for both, without its checks."""

from __future__ import annotations

import datetime


def completion_record(
    *,
    member,
    guideline,
    fiscal_year: int,
    completed_at: datetime.datetime,
    attested_at: datetime.datetime,
    clauses: int,
    first_try_correct: int,
    verification_code: str,
    cycle=None,
    version=None,
    chapter_revisions=None,
):
    """An unsaved CompletionRecord of `member` (department selected) for bulk_create; every clause
    mastered, `first_try_correct` of `clauses` right on the first try."""
    from people.models import StaffMember
    from quizzes.models import CompletionRecord

    return CompletionRecord(
        staff=member,
        guideline=guideline,
        fiscal_year=fiscal_year,
        municipality_name=guideline.municipality.name,
        staff_number=member.staff_number,
        staff_name=member.name,
        department_code=member.department.code,
        department_name=member.department.name,
        employment_type=member.employment_type,
        employment_type_label=str(StaffMember.EmploymentType(member.employment_type).label),
        guideline_title=guideline.title,
        guideline_version=str(version.label) if version else guideline.version_label,
        version=version,
        guideline_revision_id=guideline.live_revision_id,
        chapter_revisions=chapter_revisions or {},
        content_hash="0" * 64,
        clauses_mastered=clauses,
        clauses_total=clauses,
        first_try_correct=first_try_correct,
        first_try_total=clauses,
        completed_at=completed_at,
        attested_at=attested_at,
        verification_code=verification_code,
        cycle=cycle,
    )
