"""Deny by default in the Wagtail admin: the one table of which admin URL a user other than a
platform admin may open, and for which objects (wired by AdminAccessMiddleware).

Every named URL under `/admin/` (Wagtail's own views included) must have an entry in `POLICIES`;
a URL without one answers 404 to everyone but a platform admin, so a Wagtail upgrade that adds a
view cannot open a way into another municipality's data. An entry names the ids a request
carries (in its path, its query string or its form) and the scope each must fall in:
`tests/test_admin_isolation.py` walks every admin URL with each role against the other
municipality's objects and holds this table to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

Check = Callable[[HttpRequest, dict], bool]


# --- scopes: which objects of each kind a user may name in an admin URL ---------------------------


def _ids(values: Iterable) -> list[int] | None:
    """The values as integers, or None when any is not a plain positive integer."""
    result = []
    for value in values:
        text = str(value)
        if not text.isascii() or not text.isdigit():
            return None
        result.append(int(text))
    return result


def pages_in_scope(user, ids: Iterable) -> bool:
    """Each page is the user's municipality's guideline, a page below it, or one of its
    ancestors (the site's root and home page, which every editor's explorer passes through)."""
    from wagtail.models import Page

    from courses.models import GuidelinePage

    ids = _ids(ids)
    if ids is None:
        return False
    if not ids:
        return True
    roots = list(GuidelinePage.objects.visible_to(user).values_list("path", flat=True))
    paths = list(Page.objects.filter(pk__in=set(ids)).values_list("path", flat=True))
    if len(paths) != len(set(ids)):
        return False
    return all(any(path.startswith(root) or root.startswith(path) for root in roots) for path in paths)


def _queryset_scope(queryset: Callable) -> Callable[[object, Iterable], bool]:
    def in_scope(user, ids: Iterable) -> bool:
        ids = _ids(ids)
        if ids is None:
            return False
        wanted = set(ids)
        return queryset(user).filter(pk__in=wanted).count() == len(wanted)

    return in_scope


def _questions(user):
    from quizzes.models import ScenarioQuestion

    return ScenarioQuestion.objects.visible_to(user)


def _selfcheck_rules(user):
    from selfcheck.models import SelfCheckRule

    return SelfCheckRule.objects.visible_to(user)


def _cycles(user):
    from training.models import TrainingCycle

    return TrainingCycle.objects.visible_to(user)


def _appointable_staff(user):
    """The people a user may appoint roles for: HR their municipality's (people/scoping.py), none
    without the permission (decision 0027)."""
    from people.models import StaffMember

    if not user.has_perm("people.appoint_roles"):
        return StaffMember.objects.none()
    return StaffMember.objects.visible_to(user)


def _staff(user):
    from people.models import StaffMember

    return StaffMember.objects.visible_to(user)


def _departments(user):
    from people.models import Department

    return Department.objects.visible_to(user)


questions_in_scope = _queryset_scope(_questions)
staff_in_scope = _queryset_scope(_staff)
departments_in_scope = _queryset_scope(_departments)


def _login_admin_staff(user):
    from identity.selectors import staff_for_login_admin

    return staff_for_login_admin(user=user)


questions_in_scope = _queryset_scope(_questions)
selfcheck_rules_in_scope = _queryset_scope(_selfcheck_rules)
login_admin_staff_in_scope = _queryset_scope(_login_admin_staff)


def _privacy_staff(user):
    """Whose personal data a user may export or erase: HR their municipality's staff (retired
    included), the platform admin everyone's (privacy/selectors.py)."""
    from privacy.selectors import staff_for_privacy

    return staff_for_privacy(user=user)


def _privacy_municipalities(user):
    from privacy.selectors import municipalities_for_retention

    return municipalities_for_retention(user=user)


privacy_staff_in_scope = _queryset_scope(_privacy_staff)
privacy_municipality_in_scope = _queryset_scope(_privacy_municipalities)
cycles_in_scope = _queryset_scope(_cycles)
appointable_staff_in_scope = _queryset_scope(_appointable_staff)


