"""Municipalities, their department tree and staff: the people every record is about."""

import datetime

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import scoping

staff_number_validator = RegexValidator(
    r"^[0-9A-Za-z][0-9A-Za-z-]{0,19}$",
    _("職員番号は半角英数字とハイフン（20文字以内）で入力してください。"),
)
department_code_validator = RegexValidator(
    r"^[0-9A-Za-z-]{1,20}$",
    _("所属コードは半角英数字とハイフン（20文字以内）で入力してください。"),
)


class User(AbstractUser):
    """Log-in identity. Staff without a mailbox sign in as <municipality code>-<職員番号>."""

    class Meta:
        verbose_name = _("ユーザー")
        verbose_name_plural = _("ユーザー")


class Municipality(models.Model):
    code = models.CharField(_("団体コード"), max_length=6, unique=True, help_text=_("全国地方公共団体コード（6桁）"))
    name = models.CharField(_("自治体名"), max_length=50, unique=True)
    slug = models.SlugField(_("スラッグ"), unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("自治体")
        verbose_name_plural = _("自治体")

    def __str__(self):
        return self.name


class DepartmentQuerySet(models.QuerySet):
    def subtree_of(self, department):
        """The department and everything below it (materialised path prefix)."""
        return self.filter(municipality_id=department.municipality_id, path__startswith=department.path)

    def visible_to(self, user):
        """HR: their municipality's departments; a 所属長: their subtree; others: their own."""
        return scoping.departments_within_reach(self, user)


class Department(models.Model):
    """A 部, 課 or 係. `path` holds the ancestors' ids ("/3/17/42/") for subtree queries."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="departments", verbose_name=_("自治体")
    )
    code = models.CharField(_("所属コード"), max_length=20, validators=[department_code_validator])
    name = models.CharField(_("所属名"), max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上位所属"),
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(editable=False, default=1)
    # Abolished in a reorganisation (docs/decisions/0039): from this day it takes no one; its
    # history stays. `merged_into`: where its staff went when it was merged.
    retired_on = models.DateField(_("廃止日"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("統合先"),
    )

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["municipality", "code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="department_code_unique_per_municipality"),
        ]
        verbose_name = _("所属")
        verbose_name_plural = _("所属")

    def __str__(self):
        return f"{self.name}（{self.code}）"


class DepartmentNameQuerySet(models.QuerySet):
    def open(self):
        """Each department's latest name (its row has no end)."""
        return self.filter(valid_to__isnull=True)

    def on(self, day):
        """The name each department had on `day`: valid_from ≤ day < valid_to (empty: open-ended)."""
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day), valid_from__lte=day)


class DepartmentName(models.Model):
    """A department's name from when until when (half-open, like DepartmentMembership): reports of
    a past cycle show the name as it was then (people/selectors.py `department_names_on`).
    `Department.name` is the name today; written by people/departments.py only."""

    # The first row of a department that existed before its history was kept starts here.
    SINCE_ALWAYS = datetime.date(1900, 1, 1)

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="names", verbose_name=_("所属"))
    name = models.CharField(_("所属名"), max_length=100)
    valid_from = models.DateField(_("開始日"))
    valid_to = models.DateField(_("終了日"), null=True, blank=True, help_text=_("この日からは別の名称"))
    recorded_by = models.ForeignKey(
        "people.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("記録した人")
    )
    recorded_at = models.DateTimeField(_("記録日時"), auto_now_add=True)

    objects = DepartmentNameQuerySet.as_manager()

    class Meta:
        ordering = ["department", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["department"], condition=Q(valid_to__isnull=True), name="one_open_name_per_department"
            ),
            models.UniqueConstraint(fields=["department", "valid_from"], name="one_name_per_department_and_day"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="department_name_ends_after_it_starts",
            ),
        ]
        verbose_name = _("所属名の履歴")
        verbose_name_plural = _("所属名の履歴")

    def __str__(self):
        return f"{self.department_id} {self.name} {self.valid_from}–{self.valid_to or ''}"


