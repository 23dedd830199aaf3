"""The log-in page chooses the 自治体 first, then shows that municipality's methods; it works
without JavaScript (a GET form with 次へ), keeps the e-mail log-in, and the Wagtail admin's log-in
is the same page."""

from __future__ import annotations

import re

import pytest

from identity.models import DirectoryConfig, LoginPolicy, SsoProvider
from tests.factories import PASSWORD, DepartmentFactory, StaffMemberFactory
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def cities(ashiya, sukagawa):
    DirectoryConfig.objects.create(
        municipality=ashiya,
        server_uri="ldap://dc01.ashiya.example",
        user_search_base="OU=職員,DC=ashiya,DC=example",
        login_label="庁内パソコンのユーザー名",
    )
    return ashiya, sukagawa


def _forms(markup: str) -> list[str]:
    return re.findall(r"<form\b.*?</form>", markup, re.S)


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_first_the_municipality_then_the_email_log_in(client, cities, url):
    markup = client.get(url).content.decode()

    chooser, email = [f for f in _forms(markup) if 'name="language"' not in f]
    assert re.search(r'<form method="get" action="' + re.escape(url) + '"', chooser)
    assert re.search(r'<select name="municipality"', chooser)
    assert '<option value="282065">芦屋市</option>' in chooser
    assert '<option value="072079">須賀川市</option>' in chooser
    assert "次へ" in chooser
    assert 'name="password"' not in chooser
    assert 'method="post"' in email and "csrfmiddlewaretoken" in email
    assert re.search(r'<label for="id_login">メールアドレス', email)
    assert 'name="method"' not in email


def test_choosing_a_municipality_keeps_where_to_go_next(client, cities):
    markup = client.get("/accounts/login/?next=/admin/").content.decode()
    assert '<input type="hidden" name="next" value="/admin/">' in _forms(markup)[0]

    markup = client.get("/admin/login/?municipality=282065&next=/admin/").content.decode()
    posts = [f for f in _forms(markup) if 'name="method"' in f]
    assert len(posts) == 2
    for form in posts:
        assert 'action="/admin/login/"' in form
        assert '<input type="hidden" name="next" value="/admin/">' in form


def test_a_city_with_a_directory_and_passwords_shows_both_forms(client, cities):
    markup = client.get("/accounts/login/?municipality=282065").content.decode()
    text = visible_text(markup)

    assert "芦屋市の職員の方のログインです。" in text
    directory, password = [f for f in _forms(markup) if 'name="method"' in f]
    assert '<input type="hidden" name="method" value="directory">' in directory
    assert '<input type="hidden" name="municipality" value="282065">' in directory
    assert re.search(r'<label for="directory_login">庁内パソコンのユーザー名', directory)
    assert "庁内アカウントでログイン" in directory
    assert "/accounts/password/reset/" not in directory, "the directory's password is not reset here"
    assert '<input type="hidden" name="method" value="password">' in password
    assert re.search(r'<label for="password_login">職員番号', password)
    # Two forms on one page: no id twice.
    ids = re.findall(r'\bid="([^"]+)"', markup)
    assert len(ids) == len(set(ids))
    # Back to the choice and the e-mail log-in.
    assert '<a href="/accounts/login/">自治体を選び直す・メールアドレスでログインする</a>' in markup


def test_a_city_without_a_directory_shows_the_staff_number_form_only(client, cities):
    markup = client.get("/accounts/login/?municipality=072079").content.decode()

    forms = [f for f in _forms(markup) if 'name="method"' in f]
    assert len(forms) == 1
    assert 'value="password"' in forms[0]
    assert "庁内アカウントでログイン" not in markup


def test_a_city_without_passwords_shows_no_password_form(client, cities):
    ashiya, _ = cities
    LoginPolicy.objects.create(municipality=ashiya, password_allowed=False)

    markup = client.get("/accounts/login/?municipality=282065").content.decode()

    forms = [f for f in _forms(markup) if 'name="method"' in f]
    assert len(forms) == 1
    assert 'value="directory"' in forms[0]
    assert "職員番号とパスワードでログイン" not in markup


