"""Deny by default in the Wagtail admin (sns_training/admin_access.py), walked as an attacker would.

Every URL pattern the resolver knows under /admin/ — Wagtail's own included, so a Wagtail upgrade
that adds a view is walked too — is filled with the other municipality's objects (pages, draft
revisions, questions in moderation, workflow and task states, cycles, roster uploads, records,
certificate ZIPs, users) and requested by each role of each municipality, in both directions.
Every object of a municipality carries its marker in its names, titles and e-mail addresses: no
answer (whatever its status) may contain the other municipality's marker, and a POST with the
other municipality's ids must change nothing of it.

A third municipality runs the same walk both ways: 北杜市, made by the platform admin's onboarding
(sns_training.services.municipality_onboard, decision 0038), whose guideline, editor and approver
groups, workflow and HR person are onboarding's, not the factories'."""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from wagtail.admin.models import EditingSession
from wagtail.models import Page, Revision, TaskState, WorkflowState

from courses.services import editorial_setup
from identity.models import AccessEvent
from identity.services import access_event_record
from people import services as people_services
from people.models import RosterImport, StaffMember
from quizzes.models import CompletionRecord, ScenarioQuestion
from reports.models import CertificateBundle
from sns_training.admin_access import POLICIES
from sns_training.services import FirstHR
from tests.factories import (
    ChapterPageFactory,
    DepartmentFactory,
    GuidelinePageFactory,
    MunicipalityFactory,
    QuestionFactory,
    StaffMemberFactory,
    TrainingCycleFactory,
    clause,
    onboarded_municipality,
    roster_csv,
)
from tests.helpers import response_text

pytestmark = pytest.mark.django_db

Role = StaffMember.Role
ROLES = ["employee", "head", "hr", "editor", "approver"]
MARKERS = {
    "ashiya": ("芦屋秘", "ashiya-secret"),
    "sukagawa": ("須賀川秘", "sukagawa-secret"),
    "onboarded": ("北杜秘", "onboarded-secret"),
}