def revisions_in_scope(user, ids: Iterable, *, of: str) -> bool:
    """Revisions of pages or questions in the user's scope."""
    from wagtail.models import Revision

    ids = _ids(ids)
    if ids is None:
        return False
    rows = list(Revision.objects.filter(pk__in=set(ids)).values_list("object_id", "base_content_type__model"))
    if len(rows) != len(set(ids)):
        return False
    if of == "page":
        return all(model == "page" for _oid, model in rows) and pages_in_scope(user, [oid for oid, _m in rows])
    if of == "selfcheckrule":
        return all(model == of for _oid, model in rows) and selfcheck_rules_in_scope(user, [oid for oid, _m in rows])
    return all(model == "scenarioquestion" for _oid, model in rows) and questions_in_scope(
        user, [oid for oid, _m in rows]
    )


def workflow_states_in_scope(user, ids: Iterable, *, of: str, object_id) -> bool:
    """Workflow states of the object the URL names (and so in the user's scope with it)."""
    from wagtail.models import WorkflowState

    ids = _ids(ids)
    if ids is None:
        return False
    rows = list(WorkflowState.objects.filter(pk__in=set(ids)).values_list("object_id", "base_content_type__model"))
    model = {"page": "page", "selfcheckrule": "selfcheckrule"}.get(of, "scenarioquestion")
    return len(rows) == len(set(ids)) and all(oid == str(object_id) and m == model for oid, m in rows)


def task_states_in_scope(user, ids: Iterable, *, of: str, object_id) -> bool:
    from wagtail.models import TaskState

    ids = _ids(ids)
    if ids is None:
        return False
    rows = list(
        TaskState.objects.filter(pk__in=set(ids)).values_list(
            "workflow_state__object_id", "workflow_state__base_content_type__model"
        )
    )
    model = {"page": "page", "selfcheckrule": "selfcheckrule"}.get(of, "scenarioquestion")
    return len(rows) == len(set(ids)) and all(oid == str(object_id) and m == model for oid, m in rows)


