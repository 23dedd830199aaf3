"""How staff of each municipality log in, and the audit of access (issue 12).

`LoginPolicy` is one row per municipality: which methods it allows besides the ones configured
in their own models, whom staff without a mailbox ask, how long first-access codes live and how
long access-log entries are kept. `AccessEvent` is the access log: every log-in (with its method),
failure, lock-out, MFA change, password reset, code issuance, role change and refused access."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from people import scoping
from people.models import Municipality


class LoginPolicy(models.Model):
    municipality = models.OneToOneField(
        Municipality, on_delete=models.CASCADE, related_name="login_policy", verbose_name=_("自治体")
    )
    password_allowed = models.BooleanField(
        _("職員番号とパスワードでのログインを許可する"),
        default=True,
        help_text=_("オフにすると、ディレクトリまたはシングルサインオンでのみログインできます。"),
    )
    password_when_directory_down = models.BooleanField(
        _("ディレクトリに接続できないときはパスワードでのログインを許可する"), default=False
    )
    no_mailbox_contact = models.TextField(
        _("メールアドレスのない職員の問い合わせ先"),
        blank=True,
        help_text=_("パスワードを忘れた職員に表示します（例：人事課 研修担当 内線1234）。"),
    )
    setup_code_valid_days = models.PositiveSmallIntegerField(
        _("初回設定コードの有効日数"), default=14, help_text=_("発行日から何日間使えるか")
    )
    access_log_retention_days = models.PositiveIntegerField(
        _("アクセス記録の保存日数"), default=3 * 365, help_text=_("これを過ぎた記録は毎日の処理で削除します。")
    )

    class Meta:
        verbose_name = _("ログイン設定")
        verbose_name_plural = _("ログイン設定")

    def __str__(self):
        return str(self.municipality)

    @classmethod
    def for_municipality(cls, municipality_id: int) -> "LoginPolicy":
        """The municipality's policy; the defaults (unsaved) when it has none yet."""
        policy = cls.objects.filter(municipality_id=municipality_id).first()
        return policy or cls(municipality_id=municipality_id)


class DirectoryConfig(models.Model):
    """A municipality's directory (LDAP / Active Directory). It only authenticates: the roster
    decides who exists. The bind password comes from the environment variable named here, or
    from the admin when the municipality keeps it there."""

    municipality = models.OneToOneField(
        Municipality, on_delete=models.CASCADE, related_name="directory", verbose_name=_("自治体")
    )
    enabled = models.BooleanField(_("有効"), default=True)
    server_uri = models.CharField(_("サーバーURI"), max_length=255, help_text=_("例：ldaps://dc01.city.example.lg.jp"))
    start_tls = models.BooleanField(_("STARTTLSを使う"), default=False)
    bind_dn = models.CharField(_("検索用アカウント（バインドDN）"), max_length=255, blank=True)
    bind_password_env = models.CharField(
        _("バインドパスワードの環境変数名"),
        max_length=100,
        blank=True,
        help_text=_("パスワードをリポジトリや画面に置かないときは、サーバーの環境変数名を指定します。"),
    )
    bind_password = models.CharField(_("バインドパスワード"), max_length=255, blank=True)
    user_search_base = models.CharField(
        _("ユーザー検索ベース"), max_length=255, help_text=_("例：OU=職員,DC=city,DC=example")
    )
    login_attribute = models.CharField(
        _("ログイン名の属性"), max_length=64, default="sAMAccountName", help_text=_("職員が入力する名前を持つ属性")
    )
    staff_number_attribute = models.CharField(
        _("職員番号の属性"), max_length=64, default="employeeID", help_text=_("名簿の職員番号と照合する属性")
    )
    timeout_seconds = models.PositiveSmallIntegerField(_("接続のタイムアウト（秒）"), default=5)
    login_label = models.CharField(
        _("ログイン名の表示名"),
        max_length=50,
        default=_("庁内パソコンのアカウント名"),
        help_text=_("ログイン画面で入力欄に付ける名前（例：職員番号、庁内パソコンのアカウント名）"),
    )

    class Meta:
        verbose_name = _("ディレクトリ設定")
        verbose_name_plural = _("ディレクトリ設定")

    def __str__(self):
        return f"{self.municipality} {self.server_uri}"


