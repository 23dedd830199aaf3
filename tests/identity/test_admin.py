"""The platform admin configures each municipality's directory and log-in policy under 設定;
nobody else reaches those screens; the bind password is write-only."""

from __future__ import annotations

import json
import re

import pytest

from identity.models import DirectoryConfig, LoginPolicy
from tests.factories import DepartmentFactory, StaffMemberFactory, UserFactory
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

SECRET = "Bind-Secret-Value-42"


@pytest.fixture
def admin_client(client, home):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def _directory_data(municipality, **overrides):
    return {
        "municipality": municipality.pk,
        "enabled": "on",
        "server_uri": "ldaps://dc01.city.ashiya.lg.jp",
        "bind_dn": "CN=svc-training,OU=Service,DC=city,DC=ashiya,DC=lg,DC=jp",
        "bind_password_env": "",
        "bind_password": SECRET,
        "user_search_base": "OU=職員,DC=city,DC=ashiya,DC=lg,DC=jp",
        "login_attribute": "sAMAccountName",
        "staff_number_attribute": "employeeID",
        "login_label": "庁内パソコンのユーザー名",
        "timeout_seconds": "5",
        **overrides,
    }


def test_the_settings_menu_lists_both_for_the_platform_admin(admin_client):
    markup = admin_client.get("/admin/login-policies/").content.decode()
    sidebar = json.loads(re.search(r'id="wagtail-sidebar-props"[^>]*>(.*?)</script>', markup, re.S).group(1))
    settings_menu = next(
        item
        for item in sidebar["modules"][2]["_args"][0]
        if item["_type"] == "wagtail.sidebar.SubMenuItem" and item["_args"][0]["name"] == "settings"
    )
    labels = {entry["_args"][0]["label"]: entry["_args"][0]["url"] for entry in settings_menu["_args"][1]}
    assert labels["ディレクトリ設定"] == "/admin/directories/"
    assert labels["ログイン設定"] == "/admin/login-policies/"
    assert admin_client.get("/admin/directories/").status_code == 200
    assert admin_client.get("/admin/login-policies/").status_code == 200


def test_the_bind_password_is_saved_but_never_shown_again(admin_client, ashiya):
    response = admin_client.post("/admin/directories/new/", _directory_data(ashiya))
    assert response.status_code == 302, visible_text(response.content.decode())[:2000]
    config = DirectoryConfig.objects.get(municipality=ashiya)
    assert config.bind_password == SECRET

    edit = admin_client.get(f"/admin/directories/edit/{config.pk}/").content.decode()
    assert SECRET not in edit
    assert re.search(r'<input type="password" name="bind_password"[^>]*>', edit)
    assert "保存済みです" in visible_text(edit)

    # Saved again with the field left empty: the password stays.
    data = _directory_data(ashiya, bind_password="", timeout_seconds="3")
    assert admin_client.post(f"/admin/directories/edit/{config.pk}/", data).status_code == 302
    config.refresh_from_db()
    assert (config.bind_password, config.timeout_seconds) == (SECRET, 3)

    # Cleared on purpose (the city moved it to an environment variable).
    data = _directory_data(ashiya, bind_password="", bind_password_env="ASHIYA_LDAP_BIND", bind_password_clear="on")
    assert admin_client.post(f"/admin/directories/edit/{config.pk}/", data).status_code == 302
    config.refresh_from_db()
    assert (config.bind_password, config.bind_password_env) == ("", "ASHIYA_LDAP_BIND")


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("server_uri", "http://dc01", "ldap:// または ldaps://"),
        ("login_attribute", "uid)(objectClass=*", "属性名は"),
        ("staff_number_attribute", "employee ID", "属性名は"),
    ],
)
def test_bad_settings_are_refused_in_japanese(admin_client, ashiya, field, value, message):
    response = admin_client.post("/admin/directories/new/", _directory_data(ashiya, **{field: value}))

    assert response.status_code == 200
    assert message in visible_text(response.content.decode())
    assert not DirectoryConfig.objects.exists()


def test_the_policy_is_edited_in_japanese(admin_client, ashiya):
    response = admin_client.post(
        "/admin/login-policies/new/",
        {
            "municipality": ashiya.pk,
            "password_when_directory_down": "on",
            "no_mailbox_contact": "人事課 研修担当 内線1234",
            "setup_code_valid_days": "14",
            "access_log_retention_days": "1095",
        },
    )

    assert response.status_code == 302
    policy = LoginPolicy.objects.get(municipality=ashiya)
    assert (policy.password_allowed, policy.password_when_directory_down) == (False, True)
    form = admin_client.get(f"/admin/login-policies/edit/{policy.pk}/").content.decode()
    assert "職員番号とパスワードでのログインを許可する" in form


@pytest.mark.parametrize("role", ["employee", "hr", "department_head"])
def test_no_one_but_the_platform_admin_gets_in(client, ashiya, role):
    staff = StaffMemberFactory(municipality=ashiya, department=DepartmentFactory(municipality=ashiya), role=role)
    config = DirectoryConfig.objects.create(
        municipality=ashiya, server_uri="ldap://x", user_search_base="ou=x", bind_password=SECRET
    )
    client.force_login(staff.user)

    for url in (
        "/admin/directories/",
        "/admin/directories/new/",
        f"/admin/directories/edit/{config.pk}/",
        "/admin/login-policies/",
    ):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        assert SECRET not in response.content.decode()
    response = client.post(f"/admin/directories/edit/{config.pk}/", _directory_data(ashiya, server_uri="ldap://evil"))
    assert response.status_code in (302, 403, 404)
    config.refresh_from_db()
    assert config.server_uri == "ldap://x"