# --- policies: what a request to one URL may name --------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """`check(request, kwargs)` is True when every object the request names is in scope.
    `platform_only` URLs are refused to everyone but a platform admin."""

    check: Check | None = None
    platform_only: bool = False


PLATFORM_ONLY = Policy(platform_only=True)


def _no_objects(request, kwargs) -> bool:
    return True


# Views that name no object and show only what Wagtail or the project already scopes to the
# user (the walk test checks each shows nothing of the other municipality).
SCOPED_BY_VIEW = Policy(check=_no_objects)
# The project's own views of one object, which fetch it through a scoped selector
# (people.selectors.roster_import_get, reports.bundles.bundle_for_user,
# reports.selectors.record_for_reports, the personnel report's queryset).
SCOPED_BY_SELECTOR = Policy(check=_no_objects)


def _kwargs(*names: str, scope) -> Policy:
    def check(request, kwargs):
        return scope(request.user, [kwargs[name] for name in names if name in kwargs])

    return Policy(check=check)


def _page_kwargs(*names: str) -> Policy:
    return _kwargs(*names, scope=pages_in_scope)


def _query_ids(request, *names: str) -> list[str]:
    values = []
    for name in names:
        values += request.GET.getlist(name)
        if request.method == "POST":
            values += request.POST.getlist(name)
    return values


def _page_ids_in_query(*names: str, required: bool = False) -> Policy:
    def check(request, kwargs):
        values = _query_ids(request, *names)
        if required and not values:
            return False
        return pages_in_scope(request.user, values)

    return Policy(check=check)


def _page_revision(request, kwargs) -> bool:
    return pages_in_scope(request.user, [kwargs["page_id"]]) and revisions_in_scope(
        request.user, [kwargs["revision_id"]], of="page"
    )


def _page_compare(request, kwargs) -> bool:
    revisions = [kwargs[k] for k in ("revision_id_a", "revision_id_b") if kwargs[k] not in ("live", "earliest")]
    return pages_in_scope(request.user, [kwargs["pk"]]) and revisions_in_scope(request.user, revisions, of="page")


def _page_workflow_state(request, kwargs) -> bool:
    return pages_in_scope(request.user, [kwargs["page_id"]]) and workflow_states_in_scope(
        request.user, [kwargs["workflow_state_id"]], of="page", object_id=kwargs["page_id"]
    )


def _page_task_state(request, kwargs) -> bool:
    return pages_in_scope(request.user, [kwargs["page_id"]]) and task_states_in_scope(
        request.user, [kwargs["task_state_id"]], of="page", object_id=kwargs["page_id"]
    )


def _page_workflow_preview(request, kwargs) -> bool:
    """The preview of a page at one task of its workflow: the page and a task of the workflow it
    is in."""
    from wagtail.models import WorkflowState

    page_id = kwargs["page_id"]
    if not pages_in_scope(request.user, [page_id]):
        return False
    return WorkflowState.objects.filter(
        object_id=str(page_id), base_content_type__model="page", workflow__workflow_tasks__task_id=kwargs["task_id"]
    ).exists()


def _question(request, kwargs) -> bool:
    return questions_in_scope(request.user, [kwargs["pk"]])


def _question_revision(request, kwargs) -> bool:
    return _question(request, kwargs) and revisions_in_scope(request.user, [kwargs["revision_id"]], of="question")


def _question_compare(request, kwargs) -> bool:
    revisions = [kwargs[k] for k in ("revision_id_a", "revision_id_b") if kwargs[k] not in ("live", "earliest")]
    return _question(request, kwargs) and revisions_in_scope(request.user, revisions, of="question")


def _question_workflow_state(request, kwargs) -> bool:
    return _question(request, kwargs) and workflow_states_in_scope(
        request.user, [kwargs["workflow_state_id"]], of="question", object_id=kwargs["pk"]
    )


def _question_task_state(request, kwargs) -> bool:
    return _question(request, kwargs) and task_states_in_scope(
        request.user, [kwargs["task_state_id"]], of="question", object_id=kwargs["pk"]
    )


def _selfcheck_rule(request, kwargs) -> bool:
    return selfcheck_rules_in_scope(request.user, [kwargs["pk"]])


def _selfcheck_rule_revision(request, kwargs) -> bool:
    return _selfcheck_rule(request, kwargs) and revisions_in_scope(
        request.user, [kwargs["revision_id"]], of="selfcheckrule"
    )


def _selfcheck_rule_compare(request, kwargs) -> bool:
    revisions = [kwargs[k] for k in ("revision_id_a", "revision_id_b") if kwargs[k].isdigit()]
    return _selfcheck_rule(request, kwargs) and revisions_in_scope(request.user, revisions, of="selfcheckrule")


def _selfcheck_rule_workflow_state(request, kwargs) -> bool:
    return _selfcheck_rule(request, kwargs) and workflow_states_in_scope(
        request.user, [kwargs["workflow_state_id"]], of="selfcheckrule", object_id=kwargs["pk"]
    )


def _selfcheck_rule_task_state(request, kwargs) -> bool:
    return _selfcheck_rule(request, kwargs) and task_states_in_scope(
        request.user, [kwargs["task_state_id"]], of="selfcheckrule", object_id=kwargs["pk"]
    )


def _questions_in_query(request, kwargs) -> bool:
    return questions_in_scope(request.user, _query_ids(request, "id"))


def _bulk_action(request, kwargs) -> bool:
    """Bulk actions on pages (ids, or every child of a page in scope) and on questions (ids)."""
    ids = _query_ids(request, "id")
    model = (kwargs["app_label"], kwargs["model_name"])
    if model == ("wagtailcore", "page"):
        if "all" in ids:
            parents = _query_ids(request, "childOf")
            return len(parents) == 1 and pages_in_scope(request.user, parents)
        return bool(ids) and pages_in_scope(request.user, ids)
    if model == ("quizzes", "scenarioquestion"):
        return bool(ids) and "all" not in ids and questions_in_scope(request.user, ids)
    return False


def _editing_session(request, kwargs) -> bool:
    """Who else is editing this object: only of pages and questions in scope."""
    model = (kwargs["app_label"], kwargs["model_name"])
    if model == ("wagtailcore", "page"):
        return pages_in_scope(request.user, [kwargs["object_id"]])
    if model == ("quizzes", "scenarioquestion"):
        return questions_in_scope(request.user, [kwargs["object_id"]])
    return False


def _editing_session_release(request, kwargs) -> bool:
    from wagtail.admin.models import EditingSession

    return EditingSession.objects.filter(pk=kwargs["session_id"], user=request.user).exists()


def _api_pages_listing(request, kwargs) -> bool:
    """The explorer menu's listing: the children (or descendants) of a page in scope."""
    parents = _query_ids(request, "child_of", "descendant_of")
    if parents == ["root"]:
        return True  # the root's children are the home page, which names no municipality
    return bool(parents) and pages_in_scope(request.user, parents)


