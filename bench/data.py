"""The benchmark dataset: 50,000 staff in 500 departments of the two real municipalities, plus both
real guidelines, in the dedicated sns_bench database. Generated once; later runs find it by counts."""

from __future__ import annotations

import datetime
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

STAFF_TOTAL = 50_000
DEPARTMENTS_TOTAL = 500
BENCH_PASSWORD = "bench-pass-2026"  # every generated user's; hashed once
BATCH = 5_000

# Per municipality: 10 部, each with 4 課, each 課 with 5 係 = 10 + 40 + 200 = 250 departments.
BU_NAMES = "企画部 総務部 市民生活部 こども福祉部 健康福祉部 都市建設部 上下水道部 教育部 消防本部 議会事務局".split()
KA_PER_BU = 4
KAKARI_PER_KA = 5
SURNAMES = "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 松本 井上 木村".split()
SURNAME_KANA = "サトウ スズキ タカハシ タナカ イトウ ワタナベ ヤマモト ナカムラ コバヤシ カトウ ヨシダ ヤマダ ササキ マツモト イノウエ キムラ".split()
GIVEN = "花子 太郎 美咲 健太 陽菜 翔 結衣 大輔 さくら 拓也 愛 直樹".split()
GIVEN_KANA = "ハナコ タロウ ミサキ ケンタ ヒナ ショウ ユイ ダイスケ サクラ タクヤ アイ ナオキ".split()


@dataclass
class BenchData:
    """What the scenarios need from the dataset."""

    login_municipality_code: str
    login_staff_number: str
    password: str
    user_pk: int
    chapter_url: str
    chapter_heading: str
    chapter_label: str
    timings: dict[str, float]


def database_ensure(database_url: str, *, recreate: bool = False) -> bool:
    """Create the benchmark database if it is missing (dropping it first with recreate). True if created."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if "bench" not in name or not name.replace("_", "").isalnum():
        raise ValueError(f"refusing to use {name!r}: the benchmark database's name must contain 'bench'")
    admin = psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        if recreate:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            return False
        admin.execute(f'CREATE DATABASE "{name}"')
        return True


def _static_is_stale(static_root: Path, sources: list[Path]) -> bool:
    manifest = static_root / "staticfiles.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(p.stat().st_mtime > built for src in sources for p in src.rglob("*") if p.is_file())


def prepare(*, log=print) -> BenchData:
    """Migrate, collect static files, generate what is missing; return the login user and chapter.

    Django must be set up with bench.settings (bench/run.py does it).
    """
    from django.conf import settings
    from django.core.management import call_command

    timings: dict[str, float] = {}

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    timings["migrate"] = time.perf_counter() - started

    static_root = Path(settings.STATIC_ROOT)
    if _static_is_stale(static_root, [Path(p) for p in settings.STATICFILES_DIRS]):
        started = time.perf_counter()
        call_command("collectstatic", interactive=False, verbosity=0)
        timings["collectstatic"] = time.perf_counter() - started

    started = time.perf_counter()
    guidelines_ensure(log=log)
    timings["guidelines"] = time.perf_counter() - started

    started = time.perf_counter()
    people_ensure(log=log)
    timings["people"] = time.perf_counter() - started

    return _bench_data(timings)


def guidelines_ensure(*, log=print) -> None:
    """Both real guidelines through the same import service the site uses, with their editor groups."""
    from django.conf import settings

    from courses.models import ChapterPage, GuidelinePage
    from courses.services import editorial_setup, guidelines_import_files

    paths = sorted((Path(settings.BASE_DIR) / "fixtures" / "guidelines").glob("*.json"))
    if GuidelinePage.objects.count() >= len(paths) and ChapterPage.objects.exists():
        log(f"guidelines: present ({GuidelinePage.objects.count()} guidelines, {ChapterPage.objects.count()} chapters)")
        return
    logging.disable(logging.INFO)  # production logs every task and publish at INFO
    try:
        result = guidelines_import_files(paths=paths)
    finally:
        logging.disable(logging.NOTSET)
    for guideline in GuidelinePage.objects.select_related("municipality"):
        editorial_setup(guideline=guideline)
    log(f"guidelines: imported {len(result.created)} pages")


def people_ensure(*, log=print) -> None:
    """500 departments and 50,000 staff with users, by bulk_create (one password hash for all)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from people.models import Department, Municipality, StaffMember, User, login_username

    staff_count = StaffMember.objects.count()
    department_count = Department.objects.count()
    if staff_count >= STAFF_TOTAL and department_count >= DEPARTMENTS_TOTAL:
        log(f"people: present ({department_count} departments, {staff_count} staff)")
        return
    if staff_count or department_count:
        raise RuntimeError(
            f"sns_bench holds {department_count} departments and {staff_count} staff, not the full set: "
            "run bench/run.py --recreate-db"
        )

    municipalities = list(Municipality.objects.order_by("code"))
    if len(municipalities) != 2:
        raise RuntimeError(f"expected the two guideline municipalities, found {len(municipalities)}")
    rng = random.Random(2026)
    password_hash = make_password(BENCH_PASSWORD)
    per_municipality = STAFF_TOTAL // len(municipalities)
    started = time.perf_counter()
    with transaction.atomic():
        leaves: dict[int, list[Department]] = {}
        heads: dict[int, list[Department]] = {}
        for municipality in municipalities:
            leaves[municipality.pk], heads[municipality.pk] = _departments_create(municipality)
        departments_done = time.perf_counter()

        users: list[User] = []
        staff: list[StaffMember] = []
        for municipality in municipalities:
            m_leaves, m_heads = leaves[municipality.pk], heads[municipality.pk]
            hr_department = m_leaves[KA_PER_BU * KAKARI_PER_KA]  # the first 係 of 総務部
            for i in range(per_municipality):
                number = f"{100001 + i}"
                s, g = rng.randrange(len(SURNAMES)), rng.randrange(len(GIVEN))
                name = f"{SURNAMES[s]} {GIVEN[g]}"
                if i < len(m_heads):
                    department, role = m_heads[i], StaffMember.Role.DEPARTMENT_HEAD
                elif i < len(m_heads) + 5:
                    department, role = hr_department, StaffMember.Role.HR
                else:
                    department, role = m_leaves[i % len(m_leaves)], StaffMember.Role.EMPLOYEE
                is_active = role != StaffMember.Role.EMPLOYEE or rng.random() > 0.02
                users.append(
                    User(
                        username=login_username(municipality.code, number),
                        password=password_hash,
                        last_name=name,
                        is_active=True,
                    )
                )
                staff.append(
                    StaffMember(
                        municipality=municipality,
                        staff_number=number,
                        name=name,
                        kana=f"{SURNAME_KANA[s]} {GIVEN_KANA[g]}",
                        department=department,
                        employment_type=rng.choices(StaffMember.EmploymentType.values, weights=[70, 2, 6, 18, 2, 2])[0],
                        start_date=datetime.date(1990, 4, 1) + datetime.timedelta(days=rng.randrange(12_000)),
                        operates_official_account=rng.random() < 0.01,
                        role=role,
                        is_active=is_active,
                    )
                )
        User.objects.bulk_create(users, batch_size=BATCH)
        for member, user in zip(staff, users, strict=True):
            member.user = user
        StaffMember.objects.bulk_create(staff, batch_size=BATCH)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    log(
        f"people: generated {Department.objects.count()} departments in {departments_done - started:.1f} s, "
        f"{StaffMember.objects.count()} staff in {time.perf_counter() - departments_done:.1f} s"
    )