def _city(municipality, slug: str, onboarded=None) -> SimpleNamespace:
    """One municipality's admin objects, every name carrying its marker. With `onboarded` (an
    Onboarded), its guideline, groups and HR person are the ones onboarding made."""
    mark, latin = MARKERS[slug]
    if onboarded is not None:
        municipality = onboarded.municipality
    top = DepartmentFactory(municipality=municipality, code=f"{slug[:2].upper()}10", name=f"{mark}総務部")
    section = DepartmentFactory(
        municipality=municipality, code=f"{slug[:2].upper()}11", name=f"{mark}人事課", parent=top
    )

    def person(key, role=Role.EMPLOYEE, department=section):
        return StaffMemberFactory(
            municipality=municipality,
            department=department,
            staff_number=f"{slug[:2].upper()}-{len(key):02d}{ROLES.index(key) if key in ROLES else 9}",
            name=f"{mark} {key}",
            email=f"{latin}-{key}@example.jp",
            role=role,
        )

    staff = {
        "employee": person("employee"),
        "head": person("head", Role.DEPARTMENT_HEAD, top),
        "hr": onboarded.hr if onboarded else person("hr", Role.HR),
        "editor": person("editor"),
        "approver": person("approver"),
    }
    if onboarded is not None:
        guideline = onboarded.guideline
        chapter = guideline.get_children().get().specific
        editors, approvers = onboarded.editors, onboarded.approvers
    else:
        guideline = GuidelinePageFactory(
            municipality=municipality,
            title=f"{mark}ガイドライン {latin}",
            slug=f"{slug}-isolation",
            issuer=f"{mark}広報課",
        )
        chapter = ChapterPageFactory(
            parent=guideline,
            key="1",
            title=f"{mark}第一章 {latin}",
            body=[clause("1", "１", f"{mark}の条項本文です。")],
        )
        editors, approvers = editorial_setup(guideline=guideline)
    staff["editor"].user.groups.add(editors)
    staff["approver"].user.groups.add(approvers)
    editor = staff["editor"].user

    # A draft of the chapter, in moderation.
    chapter.title = f"{mark}下書きの章題 {latin}"
    chapter.save_revision(user=editor)
    page_state = chapter.get_workflow().start(chapter, editor)
    page_revision = chapter.latest_revision

    # A question, then a draft of it in moderation.
    question = QuestionFactory(guideline=guideline, clause_key="1", prompt=f"{mark}公開中の設問 {latin}")
    question.prompt = f"{mark}下書きの設問 {latin}"
    question.save_revision(user=editor)
    question_state = question.get_workflow().start(question, editor)
    question_revision = question.latest_revision

    cycle = TrainingCycleFactory(guideline=guideline)
    roster_import = people_services.roster_import_create(
        municipality=municipality,
        kind=RosterImport.Kind.STAFF,
        file_name=f"{mark}名簿.csv",
        content=roster_csv(f"{slug[:2].upper()}-99,{mark} 新人,テスト,{section.code},regular,2026-04-01,,1"),
        user=staff["hr"].user,
    )
    employee = staff["employee"]
    completed = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=datetime.UTC)
    record = CompletionRecord.objects.create(
        staff=employee,
        guideline=guideline,
        fiscal_year=2026,
        municipality_name=municipality.name,
        staff_number=employee.staff_number,
        staff_name=employee.name,
        department_code=section.code,
        department_name=section.name,
        employment_type=employee.employment_type,
        employment_type_label="一般職",
        guideline_title=guideline.title,
        guideline_version="第1版",
        content_hash="ab" * 32,
        clauses_mastered=1,
        clauses_total=1,
        first_try_correct=1,
        first_try_total=1,
        completed_at=completed,
        attested_at=completed,
        verification_code=f"{slug[:2].upper()}0000000001",
    )
    bundle = CertificateBundle.objects.create(
        municipality=municipality,
        department=section,
        department_code=section.code,
        department_name=section.name,
        fiscal_year=2026,
        requested_by=staff["hr"].user,
    )
    # An access-log entry (identity/), its typed name and details carrying the marker.
    access_event = access_event_record(
        kind=AccessEvent.Kind.LOGIN_FAILED,
        municipality_id=municipality.pk,
        username=f"{latin}-typed",
        detail={"note": f"{mark}アクセス記録"},
    )
    session = EditingSession.objects.create(
        user=editor,
        content_type=ContentType.objects.get_for_model(Page),
        object_id=str(chapter.pk),
        last_seen_at=completed,
    )
    return SimpleNamespace(
        municipality=municipality,
        staff=staff,
        users={key: member.user for key, member in staff.items()},
        guideline=guideline,
        chapter=chapter,
        page_revision=page_revision,
        page_state=page_state,
        page_task_state=page_state.current_task_state,
        question=question,
        question_revision=question_revision,
        question_state=question_state,
        question_task_state=question_state.current_task_state,
        cycle=cycle,
        roster_import=roster_import,
        record=record,
        bundle=bundle,
        editing_session=session,
        access_event=access_event,
        editors=editors,
        markers=MARKERS[slug],
    )


@pytest.fixture(scope="module")
def cities(module_db):
    ashiya = _city(MunicipalityFactory.ashiya(), "ashiya")
    sukagawa = _city(MunicipalityFactory.sukagawa(), "sukagawa")
    mark, latin = MARKERS["onboarded"]
    hokuto = onboarded_municipality(
        code="192104",
        name="北杜市",
        slug="hokuto",
        hr=FirstHR(
            staff_number="ON-022",
            name=f"{mark} hr",
            email=f"{latin}-hr@example.jp",
            department_code="ON12",
            department_name=f"{mark}人事係",
        ),
        guideline_slug="onboarded-isolation",
        title=f"{mark}ガイドライン {latin}",
        chapter_title=f"{mark}第一章 {latin}",
        body=f"{mark}の条項本文です。",
        issuer=f"{mark}広報課",
    )
    onboarded = _city(None, "onboarded", onboarded=hokuto)
    return {"ashiya": ashiya, "sukagawa": sukagawa, "onboarded": onboarded}


# --- every admin URL, filled with another municipality's ids ---------------------------------------


