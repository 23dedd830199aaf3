from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from people import scoping

from . import selectors, services
from .forms import parse_id, parse_submission
from .models import QuizAttempt


@require_POST
@login_required
def quiz_start(request, chapter_id: int):
    chapter = selectors.chapter_for_user(user=request.user, pk=chapter_id)
    staff = scoping.acting_staff(request.user)
    try:
        if staff is None:
            # A platform admin reads every chapter but has no staff record to answer as.
            raise services.QuizError(_("この章の設問には回答できません。"))
        attempt = services.attempt_start(staff=staff, chapter=chapter)
    except services.QuizError as exc:
        messages.error(request, str(exc))
        return redirect(chapter.url)
    return redirect("quizzes:attempt", pk=attempt.pk)


@require_http_methods(["GET", "POST"])
@login_required
def attempt(request, pk: int):
    if request.method == "POST":
        return _submit(request, pk)
    return _render(request, selectors.attempt_for_user(user=request.user, pk=pk))


def _submit(request, pk: int):
    """Grade, then show the result by redirect. The well-formed submit, the common case, reads
    the attempt once, under its lock, in the service; refusals read it again to explain."""
    try:
        submission = parse_submission(request.POST)
        services.attempt_submit(attempt_id=pk, user=request.user, submission=submission)
    except QuizAttempt.DoesNotExist:
        raise Http404 from None
    except services.AttemptAlreadyGraded as exc:
        messages.info(request, str(exc))
    except services.QuizError as exc:
        attempt = selectors.attempt_for_user(user=request.user, pk=pk)
        if attempt.state != QuizAttempt.State.GRADED:
            return _render(request, attempt, error=str(exc), answers=request.POST, status=400)
        # A repeated submit shows the first result, whatever it sends.
        messages.info(request, str(services.AttemptAlreadyGraded(attempt)))
    return redirect("quizzes:attempt", pk=pk)


def _render(request, attempt, *, error=None, answers=None, status=200):
    questions = selectors.attempt_questions(attempt=attempt)
    if answers is not None:
        for entry in questions:
            entry["selected"] = {parse_id(v) for v in answers.getlist(f"item-{entry['item'].pk}")} - {None}
    graded = attempt.state == QuizAttempt.State.GRADED
    context = {
        "attempt": attempt,
        "questions": questions,
        "error": error,
        "clauses": selectors.clause_index(guideline=attempt.guideline),
        "guideline": attempt.guideline,
        "chapter": attempt.chapter,
    }
    if graded:
        result = services.chapter_result(staff=attempt.staff, chapter=attempt.chapter)
        context["passed"] = result["passed"]
        context["result"] = result
        if result["passed"]:
            from training.selectors import awaiting_attestation

            # 次の章へ after a pass; 誓約へ進む once every required chapter is passed (誓約待ち).
            done = awaiting_attestation(staff=attempt.staff, guideline_id=attempt.guideline_id)
            context["next_chapter"] = (
                None if done else selectors.next_required_chapter(staff=attempt.staff, chapter=attempt.chapter)
            )
    template = "quizzes/attempt_review.html" if graded else "quizzes/attempt_form.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def attest(request, guideline_id: int):
    staff = scoping.acting_staff(request.user)
    guideline = selectors.guideline_for_user(user=request.user, pk=guideline_id)
    if staff is None:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            record = services.attestation_create(
                staff=staff,
                guideline=guideline,
                version_shown=request.POST.get("version", "")[:100],
                agreed=request.POST.get("agree") == "1",
            )
        except services.QuizError as exc:
            error = str(exc)
        else:
            messages.success(request, _("誓約を受け付けました。修了記録を作成しました。"))
            return redirect("quizzes:certificate", pk=record.pk)
    from courses.versions import current

    return render(
        request,
        "quizzes/attest.html",
        {"guideline": guideline, "version": current(guideline), "error": error},
        status=400 if error else 200,
    )


@login_required
def certificate(request, pk: int):
    """The person's own certificate: what the PDF shows, nothing more (the content hash and the
    first-try score are evidence for HR's records, not the certificate's reader)."""
    record = selectors.record_for_user(user=request.user, pk=pk)
    context = {"record": record, "verification_url": record.verification_url, **record.certificate_dates()}
    return render(request, "quizzes/certificate.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def revision_review(request, review_id: int):
    """改正点の確認 (decision 0037): the 新旧対照表 of the person's changed clauses, the questions on
    them only, and the attestation to the new version. Only the person's own review (404 else)."""
    from courses import versions
    from courses.models import GuidelineVersion
    from training.models import RevisionReview

    review = get_object_or_404(
        RevisionReview.objects.of_user(request.user).select_related("version__guideline", "completion"),
        pk=review_id,
    )
    version = review.version
    previous = (
        GuidelineVersion.objects.filter(guideline_id=version.guideline_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )
    keys = set(review.clause_keys)
    chapters = []
    for chapter in versions.compare(previous, version) if previous else []:
        chapter.rows = [row for row in chapter.rows if row.key in keys]
        if chapter.rows:
            chapters.append(chapter)
    questions = services.revision_questions(guideline_id=version.guideline_id, clause_keys=review.clause_keys)
    error, selected = None, {}
    if request.method == "POST" and review.attestation_id is None:
        for question in questions:
            selected[question.pk] = {parse_id(v) for v in request.POST.getlist(f"question-{question.pk}")} - {None}
        try:
            services.revision_attest(
                user=request.user,
                review_id=review.pk,
                answers=selected,
                version_shown=request.POST.get("version", "")[:20],
                agreed=request.POST.get("agree") == "1",
            )
        except services.QuizError as exc:
            error = str(exc)
        else:
            messages.success(request, _("改正点の確認を受け付けました。"))
            return redirect("quizzes:revision_review", review_id=review.pk)
    elif request.method == "POST":
        return redirect("quizzes:revision_review", review_id=review.pk)
    return render(
        request,
        "quizzes/revision_review.html",
        {
            "review": review,
            "version": version,
            "previous": previous,
            "chapters": chapters,
            "questions": [
                {"question": q, "choices": list(q.choices.all()), "selected": selected.get(q.pk, set())}
                for q in questions
            ],
            "error": error,
        },
        status=400 if error else 200,
    )