def _departments_create(municipality) -> tuple[list, list]:
    """One municipality's 部/課/係 tree, level by level; path is "/<id>/<id>/" of the ancestors as in
    people.services.department_create. Returns (係 leaves, 部 and 課 that get a 所属長)."""
    from people.models import Department

    def level(specs: list[tuple[str, str, Department | None]], depth: int) -> list[Department]:
        created = Department.objects.bulk_create(
            [
                Department(municipality=municipality, code=code, name=name, parent=parent, path="", depth=depth)
                for code, name, parent in specs
            ]
        )
        for department in created:
            prefix = department.parent.path if department.parent else "/"
            department.path = f"{prefix}{department.pk}/"
        Department.objects.bulk_update(created, ["path"])
        return created

    bus = level([(f"{b + 1:02d}", name, None) for b, name in enumerate(BU_NAMES)], 1)
    kas = level(
        [(f"{bu.code}-{k + 1}", f"{bu.name}第{k + 1}課", bu) for bu in bus for k in range(KA_PER_BU)],
        2,
    )
    kakari = level(
        [(f"{ka.code}-{g + 1}", f"{ka.name}第{g + 1}係", ka) for ka in kas for g in range(KAKARI_PER_KA)],
        3,
    )
    return kakari, bus + kas


def _bench_data(timings: dict[str, float]) -> BenchData:
    """The staff member who logs in (an employee of the first guideline's municipality) and the
    chapter they read: that guideline's chapter with the most clauses."""
    from courses.models import ChapterPage, GuidelinePage
    from people.models import StaffMember

    guideline = GuidelinePage.objects.live().select_related("municipality").order_by("path").first()
    member = (
        StaffMember.objects.filter(municipality=guideline.municipality, role=StaffMember.Role.EMPLOYEE, is_active=True)
        .select_related("municipality")
        .order_by("staff_number")
        .first()
    )
    chapters = list(ChapterPage.objects.child_of(guideline).live().order_by("path"))
    chapter = max(chapters, key=lambda c: sum(1 for _ in c.clauses()))
    return BenchData(
        login_municipality_code=member.municipality.code,
        login_staff_number=member.staff_number,
        password=BENCH_PASSWORD,
        user_pk=member.user_id,
        chapter_url=chapter.get_url(),
        chapter_heading=chapter.title,
        chapter_label=f"{guideline.municipality.name} {chapter.number} {chapter.title}",
        timings=timings,
    )
