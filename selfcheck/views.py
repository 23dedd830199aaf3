"""投稿前セルフチェック: staff paste a draft and see which clauses of their own guideline it may
break (decision 0041). The draft lives only in this request: it is not stored, logged, cached or
put in the session, and error reports leave it out."""

from __future__ import annotations

import itertools

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from people import scoping

from . import defaults, selectors
from .forms import SelfCheckForm
from .services import SelfCheckError, selfcheck_run


@sensitive_post_parameters("draft")
@sensitive_variables("text", "form")
@never_cache
@login_required
def check(request):
    staff = scoping.acting_staff(request.user)
    guideline = selectors.guideline_of(municipality_id=staff.municipality_id) if staff else None
    initial = {"account_type": defaults.OFFICIAL if staff and staff.operates_official_account else defaults.PRIVATE}
    form = SelfCheckForm(request.POST if request.method == "POST" else None, initial=initial)
    result = None
    if staff is not None and request.method == "POST" and form.is_valid():
        text = form.cleaned_data["draft"]
        try:
            findings = selfcheck_run(
                user=request.user,
                text=text,
                account_type=form.cleaned_data["account_type"],
                planned_at=form.cleaned_data["planned_at"],
                platform=form.cleaned_data["platform"],
            )
        except SelfCheckError as error:
            form.add_error(None, str(error))
        else:
            citations = selectors.clause_citations(guideline=guideline) if guideline else {}
            result = present(text=text, findings=findings, citations=citations)
            result["planned_at"] = form.cleaned_data["planned_at"]
            result["account_type"] = form.cleaned_data["account_type"]
    return render(
        request,
        "selfcheck/check.html",
        {"form": form, "staff": staff, "guideline": guideline, "result": result},
        status=400 if request.method == "POST" and form.errors else 200,
    )


def present(*, text: str, findings, citations: dict) -> dict:
    """Findings grouped by rule (numbered in the order they first appear) and the draft cut into
    segments, each marked with the numbers of the rules whose passage covers it."""
    groups: dict[str, dict] = {}
    for finding in findings:
        group = groups.get(finding.code)
        if group is None:
            group = groups[finding.code] = {
                "number": len(groups) + 1,
                "code": finding.code,
                "label": finding.label,
                "message": finding.message,
                "clause": citations.get(finding.clause_key, {"key": finding.clause_key, "label": finding.clause_key}),
                "passages": [],
            }
        if finding.passage and finding.passage not in group["passages"]:
            group["passages"].append(finding.passage)
    cuts = {0, len(text)}
    for finding in findings:
        if finding.start is not None:
            cuts.update((finding.start, finding.end))
    bounds = sorted(cuts)
    segments = []
    for start, end in itertools.pairwise(bounds):
        numbers = sorted(
            {groups[f.code]["number"] for f in findings if f.start is not None and f.start <= start and end <= f.end}
        )
        segments.append({"text": text[start:end], "numbers": numbers})
    return {"groups": list(groups.values()), "segments": segments}