def _chooser_pages_in_query(request, kwargs) -> bool:
    return pages_in_scope(request.user, _query_ids(request, "id"))


def _staff_and_departments_in_query(request, kwargs) -> bool:
    """First-access letters (identity/letters_admin.py): every `staff` and `department` id in the
    query or form is of the user's reach."""
    return staff_in_scope(request.user, _query_ids(request, "staff")) and departments_in_scope(
        request.user, _query_ids(request, "department")
    )


POLICIES: dict[str, Policy] = {
    # Every admin user: their dashboard, account, log-out, the admin's assets.
    "wagtailadmin_home": SCOPED_BY_VIEW,
    "wagtailadmin_account": SCOPED_BY_VIEW,
    "wagtailadmin_logout": SCOPED_BY_VIEW,
    "wagtailadmin_login": SCOPED_BY_VIEW,
    "wagtailadmin_password_reset": SCOPED_BY_VIEW,
    "wagtailadmin_password_reset_done": SCOPED_BY_VIEW,
    "wagtailadmin_password_reset_confirm": SCOPED_BY_VIEW,
    "wagtailadmin_password_reset_complete": SCOPED_BY_VIEW,
    "wagtailadmin_javascript_catalog": SCOPED_BY_VIEW,
    "wagtailadmin_sprite": SCOPED_BY_VIEW,
    "wagtailadmin_dismissibles": SCOPED_BY_VIEW,
    "wagtailadmin_block_preview": SCOPED_BY_VIEW,
    "wagtailadmin_tag_autocomplete": SCOPED_BY_VIEW,
    "wagtailadmin_tag_model_autocomplete": SCOPED_BY_VIEW,
    # Pages: Wagtail limits listings and searches to the pages a user may explore (their
    # guideline's tree: editorial_setup); every id in a URL must be in that tree.
    "wagtailadmin_explore_root": SCOPED_BY_VIEW,
    "wagtailadmin_explore": _page_kwargs("parent_page_id"),
    "wagtailadmin_explore_results": _page_kwargs("parent_page_id"),
    "wagtailadmin_pages:search": SCOPED_BY_VIEW,
    "wagtailadmin_pages:search_results": SCOPED_BY_VIEW,
    "wagtailadmin_pages:add": _page_kwargs("parent_page_id"),
    "wagtailadmin_pages:preview_on_add": _page_kwargs("parent_page_id"),
    "wagtailadmin_pages:add_subpage": _page_kwargs("parent_page_id"),
    "wagtailadmin_pages:usage": _page_kwargs("page_id"),
    "wagtailadmin_pages:edit": _page_kwargs("page_id"),
    # The 新旧対照表 of a chapter's draft (courses/admin_views.py).
    "courses_chapter_changes": _page_kwargs("page_id"),
    "wagtailadmin_pages:preview_on_edit": _page_kwargs("page_id"),
    "wagtailadmin_pages:view_draft": _page_kwargs("page_id"),
    "wagtailadmin_pages:delete": _page_kwargs("page_id"),
    "wagtailadmin_pages:unpublish": _page_kwargs("page_id"),
    "wagtailadmin_pages:convert_alias": _page_kwargs("page_id"),
    "wagtailadmin_pages:move": _page_kwargs("page_to_move_id"),
    "wagtailadmin_pages:move_confirm": _page_kwargs("page_to_move_id", "destination_id"),
    "wagtailadmin_pages:set_page_position": _page_kwargs("page_to_move_id"),
    "wagtailadmin_pages:copy": _page_kwargs("page_id"),
    "wagtailadmin_pages:workflow_action": Policy(check=_page_task_state),
    "wagtailadmin_pages:collect_workflow_action_data": Policy(check=_page_task_state),
    "wagtailadmin_pages:confirm_workflow_cancellation": _page_kwargs("page_id"),
    "wagtailadmin_pages:workflow_preview": Policy(check=_page_workflow_preview),
    "wagtailadmin_pages:set_privacy": _page_kwargs("page_id"),
    "wagtailadmin_pages:lock": _page_kwargs("page_id"),
    "wagtailadmin_pages:unlock": _page_kwargs("page_id"),
    "wagtailadmin_pages:revisions_index": _page_kwargs("page_id"),
    "wagtailadmin_pages:revisions_view": Policy(check=_page_revision),
    "wagtailadmin_pages:revisions_revert": Policy(check=_page_revision),
    "wagtailadmin_pages:revisions_unschedule": Policy(check=_page_revision),
    "wagtailadmin_pages:revisions_compare": Policy(check=_page_compare),
    "wagtailadmin_pages:workflow_history": _page_kwargs("page_id"),
    "wagtailadmin_pages:workflow_history_detail": Policy(check=_page_workflow_state),
    "wagtailadmin_pages:history": _page_kwargs("page_id"),
    "wagtailadmin_pages:history_results": _page_kwargs("page_id"),
    "wagtailadmin_api:pages:listing": Policy(check=_api_pages_listing),
    "wagtailadmin_api:pages:detail": _page_kwargs("pk"),
    "wagtailadmin_api:pages:action": _page_kwargs("pk"),
    # The page chooser: construct_page_chooser_queryset (courses/wagtail_hooks.py) limits it.
    "wagtailadmin_choose_page": SCOPED_BY_VIEW,
    "wagtailadmin_choose_page_child": _page_kwargs("parent_page_id"),
    "wagtailadmin_choose_page_search": SCOPED_BY_VIEW,
    "wagtailadmin_choose_page_chosen_multiple": Policy(check=_chooser_pages_in_query),
    "wagtailadmin_choose_page_external_link": SCOPED_BY_VIEW,
    "wagtailadmin_choose_page_email_link": SCOPED_BY_VIEW,
    "wagtailadmin_choose_page_phone_link": SCOPED_BY_VIEW,
    "wagtailadmin_choose_page_anchor_link": SCOPED_BY_VIEW,
    "wagtail_bulk_action": Policy(check=_bulk_action),
    "wagtailadmin_editing_sessions:ping": Policy(check=_editing_session),
    "wagtailadmin_editing_sessions:release": Policy(check=_editing_session_release),
    # Scenario questions: the viewset's queryset is the user's municipality's questions
    # (quizzes/viewsets.py); every id in a URL must be one of them.
    "wagtailsnippets:index": SCOPED_BY_VIEW,
    "wagtailsnippets_quizzes_scenarioquestion:list": SCOPED_BY_VIEW,
    "wagtailsnippets_quizzes_scenarioquestion:list_results": SCOPED_BY_VIEW,
    "wagtailsnippets_quizzes_scenarioquestion:add": SCOPED_BY_VIEW,
    "wagtailsnippets_quizzes_scenarioquestion:edit": Policy(check=_question),
    "wagtailsnippets_quizzes_scenarioquestion:delete": Policy(check=_question),
    "wagtailsnippets_quizzes_scenarioquestion:usage": Policy(check=_question),
    "wagtailsnippets_quizzes_scenarioquestion:history": Policy(check=_question),
    "wagtailsnippets_quizzes_scenarioquestion:history_results": Policy(check=_question),
    "wagtailsnippets_quizzes_scenarioquestion:revisions_revert": Policy(check=_question_revision),
    "wagtailsnippets_quizzes_scenarioquestion:revisions_compare": Policy(check=_question_compare),
    "wagtailsnippets_quizzes_scenarioquestion:revisions_unschedule": Policy(check=_question_revision),
    "wagtailsnippets_quizzes_scenarioquestion:unpublish": Policy(check=_question),
    "wagtailsnippets_quizzes_scenarioquestion:lock": Policy(check=_question),
    "wagtailsnippets_quizzes_scenarioquestion:unlock": Policy(check=_question),
    "wagtailsnippets_quizzes_scenarioquestion:workflow_action": Policy(check=_question_task_state),
    "wagtailsnippets_quizzes_scenarioquestion:collect_workflow_action_data": Policy(check=_question_task_state),
    "wagtailsnippets_quizzes_scenarioquestion:confirm_workflow_cancellation": Policy(check=_question),
    "wagtailsnippets_quizzes_scenarioquestion:workflow_history": Policy(check=_question),
    "wagtailsnippets_quizzes_scenarioquestion:workflow_history_detail": Policy(check=_question_workflow_state),
    # The chooser lists the user's municipality's questions (quizzes/viewsets.py).
    "wagtailsnippetchoosers_quizzes_scenarioquestion:choose": SCOPED_BY_VIEW,
    "wagtailsnippetchoosers_quizzes_scenarioquestion:choose_results": SCOPED_BY_VIEW,
    "wagtailsnippetchoosers_quizzes_scenarioquestion:chosen": Policy(check=_question),
    "wagtailsnippetchoosers_quizzes_scenarioquestion:chosen_multiple": Policy(check=_questions_in_query),
    "wagtailsnippetchoosers_quizzes_scenarioquestion:create": SCOPED_BY_VIEW,
    # Self-check rules (selfcheck/viewsets.py): the list is the user's municipality's; editors
    # change and approvers publish one rule at a time. Rules are seeded, never added or deleted
    # in the admin (add, delete and the chooser stay denied).
    "wagtailsnippets_selfcheck_selfcheckrule:list": SCOPED_BY_VIEW,
    "wagtailsnippets_selfcheck_selfcheckrule:list_results": SCOPED_BY_VIEW,
    "wagtailsnippets_selfcheck_selfcheckrule:edit": Policy(check=_selfcheck_rule),
    "wagtailsnippets_selfcheck_selfcheckrule:history": Policy(check=_selfcheck_rule),
    "wagtailsnippets_selfcheck_selfcheckrule:history_results": Policy(check=_selfcheck_rule),
    "wagtailsnippets_selfcheck_selfcheckrule:revisions_revert": Policy(check=_selfcheck_rule_revision),
    "wagtailsnippets_selfcheck_selfcheckrule:revisions_compare": Policy(check=_selfcheck_rule_compare),
    "wagtailsnippets_selfcheck_selfcheckrule:revisions_unschedule": Policy(check=_selfcheck_rule_revision),
    "wagtailsnippets_selfcheck_selfcheckrule:lock": Policy(check=_selfcheck_rule),
    "wagtailsnippets_selfcheck_selfcheckrule:unlock": Policy(check=_selfcheck_rule),
    "wagtailsnippets_selfcheck_selfcheckrule:workflow_action": Policy(check=_selfcheck_rule_task_state),
    "wagtailsnippets_selfcheck_selfcheckrule:collect_workflow_action_data": Policy(check=_selfcheck_rule_task_state),
    "wagtailsnippets_selfcheck_selfcheckrule:confirm_workflow_cancellation": Policy(check=_selfcheck_rule),
    "wagtailsnippets_selfcheck_selfcheckrule:workflow_history": Policy(check=_selfcheck_rule),
    "wagtailsnippets_selfcheck_selfcheckrule:workflow_history_detail": Policy(check=_selfcheck_rule_workflow_state),
    # Training cycles: Wagtail's edit, history and usage views fetch the object by pk alone.
    # The roster and the HR reports: the project's own views, each of which fetches its object
    # through a scoped selector (404 outside the user's municipality).
    "training_cycles:index": SCOPED_BY_VIEW,
    "training_cycles:index_results": SCOPED_BY_VIEW,
    "training_cycles:add": SCOPED_BY_VIEW,
    "training_cycles:edit": _kwargs("pk", scope=cycles_in_scope),
    "training_cycles:inspect": _kwargs("pk", scope=cycles_in_scope),
    "training_cycles:delete": _kwargs("pk", scope=cycles_in_scope),
    "training_cycles:history": _kwargs("pk", scope=cycles_in_scope),
    "training_cycles:history_results": _kwargs("pk", scope=cycles_in_scope),
    "training_cycles:usage": _kwargs("pk", scope=cycles_in_scope),
    # Exceptions for one person (training/exceptions_admin.py): the cycle in scope; the view
    # itself admits HR only and takes assignments through training.services.exception_scope.
    "training-exceptions:cycle": _kwargs("pk", scope=cycles_in_scope),
    "roster-import:index": SCOPED_BY_VIEW,
    "roster-import:detail": SCOPED_BY_SELECTOR,
    "roster-import:commit": SCOPED_BY_SELECTOR,
    "roster-import:errors": SCOPED_BY_SELECTOR,
    # Department history (people/department_admin.py): HR's own municipality's departments and people.
    "department-history:index": SCOPED_BY_VIEW,
    "department-history:detail": _kwargs("pk", scope=departments_in_scope),
    "department-history:staff": _kwargs("pk", scope=staff_in_scope),
    # Roles appointed on screen (people/viewsets.py RolesViewSet): HR's own municipality's people;
    # the views fetch them again through people.selectors.role_staff_get.
    "staff-roles:index": SCOPED_BY_VIEW,
    "staff-roles:departments": SCOPED_BY_VIEW,
    "staff-roles:detail": _kwargs("pk", scope=appointable_staff_in_scope),
    "staff-roles:appoint": _kwargs("pk", scope=appointable_staff_in_scope),
    "staff-roles:remove": _kwargs("pk", scope=appointable_staff_in_scope),
    # HR reports: each report's queryset is the user's municipality (reports/).
    "reports_admin:completion_records": SCOPED_BY_VIEW,
    "reports_admin:completion_records_results": SCOPED_BY_VIEW,
    "reports_admin:certificate_pdf": SCOPED_BY_SELECTOR,
    "reports_admin:certificates_zip": SCOPED_BY_VIEW,
    "reports_admin:certificate_bundle": SCOPED_BY_SELECTOR,
    "reports_admin:certificate_bundle_status": SCOPED_BY_SELECTOR,
    "reports_admin:certificate_bundle_requeue": SCOPED_BY_SELECTOR,
    "reports_admin:certificate_bundle_download": SCOPED_BY_SELECTOR,
    "reports_admin:verify": SCOPED_BY_VIEW,
    "hr_reports:department_summary": SCOPED_BY_VIEW,
    "hr_reports:department_summary_results": SCOPED_BY_VIEW,
    "hr_reports:staff": SCOPED_BY_VIEW,
    "hr_reports:staff_results": SCOPED_BY_VIEW,
    "hr_reports:heatmap": SCOPED_BY_VIEW,
    "hr_reports:heatmap_results": SCOPED_BY_VIEW,
    "hr_reports:items": SCOPED_BY_VIEW,
    "hr_reports:items_results": SCOPED_BY_VIEW,
    "hr_reports:personnel_search": SCOPED_BY_VIEW,
    "hr_reports:personnel_search_results": SCOPED_BY_VIEW,
    "hr_reports:personnel": SCOPED_BY_SELECTOR,
    "hr_reports:dashboard": SCOPED_BY_VIEW,
    # The access log (identity/views.py): the list is AccessEvent.objects.visible_to(user), an
    # entry is fetched through identity.selectors.access_event_get (404 outside the municipality).
    "access_log:index": SCOPED_BY_VIEW,
    "access_log:index_results": SCOPED_BY_VIEW,
    "access_log:detail": SCOPED_BY_SELECTOR,
    # First-access letters: HR of the municipality only (the views check identity.issue_setupcode);
    # every staff or department id named must be within the user's reach.
    "setup_letters:index": Policy(check=_staff_and_departments_in_query),
    "setup_letters:confirm": Policy(check=_staff_and_departments_in_query),
    "setup_letters:issue": Policy(check=_staff_and_departments_in_query),
    # ログインの管理 (identity/mfa_admin.py): HR's own municipality's staff only.
    "identity_logins:index": SCOPED_BY_VIEW,
    "identity_logins:staff": _kwargs("staff_id", scope=login_admin_staff_in_scope),
    "identity_logins:revoke_sessions": _kwargs("staff_id", scope=login_admin_staff_in_scope),
    "identity_logins:reset_mfa": _kwargs("staff_id", scope=login_admin_staff_in_scope),
    # 個人情報の管理 (privacy/admin_views.py, decision 0040): HR's own municipality's staff and policy.
    "personal_data:index": SCOPED_BY_VIEW,
    "personal_data:staff": _kwargs("staff_id", scope=privacy_staff_in_scope),
    "personal_data:erase": _kwargs("staff_id", scope=privacy_staff_in_scope),
    "personal_data:retention": _kwargs("municipality_id", scope=privacy_municipality_in_scope),
}

