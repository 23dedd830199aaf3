from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services
from .forms import parse_submission
from .models import QuizAttempt


@require_POST
@login_required
def quiz_start(request, chapter_id: int):
    chapter = selectors.chapter_for_user(user=request.user, pk=chapter_id)
    try:
        attempt = services.attempt_start(staff=request.user.staff_profile, chapter=chapter)
    except services.QuizError as exc:
        messages.error(request, str(exc))
        return redirect(chapter.url)
    return redirect("quizzes:attempt", pk=attempt.pk)


@require_http_methods(["GET", "POST"])
@login_required
def attempt(request, pk: int):
    attempt = selectors.attempt_for_user(user=request.user, pk=pk)
    if request.method == "POST":
        try:
            submission = parse_submission(request.POST)
            services.attempt_submit(attempt_id=attempt.pk, user=request.user, submission=submission)
        except services.AttemptAlreadyGraded as exc:
            messages.info(request, str(exc))
        except services.QuizError as exc:
            return _render(request, attempt, error=str(exc), answers=request.POST, status=400)
        return redirect("quizzes:attempt", pk=attempt.pk)
    return _render(request, attempt)


def _render(request, attempt, *, error=None, answers=None, status=200):
    questions = selectors.attempt_questions(attempt=attempt)
    if answers is not None:
        for entry in questions:
            entry["selected"] = {int(v) for v in answers.getlist(f"item-{entry['item'].pk}") if v.isdigit()}
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
        context["passed"] = services.chapter_passed(staff=attempt.staff, chapter=attempt.chapter)
    template = "quizzes/attempt_review.html" if graded else "quizzes/attempt_form.html"
    return render(request, template, context, status=status)