def test_the_sso_template_gets_the_municipalitys_enabled_providers(client, cities):
    ashiya, sukagawa = cities
    SsoProvider.objects.create(municipality=ashiya, protocol="oidc", slug="ashiya-entra", label="Entra ID")
    SsoProvider.objects.create(municipality=ashiya, protocol="saml", slug="ashiya-adfs", label="ADFS", enabled=False)
    SsoProvider.objects.create(municipality=sukagawa, protocol="oidc", slug="suka-entra", label="須賀川")

    response = client.get("/accounts/login/?municipality=282065")

    assert "identity/includes/sso_buttons.html" in [t.name for t in response.templates]
    context = next(c for c in response.context if "sso_providers" in c)
    assert [p.slug for p in context["sso_providers"]] == ["ashiya-entra"]
    assert context["municipality"].code == "282065"


def test_an_unknown_or_missing_municipality_asks_again(client, cities):
    for url in ("/accounts/login/?municipality=", "/accounts/login/?municipality=999999"):
        markup = client.get(url).content.decode()
        assert "自治体を選んでから「次へ」を押してください。" in visible_text(markup)
        assert 'name="method"' not in markup


def test_the_staff_number_form_logs_in_and_records_the_method(client, cities):
    ashiya, _ = cities
    staff = StaffMemberFactory(
        municipality=ashiya, department=DepartmentFactory(municipality=ashiya), staff_number="000777", email=""
    )

    response = client.post(
        "/accounts/login/", {"municipality": "282065", "method": "password", "login": "000777", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.user.pk)
    from identity.models import AccessEvent

    event = AccessEvent.objects.get()
    assert (event.kind, event.method, event.subject_id) == ("login", "password", staff.user.pk)


def test_a_failed_staff_number_log_in_stays_on_the_municipalitys_page(client, cities):
    response = client.post(
        "/accounts/login/",
        {"municipality": "282065", "method": "password", "login": "000777", "password": "wrong-pass-1"},
    )

    markup = response.content.decode()
    assert "芦屋市の職員の方のログインです。" in visible_text(markup)
    password = next(f for f in _forms(markup) if 'value="password"' in f)
    assert "ログインできませんでした。入力内容をご確認ください。" in visible_text(password)
    assert 'value="000777"' in password
    directory = next(f for f in _forms(markup) if 'value="directory"' in f)
    assert "ログインできませんでした" not in directory


def test_an_email_log_in_by_a_city_user_is_recorded(client, cities):
    ashiya, _ = cities
    staff = StaffMemberFactory(municipality=ashiya, department=DepartmentFactory(municipality=ashiya))
    from identity.models import AccessEvent

    client.post("/accounts/login/", {"login": staff.user.email, "password": "wrong-pass-1"})
    client.post("/accounts/login/", {"login": staff.user.email, "password": PASSWORD})

    kinds = list(AccessEvent.objects.order_by("pk").values_list("kind", "method", "municipality_id"))
    assert kinds == [("login_failed", "password", ashiya.pk), ("login", "password", ashiya.pk)]
    assert AccessEvent.objects.filter(subject=staff.user).count() == 2


@pytest.mark.parametrize("municipality", ["", "999999", "28206'"])
def test_a_directory_post_without_a_known_municipality_asks_for_it(client, cities, municipality):
    response = client.post(
        "/accounts/login/",
        {"municipality": municipality, "method": "directory", "login": "ashida.k", "password": "whatever-1"},
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    markup = response.content.decode()
    assert re.search(r'<select name="municipality"[^>]*aria-invalid="true"', markup)
    assert 'id="id_municipality_error"' in markup
    from identity.models import AccessEvent

    assert not AccessEvent.objects.filter(kind="login").exists()


def test_a_get_never_logs_in_or_writes(client, cities):
    from identity.models import AccessEvent

    client.get("/accounts/login/?municipality=282065&method=directory&login=ashida.k&password=x")

    assert "_auth_user_id" not in client.session
    assert not AccessEvent.objects.exists()


def test_a_locked_account_is_recorded_against_the_person(client, cities):
    from identity.models import AccessEvent

    ashiya, _ = cities
    staff = StaffMemberFactory(
        municipality=ashiya, department=DepartmentFactory(municipality=ashiya), staff_number="000888", email=""
    )
    data = {"municipality": "282065", "method": "password", "login": "000888", "password": "wrong-pass-1"}
    for _ in range(6):
        client.post("/accounts/login/", data)

    kinds = list(AccessEvent.objects.filter(subject=staff.user).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["login_failed"] * 5 + ["locked_out"]
    assert AccessEvent.objects.filter(kind="locked_out").get().municipality == ashiya