# Wagtail's site-wide reports (site history, workflows, aging and locked pages, page types),
# users, groups, sites, collections, workflows, redirects, settings, forms, images, documents,
# embeds and municipalities have no entry: they are the platform admin's alone.


def policy_for(view_name: str) -> Policy:
    """The entry for a URL name; the platform admin's alone when the table has none."""
    return POLICIES.get(view_name, PLATFORM_ONLY)


def check_admin_request(request: HttpRequest, url_name: str | None, view_name: str, kwargs: dict) -> None:
    """Raise Http404 (an object outside the user's scope, or an unnamed admin URL) or
    PermissionDenied (a view that is the platform admin's) unless the user may make this request."""
    user = request.user
    if not user.is_authenticated:
        return  # Wagtail sends anonymous users to the log-in page; nothing is shown to them.
    if user.is_superuser:
        return
    if url_name is None:
        raise Http404
    policy = policy_for(view_name)
    if policy.platform_only:
        raise PermissionDenied
    if not policy.check(request, kwargs):
        raise Http404


class AdminAccessMiddleware:
    """Applies `POLICIES` to every request that resolves under `/admin/`, before the view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.route.startswith("admin/"):
            if _staff_without_admin(request.user):
                return not_for_staff(request)
            check_admin_request(request, match.url_name, match.view_name, match.kwargs)
        return None


def _staff_without_admin(user) -> bool:
    """A logged-in person whose roles give no admin access (an employee, a 所属長)."""
    return user.is_authenticated and not user.is_superuser and not user.has_perm("wagtailadmin.access_admin")


def not_for_staff(request: HttpRequest):
    """What an employee who opens /admin/ sees: a Japanese page saying the admin is for HR and
    editors and where their own pages are, instead of Wagtail's log-in form and English message."""
    from django.template.response import TemplateResponse

    return TemplateResponse(request, "admin_not_for_staff.html", status=403)


def menu_items_allowed(request: HttpRequest, menu_items: list) -> list:
    """The menu items whose page the user may open: a platform admin's views leave the menus of
    everyone else (submenus and items whose URL is not an admin view stay)."""
    from django.urls import Resolver404, resolve

    if request.user.is_superuser:
        return list(menu_items)
    kept = []
    for item in menu_items:
        url = getattr(item, "url", None) or ""
        try:
            match = resolve(str(url).split("?", 1)[0]) if str(url).startswith("/") else None
        except Resolver404:
            match = None  # a submenu ("#") or an outside link: not an admin view of ours to refuse
        if match is not None and match.route.startswith("admin/") and policy_for(match.view_name).platform_only:
            continue
        kept.append(item)
    return kept