class DepartmentPlacement(models.Model):
    """Where a department stood in the tree from when until when (half-open, like DepartmentName):
    its parent and its whole path then, so a past cycle's report rolls counts up the tree of that
    day (decision 0045). A move writes a row for the department and each one below it (their paths
    change too). `Department.parent/path/depth` are the tree today; written by people/departments.py
    and the department master import only. A department without rows stood where it stands today."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="placements", verbose_name=_("所属")
    )
    parent = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("上位所属"),
    )
    path = models.CharField(_("パス"), max_length=255)
    depth = models.PositiveSmallIntegerField(_("階層"))
    valid_from = models.DateField(_("開始日"))
    valid_to = models.DateField(_("終了日"), null=True, blank=True, help_text=_("この日からは別の位置"))
    recorded_by = models.ForeignKey(
        "people.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("記録した人")
    )
    recorded_at = models.DateTimeField(_("記録日時"), auto_now_add=True)

    objects = DepartmentNameQuerySet.as_manager()  # open() and on(day) mean the same for a position

    class Meta:
        ordering = ["department", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["department"], condition=Q(valid_to__isnull=True), name="one_open_placement_per_department"
            ),
            models.UniqueConstraint(fields=["department", "valid_from"], name="one_placement_per_department_and_day"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="department_placement_ends_after_it_starts",
            ),
        ]
        verbose_name = _("上位所属の履歴")
        verbose_name_plural = _("上位所属の履歴")

    def __str__(self):
        return f"{self.department_id} {self.path} {self.valid_from}–{self.valid_to or ''}"


class StaffMemberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def visible_to(self, user):
        """The staff a viewer may see: HR their municipality, a 所属長 their subtree, others themselves."""
        return scoping.staff_within_reach(self, user)


class StaffMember(models.Model):
    class EmploymentType(models.TextChoices):
        REGULAR = "regular", _("一般職")
        SPECIAL = "special", _("特別職")
        REAPPOINTED = "reappointed", _("再任用職員")
        FISCAL_YEAR = "fiscal_year", _("会計年度任用職員")
        CONTRACTOR = "contractor", _("委託事業者")
        DESIGNATED_MANAGER = "designated_manager", _("指定管理者")

    class Role(models.TextChoices):
        EMPLOYEE = "employee", _("職員")
        DEPARTMENT_HEAD = "department_head", _("所属長")
        HR = "hr", _("人事担当")

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="staff_profile", verbose_name=_("ログインユーザー")
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="staff", verbose_name=_("自治体")
    )
    staff_number = models.CharField(_("職員番号"), max_length=20, validators=[staff_number_validator])
    name = models.CharField(_("氏名"), max_length=100)
    kana = models.CharField(_("カナ"), max_length=100, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="staff", verbose_name=_("所属"))
    employment_type = models.CharField(
        _("任用形態"), max_length=20, choices=EmploymentType.choices, default=EmploymentType.REGULAR
    )
    start_date = models.DateField(_("着任日"))
    operates_official_account = models.BooleanField(
        _("公式アカウント運用者"),
        default=False,
        help_text=_("市の公式ソーシャルメディアアカウントを業務で運用している"),
    )
    elected = models.BooleanField(
        _("公選職"),
        default=False,
        help_text=_("公職選挙法に基づき選ばれる者（市長・議員など）。どちらのガイドラインの対象でもありません。"),
    )
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices, default=Role.EMPLOYEE)
    is_active = models.BooleanField(_("在職"), default=True)

    objects = StaffMemberQuerySet.as_manager()

    class Meta:
        ordering = ["municipality", "staff_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "staff_number"], name="staff_number_unique_per_municipality"
            ),
            models.CheckConstraint(
                condition=~Q(role="department_head") | Q(is_active=True),
                name="department_head_is_active",
                violation_error_message=_("退職者を所属長にはできません。"),
            ),
            # 所属長 is a post of the department (docs/decisions/0027-roles.md): one holder at most.
            models.UniqueConstraint(
                fields=["department"],
                condition=Q(role="department_head"),
                name="one_head_per_department",
                violation_error_message=_("この所属には既に所属長がいます。"),
            ),
        ]
        permissions = [("appoint_roles", _("役割（所属長・人事担当・編集者・承認者）を任命する"))]
        verbose_name = _("職員")
        verbose_name_plural = _("職員")

    def __str__(self):
        return f"{self.name}（{self.staff_number}）"

    @property
    def username(self) -> str:
        return login_username(self.municipality.code, self.staff_number)


def login_username(municipality_code: str, staff_number: str) -> str:
    """The username that lets staff without e-mail log in by municipality + 職員番号."""
    return f"{municipality_code}-{staff_number}".lower()


class DepartmentMembershipQuerySet(models.QuerySet):
    def open(self):
        """The current row of each person (one at most; none once they have left)."""
        return self.filter(valid_to__isnull=True)

    def on(self, day):
        """Who belonged where on `day`: valid_from ≤ day < valid_to (valid_to empty: still there)."""
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day), valid_from__lte=day)


class DepartmentMembership(models.Model):
    """Which department a person belonged to, from when until when (half-open: valid_to is the
    first day elsewhere). Reports count a transferee in the new department from the transfer on;
    written by people.services (staff_create, transfers, the roster import), never edited."""

    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("職員"))
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("所属")
    )
    valid_from = models.DateField(_("開始日"))
    valid_to = models.DateField(_("終了日"), null=True, blank=True, help_text=_("この日からは別の所属（または退職）"))

    objects = DepartmentMembershipQuerySet.as_manager()

    class Meta:
        ordering = ["staff", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["staff"], condition=Q(valid_to__isnull=True), name="one_open_membership_per_staff"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="membership_ends_after_it_starts",
            ),
        ]
        indexes = [models.Index(fields=["department", "valid_from"], name="membership_department_from")]
        verbose_name = _("所属履歴")
        verbose_name_plural = _("所属履歴")

    def __str__(self):
        return f"{self.staff_id} {self.department_id} {self.valid_from}–{self.valid_to or ''}"


class RosterImportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """HR: their municipality's imports; the platform admin: all; anyone else: none."""
        return scoping.within_municipality(self, user, permission="people.import_roster")