class SsoProvider(models.Model):
    """One single-sign-on identity provider of a municipality (OpenID Connect or SAML 2.0),
    matched to the staff record by a configured claim; it never creates people."""

    class Protocol(models.TextChoices):
        OIDC = "oidc", _("OpenID Connect")
        SAML = "saml", _("SAML 2.0")

    class MatchBy(models.TextChoices):
        STAFF_NUMBER = "staff_number", _("職員番号")
        EMAIL = "email", _("メールアドレス")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="sso_providers", verbose_name=_("自治体")
    )
    protocol = models.CharField(_("方式"), max_length=10, choices=Protocol.choices)
    slug = models.SlugField(_("識別子"), unique=True, help_text=_("URLに使う半角英数字（例：ashiya-entra）"))
    label = models.CharField(
        _("ボタンの表示名"), max_length=100, help_text=_("例：庁内アカウント（Entra ID）でログイン")
    )
    enabled = models.BooleanField(_("有効"), default=True)
    # OpenID Connect
    issuer_url = models.URLField(_("発行者URL（OIDC）"), blank=True)
    client_id = models.CharField(_("クライアントID（OIDC）"), max_length=255, blank=True)
    client_secret_env = models.CharField(_("クライアントシークレットの環境変数名（OIDC）"), max_length=100, blank=True)
    client_secret = models.CharField(_("クライアントシークレット（OIDC）"), max_length=255, blank=True)
    # SAML 2.0
    idp_entity_id = models.CharField(_("IdPのエンティティID（SAML）"), max_length=255, blank=True)
    idp_sso_url = models.URLField(_("IdPのシングルサインオンURL（SAML）"), blank=True)
    idp_x509_cert = models.TextField(_("IdPの署名証明書（SAML）"), blank=True)
    idp_metadata_url = models.URLField(_("IdPのメタデータURL（SAML）"), blank=True)
    # Matching
    match_by = models.CharField(_("照合する項目"), max_length=20, choices=MatchBy.choices, default=MatchBy.STAFF_NUMBER)
    claim = models.CharField(
        _("照合に使うクレーム・属性名"), max_length=255, default="employee_id", help_text=_("例：employee_id、email")
    )

    class Meta:
        ordering = ["municipality", "label"]
        verbose_name = _("シングルサインオン設定")
        verbose_name_plural = _("シングルサインオン設定")

    def __str__(self):
        return f"{self.municipality} {self.label}"


class AccessEventQuerySet(models.QuerySet):
    def visible_to(self, user):
        """HR: their municipality's entries; the platform admin: all; anyone else: none."""
        return scoping.within_municipality(self, user, permission="identity.view_accessevent")


class AccessEvent(models.Model):
    class Kind(models.TextChoices):
        LOGIN = "login", _("ログイン")
        LOGIN_FAILED = "login_failed", _("ログイン失敗")
        LOCKED_OUT = "locked_out", _("ログイン停止")
        LOGOUT = "logout", _("ログアウト")
        MFA_ENROLLED = "mfa_enrolled", _("二要素認証の登録")
        MFA_REMOVED = "mfa_removed", _("二要素認証の削除")
        MFA_FAILED = "mfa_failed", _("二要素認証の失敗")
        PASSWORD_RESET = "password_reset", _("パスワード再設定")
        PASSWORD_CHANGED = "password_changed", _("パスワード変更")
        SETUP_CODE_ISSUED = "setup_code_issued", _("初回設定コードの発行")
        SETUP_CODE_USED = "setup_code_used", _("初回設定コードの使用")
        SETUP_CODE_REFUSED = "setup_code_refused", _("初回設定コードの拒否")
        SESSIONS_REVOKED = "sessions_revoked", _("セッションの無効化")
        ROLE_CHANGED = "role_changed", _("役割の変更")
        ACCESS_REFUSED = "access_refused", _("アクセス拒否")

    class Method(models.TextChoices):
        NONE = "", _("—")
        PASSWORD = "password", _("パスワード")
        DIRECTORY = "directory", _("ディレクトリ")
        OIDC = "oidc", _("シングルサインオン（OpenID Connect）")
        SAML = "saml", _("シングルサインオン（SAML）")
        SETUP_CODE = "setup_code", _("初回設定コード")

    created_at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("種類"), max_length=30, choices=Kind.choices)
    method = models.CharField(_("方法"), max_length=20, choices=Method.choices, blank=True, default="")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("自治体")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作した人"),
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("対象の人"),
    )
    username = models.CharField(_("入力されたログイン名"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("接続元アドレス"), null=True, blank=True)
    detail = models.JSONField(_("詳細"), default=dict, blank=True)

    objects = AccessEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["municipality", "-created_at"], name="accessevent_muni_created")]
        verbose_name = _("アクセス記録")
        verbose_name_plural = _("アクセス記録")

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class SetupCodeQuerySet(models.QuerySet):
    def live(self):
        """Codes that have been neither used nor revoked (they may still have expired)."""
        return self.filter(used_at__isnull=True, revoked_at__isnull=True)

    def visible_to(self, user):
        """HR: codes of their municipality's staff; the platform admin: all; anyone else: none."""
        return scoping.within_municipality(
            self, user, field="staff__municipality_id", permission="identity.issue_setupcode"
        )


class SetupCode(models.Model):
    """A one-time first-access code printed on a letter for staff without a mailbox
    (identity/setup_codes.py, docs/decisions/0026-letters.md). Only an HMAC-SHA256 of the code is
    stored; issuing a new one revokes the person's older codes."""

    staff = models.ForeignKey(
        "people.StaffMember", on_delete=models.CASCADE, related_name="setup_codes", verbose_name=_("職員")
    )
    code_hash = models.CharField(_("コードのハッシュ"), max_length=64, unique=True, editable=False)
    issued_at = models.DateTimeField(_("発行日時"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有効期限"))
    used_at = models.DateTimeField(_("使用日時"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("無効化日時"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("発行した人"),
    )

    objects = SetupCodeQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-pk"]
        default_permissions = ("view",)
        permissions = [("issue_setupcode", _("初回ログイン用の通知書を発行できる"))]
        constraints = [
            models.UniqueConstraint(
                fields=["staff"],
                condition=models.Q(used_at__isnull=True, revoked_at__isnull=True),
                name="one_live_setup_code_per_staff",
            ),
        ]
        verbose_name = _("初回設定コード")
        verbose_name_plural = _("初回設定コード")

    def __str__(self):
        return f"{self.staff} {self.issued_at:%Y-%m-%d}"
