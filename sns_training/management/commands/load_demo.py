"""Loads the demo: both municipalities, departments, staff in every role, both guidelines.

Repeatable: what exists already is left as it is, so `make run` can call it every time.
"""

import datetime
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from courses.models import GuidelinePage
from courses.services import APPROVER_GROUP, EDITOR_GROUP, editorial_setup
from people import services as people_services
from people.models import Department, User

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo" / "people.json"


class Command(BaseCommand):
    help = "Load the demo data (idempotent)."

    def handle(self, *args, **options):
        data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
        with transaction.atomic():
            call_command("import_guidelines", stdout=self.stdout)
            call_command("import_questions", stdout=self.stdout)
            for m in data["municipalities"]:
                self._municipality(m, data["password"])
            for su in data["superusers"]:
                if not User.objects.filter(username=su["username"]).exists():
                    user = User.objects.create_superuser(su["username"], su["email"], data["password"])
                    from allauth.account.models import EmailAddress

                    EmailAddress.objects.create(user=user, email=su["email"], primary=True, verified=True)
        self.stdout.write(self.style.SUCCESS(_("デモデータの準備ができました。")))

    def _municipality(self, m, password):
        from django.contrib.auth.hashers import make_password

        password_hash = make_password(password)
        municipality = people_services.municipality_get_or_create(code=m["code"], name=m["name"], slug=m["slug"])
        guideline = GuidelinePage.objects.filter(municipality=municipality).first()
        if guideline is not None:
            editorial_setup(guideline=guideline)
        if municipality.departments.exists():
            self.stdout.write(_("%(name)s: 既に読み込み済みです。") % {"name": municipality.name})
            return
        departments: dict[str, Department] = {}
        for d in m["departments"]:
            departments[d["code"]] = people_services.department_create(
                municipality=municipality, code=d["code"], name=d["name"], parent=departments.get(d["parent"])
            )
        groups = {
            "editor": Group.objects.get(name=EDITOR_GROUP.format(municipality=municipality.name)),
            "approver": Group.objects.get(name=APPROVER_GROUP.format(municipality=municipality.name)),
        }
        for s in m["staff"]:
            staff = people_services.staff_create(
                municipality=municipality,
                staff_number=s["staff_number"],
                name=s["name"],
                kana=s["kana"],
                department=departments[s["department"]],
                employment_type=s["employment_type"],
                role=s["role"],
                start_date=datetime.date.fromisoformat(s["start_date"]),
                email=s["email"],
                operates_official_account=s["operates_official_account"],
                password_hash=password_hash,
            )
            for name in s["groups"]:
                staff.user.groups.add(groups[name])
        self.stdout.write(
            _("%(name)s: 所属 %(departments)s 件、職員 %(staff)s 名を読み込みました。")
            % {"name": municipality.name, "departments": len(departments), "staff": len(m["staff"])}
        )