class RosterImport(models.Model):
    """One uploaded roster or department-master file: kept as uploaded (the bytes are what a
    commit re-reads), with the dry run's summary and, once committed, who committed it. After the
    retention period `manage.py purge_roster_imports` empties the bytes (or deletes a dry run)."""

    # A dry run older than this cannot be committed: the personnel system's roster may have moved on.
    DRY_RUN_MAX_AGE = datetime.timedelta(days=1)

    class Kind(models.TextChoices):
        STAFF = "staff", _("職員名簿")
        DEPARTMENTS = "departments", _("所属マスタ")
        # Both files in one dry run and one commit: the master first, then the roster (decision 0045).
        REORGANISATION = "reorganisation", _("所属マスタと職員名簿")

    class Status(models.TextChoices):
        DRY_RUN = "dry_run", _("確認済み（未取込）")
        COMMITTED = "committed", _("取込済み")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="roster_imports", verbose_name=_("自治体")
    )
    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices)
    file_name = models.CharField(_("ファイル名"), max_length=255)
    content = models.BinaryField(_("ファイルの内容"))
    # The department master uploaded with a roster (kind REORGANISATION); empty otherwise.
    departments_file_name = models.CharField(_("所属マスタのファイル名"), max_length=255, blank=True, default="")
    departments_content = models.BinaryField(_("所属マスタの内容"), blank=True, default=b"")
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    encoding = models.CharField(_("文字コード"), max_length=20)
    plan_digest = models.CharField(_("確認結果のハッシュ"), max_length=64)
    summary = models.JSONField(_("確認結果"), default=dict)
    status = models.CharField(_("状態"), max_length=20, choices=Status.choices, default=Status.DRY_RUN)
    uploaded_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("アップロードした人")
    )
    uploaded_at = models.DateTimeField(_("アップロード日時"), auto_now_add=True)
    committed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("取り込んだ人")
    )
    committed_at = models.DateTimeField(_("取込日時"), null=True, blank=True)
    content_purged_at = models.DateTimeField(
        _("ファイル削除日時"), null=True, blank=True, help_text=_("保存期間を過ぎてファイルの内容を削除した日時")
    )
    effective_on = models.DateField(
        _("適用日"),
        null=True,
        blank=True,
        help_text=_("所属マスタのみ。名称変更・統合・廃止をこの日付けで記録します（空欄：取込日）。"),
    )
    retire_missing = models.BooleanField(
        _("この名簿にない職員を退職扱いにする"),
        default=False,
        help_text=_("職員名簿のみ。ファイルにない在職者を、この取込で退職にします。"),
    )

    objects = RosterImportQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        default_permissions = ()
        permissions = [("import_roster", _("職員名簿・所属マスタを取り込む"))]
        verbose_name = _("名簿の取込")
        verbose_name_plural = _("名簿の取込")

    def __str__(self):
        return f"{self.get_kind_display()} {self.file_name}"

    @property
    def dry_run_expired(self) -> bool:
        """A dry run too old to commit (people.services.roster_import_commit refuses it)."""
        return self.status == self.Status.DRY_RUN and self.uploaded_at < timezone.now() - self.DRY_RUN_MAX_AGE