def admin_patterns():
    """(route, url name, pattern) of every URL the resolver serves under /admin/."""

    def walk(patterns, prefix="", namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
                yield prefix + str(pattern.pattern), name

    return [(route, name) for route, name in walk(get_resolver().url_patterns) if route.startswith("admin/")]


_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")


def _value(name: str, route: str, other) -> str:
    """The id a URL parameter takes: `other`'s object of the kind the route names."""
    question_route = "scenarioquestion" in route
    table = {
        "page_id": other.chapter.pk,
        "parent_page_id": other.guideline.pk,
        "page_to_move_id": other.chapter.pk,
        "destination_id": other.guideline.pk,
        "object_id": other.question.pk if question_route else other.chapter.pk,
        "revision_id": other.question_revision.pk if question_route else other.page_revision.pk,
        "revision_id_a": "earliest",
        "revision_id_b": other.question_revision.pk if question_route else other.page_revision.pk,
        "task_state_id": other.question_task_state.pk if question_route else other.page_task_state.pk,
        "workflow_state_id": other.question_state.pk if question_route else other.page_state.pk,
        "task_id": other.page_task_state.task_id,
        "session_id": other.editing_session.pk,
        "action_name": "approve",
        "content_type_app_name": "courses",
        "content_type_model_name": "chapterpage",
        "app_name": "quizzes",
        "filter_spec": "original",
        "uidb64": "MQ",
        "token": "set-password",
        "page_pk": other.guideline.pk,
        "workflow_pk": 1,
        "collection_id": 1,
        "image_id": 1,
        "document_id": 1,
        "doc_id": 1,
        "uploaded_file_id": 1,
        "redirect_id": 1,
        "staff_id": other.staff["employee"].pk,
        "municipality_id": other.municipality.pk,
    }
    if name == "pk":
        kinds = [
            ("access-log", other.access_event.pk),
            ("scenarioquestion", other.question.pk),
            ("pages", other.chapter.pk),
            ("training_cycles", other.cycle.pk),
            ("roster-import", other.roster_import.pk),
            ("completion-records", other.record.pk),
            ("bundles", other.bundle.pk),
            ("personnel", other.staff["employee"].pk),
            ("department-history/staff", other.staff["employee"].pk),
            ("department-history", other.staff["hr"].department_id),
            ("users", other.users["hr"].pk),
            ("groups", other.editors.pk),
            ("municipalities", other.municipality.pk),
        ]
        return str(next((pk for key, pk in kinds if key in route), 1))
    return str(table.get(name, 1))


def _fill(route: str, values: dict) -> str:
    path = route.replace("^", "").replace("$", "")

    def repl(match):
        return values[match.group("name") or match.group("group")]

    path = _PARAM.sub(repl, path).replace(".*/", "anything/").replace("\\.", ".")
    return "/" + path


def _params(route: str) -> list[str]:
    return [m.group("name") or m.group("group") for m in _PARAM.finditer(route)]


def walk_requests(own, other):
    """(url name, url, query) for every admin URL: all ids the other municipality's, then each id
    alone the other's with the rest the user's own (moving one's own page under another's
    guideline, a foreign task state on one's own page…)."""
    for route, name in admin_patterns():
        params = _params(route)
        if "app_label" in params:
            models = [("wagtailcore", "page"), ("quizzes", "scenarioquestion"), ("people", "staffmember")]
        else:
            models = [(None, None)]
        for app_label, model_name in models:
            variants = [dict.fromkeys(params, "other")]
            if len(params) > 1:
                variants += [{p: ("other" if p == chosen else "own") for p in params} for chosen in params]
            for variant in variants:
                values = {p: _value(p, route, own if side == "own" else other) for p, side in variant.items()}
                if app_label:
                    values["app_label"], values["model_name"] = app_label, model_name
                if "action" in values:
                    for action in ("delete", "move", "publish", "unpublish", "add_to_collection", "assign_role"):
                        yield name, _fill(route, values | {"action": action}), _foreign_query(other)
                    continue
                url = _fill(route, values)
                yield name, url, ""
                yield name, url, _foreign_query(other)


def _foreign_query(other) -> str:
    """The query parameters Wagtail's views take ids and searches from, all the other's; the
    search term matches both municipalities' titles ("… ashiya-secret", "… sukagawa-secret")
    without being either marker, so its echo in a search box is no false alarm."""
    mark = "secret"
    return urlencode(
        [
            ("id", other.chapter.pk),
            ("id", other.question.pk),
            ("childOf", other.guideline.pk),
            ("child_of", other.guideline.pk),
            ("descendant_of", other.guideline.pk),
            ("parent", other.guideline.pk),
            ("q", mark),
            ("search", mark),
            ("guideline", other.guideline.pk),
            ("municipality", other.municipality.pk),
            ("cycle", other.cycle.pk),
            ("department", other.staff["hr"].department_id),
            ("next", "/admin/"),
        ]
    )


def _leaks(response, markers) -> list[str]:
    text = response_text(response) if response.content else ""
    text += response.get("Location", "")
    return [marker for marker in markers if marker in text]


DIRECTIONS = [("ashiya", "sukagawa"), ("sukagawa", "ashiya"), ("ashiya", "onboarded"), ("onboarded", "ashiya")]
DIRECTION_IDS = ["ashiya-user", "sukagawa-user", "ashiya-user-vs-onboarded", "onboarded-user"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("mine", "theirs"), DIRECTIONS, ids=DIRECTION_IDS)
def test_no_admin_url_shows_the_other_municipality(client, cities, role, mine, theirs):
    own, other = cities[mine], cities[theirs]
    client.force_login(own.users[role])
    client.raise_request_exception = False  # Wagtail's /admin/failwhale/ raises on purpose
    leaks, walked, unresolved = [], 0, []
    for name, url, query in walk_requests(own, other):
        if name in ("wagtailadmin_logout", "wagtailadmin_login"):
            continue
        if name is not None and resolve(url).view_name != name:
            unresolved.append(url)
        response = client.get(f"{url}?{query}" if query else url)
        walked += 1
        if found := _leaks(response, other.markers):
            leaks.append(f"{response.status_code} {url}?{query[:40]} shows {found}")
    assert walked > 500
    assert unresolved == [], "the walk must reach every view it names"
    assert leaks == [], "\n".join(leaks)


def _fingerprint(city) -> tuple:
    """What a foreign POST could change of one municipality's admin objects."""
    pages = Page.objects.filter(path__startswith=city.guideline.path).order_by("path")
    return (
        list(pages.values_list("pk", "path", "title", "draft_title", "live", "locked", "has_unpublished_changes")),
        list(
            ScenarioQuestion.objects.filter(guideline=city.guideline)
            .order_by("pk")
            .values_list("pk", "prompt", "live", "locked", "latest_revision_id")
        ),
        list(
            WorkflowState.objects.filter(pk__in=[city.page_state.pk, city.question_state.pk]).values_list(
                "pk", "status"
            )
        ),
        list(TaskState.objects.filter(workflow_state__in=[city.page_state, city.question_state]).values_list("status")),
        Revision.objects.filter(object_id__in=[str(city.chapter.pk), str(city.question.pk)]).count(),
        list(type(city.cycle).objects.filter(pk=city.cycle.pk).values_list("opens_on", "due_on", "closes_on")),
        list(RosterImport.objects.filter(pk=city.roster_import.pk).values_list("status", "committed_at")),
        list(CertificateBundle.objects.filter(pk=city.bundle.pk).values_list("status", "done")),
        EditingSession.objects.filter(pk=city.editing_session.pk).count(),
        list(StaffMember.objects.filter(municipality=city.municipality).order_by("pk").values_list("name", "role")),
        list(city.editors.user_set.values_list("pk", flat=True)),
    )


@pytest.mark.parametrize("role", ["hr", "editor", "approver"])
@pytest.mark.parametrize(("mine", "theirs"), DIRECTIONS, ids=DIRECTION_IDS)
def test_no_admin_post_changes_the_other_municipality(client, cities, role, mine, theirs):
    own, other = cities[mine], cities[theirs]
    client.force_login(own.users[role])
    # Garbage posted to one's own objects may crash a Wagtail form (its 500 page shows nothing);
    # what counts here is what the answer shows and what it changes.
    client.raise_request_exception = False
    before = _fingerprint(other)
    leaks = []
    for name, url, query in walk_requests(own, other):
        if name in ("wagtailadmin_logout", "wagtailadmin_login") or not query:
            continue
        data = {
            "id": [other.chapter.pk, other.question.pk],
            "comment": "foreign",
            "title": "foreign",
            "prompt": "foreign",
            "name": "foreign",
            "move_applicable": "1",
            "chooser": other.guideline.pk,
        }
        response = client.post(f"{url}?{query}", data)
        if found := _leaks(response, other.markers):
            leaks.append(f"POST {response.status_code} {url} shows {found}")
    assert leaks == []
    assert _fingerprint(other) == before


def test_every_entry_of_the_policy_table_is_a_url_the_admin_has():
    """A renamed or removed Wagtail view leaves no stale entry (its replacement is refused)."""
    names = {name for _route, name in admin_patterns()}
    assert set(POLICIES) - names == set()


# --- the same URLs with the user's own objects still work ------------------------------------------


def _own_urls(city) -> dict[str, list[str]]:
    compare = f"earliest...{city.question_revision.pk}"
    return {
        "editor": [
            f"/admin/pages/{city.chapter.pk}/edit/",
            f"/admin/pages/{city.guideline.pk}/",
            "/admin/pages/search/?q=secret",
            f"/admin/bulk/wagtailcore/page/move/?id={city.chapter.pk}",
            f"/admin/pages/{city.chapter.pk}/revisions/compare/earliest...{city.page_revision.pk}/",
            "/admin/snippets/quizzes/scenarioquestion/",
            "/admin/snippets/choose/quizzes/scenarioquestion/",
            f"/admin/snippets/quizzes/scenarioquestion/history/{city.question.pk}/revisions/compare/{compare}/",
            f"/admin/bulk/quizzes/scenarioquestion/delete/?id={city.question.pk}",
            f"/admin/api/main/pages/?child_of={city.guideline.pk}&for_explorer=1",
        ],
        "approver": [
            f"/admin/pages/workflow/preview/{city.chapter.pk}/{city.page_task_state.task_id}/",
            f"/admin/pages/{city.chapter.pk}/workflow_history/detail/{city.page_state.pk}/",
            f"/admin/snippets/quizzes/scenarioquestion/workflow_history/{city.question.pk}/detail/{city.question_state.pk}/",
        ],
        "hr": [
            f"/admin/hr-reports/personnel/{city.staff['employee'].pk}/",
            f"/admin/roster-import/{city.roster_import.pk}/",
            f"/admin/training_cycles/edit/{city.cycle.pk}/",
            f"/admin/hr-reports/certificates/bundles/{city.bundle.pk}/",
            f"/admin/access-log/{city.access_event.pk}/",
            "/admin/access-log/",
        ],
    }


@pytest.mark.parametrize("city", ["ashiya", "onboarded"])
@pytest.mark.parametrize("role", ["editor", "approver", "hr"])
def test_each_role_still_opens_its_own_municipalitys_objects(client, cities, role, city):
    own = cities[city]
    client.force_login(own.users[role])
    for url in _own_urls(own)[role]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert any(marker in response_text(response) for marker in own.markers), url


def test_the_question_chooser_lists_only_the_users_municipality(client, cities):
    client.force_login(cities["sukagawa"].users["editor"])
    text = response_text(client.get("/admin/snippets/choose/quizzes/scenarioquestion/"))
    assert "須賀川秘公開中の設問" in text
    assert "芦屋秘" not in text
    client.force_login(cities["sukagawa"].users["hr"])  # no question permission: an empty chooser
    assert "須賀川秘" not in response_text(client.get("/admin/snippets/choose/quizzes/scenarioquestion/"))


@pytest.mark.parametrize("role", ["hr", "editor", "approver"])
def test_site_wide_reports_are_refused_and_not_in_the_menu(client, cities, role):
    client.force_login(cities["ashiya"].users[role])
    for url in ("/admin/reports/site-history/", "/admin/reports/workflow/", "/admin/reports/page-types-usage/"):
        assert client.get(url).status_code == 403, url
    dashboard = response_text(client.get("/admin/"))
    for url in ("/admin/reports/site-history/", "/admin/reports/workflow/", "/admin/reports/aging-pages/"):
        assert url not in dashboard


def test_the_platform_admin_sees_every_municipality_in_site_history(client, cities):
    from people.models import User

    admin = User.objects.create_superuser(username="platform", email="platform@example.jp", password="x")
    client.force_login(admin)
    response = client.get("/admin/reports/site-history/")
    assert response.status_code == 200
    assert "/admin/reports/site-history/" in response_text(client.get("/admin/"))
