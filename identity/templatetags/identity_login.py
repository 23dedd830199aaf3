"""The log-in page by municipality: `{% login_page as lp %}` in templates/account/login.html.

Without a municipality the page offers the 自治体 choice (a GET form with 次へ, no JavaScript)
and the e-mail log-in. With `?municipality=<団体コード>` (or after a post naming one) it shows
that municipality's methods: its directory form, its 職員番号 + password form where allowed, and
its single-sign-on buttons (identity/includes/sso_buttons.html)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

from identity import selectors
from identity.forms import MunicipalityLoginForm

register = template.Library()


def _fresh_form(request, method: str, municipality) -> MunicipalityLoginForm:
    return MunicipalityLoginForm(
        request=request, auto_id=f"{method}_%s", initial={"method": method, "municipality": municipality.code}
    )


@register.simple_tag(takes_context=True)
def login_page(context) -> dict:
    request = context["request"]
    form = context.get("form")
    posted = request.method == "POST" and form is not None and form.is_bound
    data = form.data if posted else request.GET
    code = data.get("municipality")
    posted_method = form.data.get("method", "") if posted else ""
    if posted and not posted_method and "@" in (form.data.get("login") or ""):
        code = None  # the e-mail form
    municipality = selectors.municipality_by_code(code)
    page = {
        "municipality": municipality,
        "form": form,
        "no_municipality": "municipality" in data and municipality is None,
    }
    if municipality is None:
        if form is not None:
            form.fields["login"].label = _("メールアドレス")
            form.fields["login"].widget.attrs["autocomplete"] = "email"
        return page

    methods = selectors.login_methods(municipality)
    page["methods"] = methods
    page["sso_providers"] = methods.sso_providers
    posted_method = posted_method or (MunicipalityLoginForm.METHOD_PASSWORD if posted else "")
    directory_form = password_form = None
    if methods.directory is not None:
        if posted_method == MunicipalityLoginForm.METHOD_DIRECTORY:
            directory_form = form
            directory_form.auto_id = "directory_%s"
        else:
            directory_form = _fresh_form(request, MunicipalityLoginForm.METHOD_DIRECTORY, municipality)
        directory_form.fields["login"].label = methods.directory.login_label or _("アカウント名")
        # The directory's password is not this site's: no link to this site's password reset.
        directory_form.fields["password"].help_text = _("庁内のパソコンと同じパスワードです。")
    if methods.password or posted_method == MunicipalityLoginForm.METHOD_PASSWORD:
        if posted_method == MunicipalityLoginForm.METHOD_PASSWORD:
            password_form = form
            password_form.auto_id = "password_%s"
        else:
            password_form = _fresh_form(request, MunicipalityLoginForm.METHOD_PASSWORD, municipality)
        password_form.fields["login"].label = _("職員番号")
    if posted_method == MunicipalityLoginForm.METHOD_DIRECTORY and directory_form is None:
        # A directory post for a municipality without one: show its message on the page.
        page["orphan_form"] = form
    page["directory_form"] = directory_form
    page["password_form"] = password_form
    return page
