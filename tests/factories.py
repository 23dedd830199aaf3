"""factory_boy factories for the tests. Departments and staff are built through people.services,
so every test object has the paths, users and e-mail addresses the real write path gives it."""

from __future__ import annotations

import datetime

import factory
import wagtail_factories
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from courses.models import ChapterPage, GuidelinePage
from courses.services import site_root_ensure
from people import services as people_services
from people.models import Department, Municipality, StaffMember, User
from quizzes.models import Choice, ScenarioQuestion

PASSWORD = "correct-horse-battery-9"


class MunicipalityFactory(DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{900000 + n:06d}")
    name = factory.Sequence(lambda n: f"テスト市{n}")
    slug = factory.Sequence(lambda n: f"test-city-{n}")

    @classmethod
    def ashiya(cls) -> Municipality:
        return cls(code="282065", name="芦屋市", slug="ashiya")

    @classmethod
    def sukagawa(cls) -> Municipality:
        return cls(code="072079", name="須賀川市", slug="sukagawa")


class DepartmentFactory(DjangoModelFactory):
    """Through people.services.department_create, so `path` and `depth` are the real ones."""

    class Meta:
        model = Department

    municipality = factory.SubFactory(MunicipalityFactory)
    code = factory.Sequence(lambda n: f"D{n:04d}")
    name = factory.Sequence(lambda n: f"テスト課{n}")
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return people_services.department_create(**kwargs)


class StaffMemberFactory(DjangoModelFactory):
    """Through people.services.staff_create; log in with `PASSWORD`."""

    class Meta:
        model = StaffMember

    municipality = factory.SubFactory(MunicipalityFactory)
    department = factory.SubFactory(DepartmentFactory, municipality=factory.SelfAttribute("..municipality"))
    staff_number = factory.Sequence(lambda n: f"{n + 100:06d}")
    name = factory.Sequence(lambda n: f"職員 {n}号")
    kana = "ショクイン"
    email = factory.LazyAttribute(lambda o: f"s{o.staff_number}@{o.municipality.slug}.example.jp")
    employment_type = StaffMember.EmploymentType.REGULAR
    role = StaffMember.Role.EMPLOYEE
    start_date = datetime.date(2020, 4, 1)
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return people_services.staff_create(**kwargs)


def group_member(municipality, *groups, role=StaffMember.Role.EMPLOYEE):
    """The user of a new staff member of `municipality` (in a department of their own) who belongs
    to `groups` (its editors or approvers, as courses.services.editorial_setup makes them)."""
    staff = StaffMemberFactory(
        municipality=municipality, department=DepartmentFactory(municipality=municipality), role=role
    )
    staff.user.groups.add(*groups)
    return staff.user


class UserFactory(DjangoModelFactory):
    """A user with no staff record (a platform admin, say)."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.jp")
    password = factory.LazyFunction(lambda: make_password(PASSWORD))


def clause(key: str, number: str, body: str, *, heading: str = "", items: list[dict] | None = None) -> dict:
    """One clause block as raw StreamField data (the shape the import service writes)."""
    return {
        "type": "clause",
        "value": {"key": key, "number": number, "heading": heading, "body": body, "items": items or []},
    }


def clauses_for(chapter_key: str, count: int, *, text: str = "本文") -> list[dict]:
    return [
        clause(
            f"{chapter_key}-{i}", f"({i})", f"{text} {chapter_key}-{i} の文です。", heading=f"見出し{chapter_key}-{i}"
        )
        for i in range(1, count + 1)
    ]


class _PublishedPageFactory(wagtail_factories.PageFactory):
    """Pages as the site has them: added under a parent, then published from a revision."""

    class Meta:
        abstract = True

    @classmethod
    def _create_instance(cls, model_class, parent, kwargs):
        instance = super()._create_instance(model_class, parent, kwargs)
        instance.save_revision().publish()
        instance.refresh_from_db()
        return instance


class GuidelinePageFactory(_PublishedPageFactory):
    class Meta:
        model = GuidelinePage

    parent = factory.LazyFunction(site_root_ensure)
    municipality = factory.SubFactory(MunicipalityFactory)
    title = factory.LazyAttribute(lambda o: f"{o.municipality.name}職員ソーシャルメディアガイドライン")
    slug = factory.LazyAttribute(lambda o: f"{o.municipality.slug}-guideline")
    official_title = factory.LazyAttribute(lambda o: o.title)
    issuer = "総務部 広報課"
    version_label = "第1版"
    source = "テスト用の原文"


class ChapterPageFactory(_PublishedPageFactory):
    """A chapter; pass `clause_count` for generated clauses or `body` for explicit ones."""

    class Meta:
        model = ChapterPage

    class Params:
        clause_count = 2

    parent = factory.SubFactory(GuidelinePageFactory)
    key = factory.Sequence(lambda n: str(n + 1))
    number = factory.LazyAttribute(lambda o: o.key)
    title = factory.LazyAttribute(lambda o: f"第{o.key}章")
    slug = factory.LazyAttribute(lambda o: f"chapter-{o.key}")
    body = factory.LazyAttribute(lambda o: clauses_for(o.key, o.clause_count))


class ChoiceFactory(factory.Factory):
    """An unsaved choice, for QuestionFactory(choices=[...]): the question saves it with itself."""

    class Meta:
        model = Choice

    text = factory.Sequence(lambda n: f"選択肢{n}")
    is_correct = False
    feedback = factory.LazyAttribute(lambda o: f"「{o.text}」へのフィードバック")


def _default_choices(kind: str) -> list[Choice]:
    if kind == ScenarioQuestion.Kind.MULTIPLE:
        flags = (True, True, False, False)
    else:
        flags = (True, False, False)
    return [ChoiceFactory(is_correct=flag) for flag in flags]


class QuestionFactory(DjangoModelFactory):
    """A scenario question created the way the import does: saved with its choices, then
    published from a revision (so it is live, with a live revision). `publish=False` leaves a
    draft (live=False) with a revision; `choices` takes ChoiceFactory instances (by default:
    one correct of three for "single", two correct of four for "multiple")."""

    class Meta:
        model = ScenarioQuestion

    guideline = factory.SubFactory(GuidelinePageFactory)
    external_id = factory.Sequence(lambda n: f"test-q{n:05d}")
    clause_key = "1-1"
    kind = ScenarioQuestion.Kind.SINGLE
    situation = factory.LazyAttribute(lambda o: f"場面 {o.external_id}：職員が投稿しようとしている。")
    prompt = factory.LazyAttribute(lambda o: f"問い {o.external_id}：どう対応しますか。")
    explanation = factory.LazyAttribute(lambda o: f"解説 {o.external_id}")
    choices = None
    publish = True

    @classmethod
    def _create(cls, model_class, *args, choices=None, publish=True, **kwargs):
        question = model_class(live=False, **kwargs)
        question.choices = [
            Choice(text=c.text, is_correct=c.is_correct, feedback=c.feedback, sort_order=i)
            for i, c in enumerate(choices or _default_choices(question.kind))
        ]
        question.save()
        revision = question.save_revision()
        if publish:
            revision.publish()
        question.refresh_from_db()
        return question


def department_tree(ashiya, sukagawa) -> dict:
    """The small tree the scoping tests share. 芦屋市: 企画部 › 広報課 › 広報係 and
    総務部 › 人事課; 須賀川市: 総務部."""
    kikaku = DepartmentFactory(municipality=ashiya, code="1000", name="企画部")
    koho = DepartmentFactory(municipality=ashiya, code="1100", name="広報課", parent=kikaku)
    somu = DepartmentFactory(municipality=ashiya, code="2000", name="総務部")
    return {
        "kikaku": kikaku,
        "koho": koho,
        "koho_kakari": DepartmentFactory(municipality=ashiya, code="1110", name="広報係", parent=koho),
        "somu": somu,
        "jinji": DepartmentFactory(municipality=ashiya, code="2100", name="人事課", parent=somu),
        "s_somu": DepartmentFactory(municipality=sukagawa, code="2000", name="総務部"),
    }


ROSTER_HEADER = "職員番号,氏名,カナ,所属コード,任用形態,着任日,メール,在職"
DEPARTMENT_HEADER = "所属コード,名称,上位所属コード"


def roster_csv(
    *lines: str, header: str = ROSTER_HEADER, encoding: str = "utf-8", bom: bool = False, newline: str = "\n"
) -> bytes:
    """A roster file as HR's tools write it: `encoding="cp932", newline="\\r\\n"` is Excel's
    「CSV（コンマ区切り）」 on Japanese Windows; `bom=True` is Excel's 「CSV UTF-8」."""
    data = newline.join([header, *lines]).encode(encoding) + newline.encode()
    return b"\xef\xbb\xbf" + data if bom else data


def department_csv(*lines: str, **kwargs) -> bytes:
    return roster_csv(*lines, header=DEPARTMENT_HEADER, **kwargs)


class TrainingCycleFactory(DjangoModelFactory):
    """Through training.services.cycle_open, so the audience is assigned as HR's opening does.
    Defaults to 令和8年度 (2026-04-01 to 2027-03-31), due 2026-06-30."""

    class Meta:
        model = "training.TrainingCycle"

    guideline = factory.SubFactory(GuidelinePageFactory)
    fiscal_year = 2026
    opens_on = datetime.date(2026, 4, 1)
    due_on = datetime.date(2026, 6, 30)
    closes_on = datetime.date(2027, 3, 31)
    new_hire_due_days = 30

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from training.services import cycle_open

        return cycle_open(**kwargs)


def guideline_fixture(*, code: str, name: str, slug: str, guideline_slug: str, title: str, chapter_title: str,
                      body: str, issuer: str = "広報課") -> dict:  # fmt: skip
    """A one-chapter, one-clause guideline file as import_guidelines reads it (fixtures/guidelines/)."""
    return {
        "municipality": {"code": code, "name": name, "slug": slug},
        "slug": guideline_slug,
        "title": title,
        "official_title": title,
        "issuer": issuer,
        "version_label": "第1版",
        "source": name,
        "chapters": [
            {
                "key": "1",
                "number": "１",
                "title": chapter_title,
                "part": "",
                "audience": "all",
                "clauses": [{"key": "1", "number": "１", "heading": "目的", "body": body, "items": []}],
            }
        ],
    }


def onboarded_municipality(*, code: str, name: str, slug: str, hr, **guideline):
    """A third municipality made as the platform admin's 自治体の追加 makes one (decision 0038):
    sns_training.services.municipality_onboard with a guideline file; returns its Onboarded."""
    from sns_training.services import municipality_onboard

    admin = UserFactory(is_superuser=True, username=f"platform-{code}")
    data = guideline_fixture(code=code, name=name, slug=slug, **guideline)
    return municipality_onboard(
        code=code, name=name, slug=slug, actor=admin, guideline_data=data, guideline_source=f"{slug}.json", hr=hr
    )
