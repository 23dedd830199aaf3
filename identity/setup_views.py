"""The public first-access page (/accounts/setup/): staff without a mailbox set their first password
with the code on HR's letter (identity.services.setup_code_redeem)."""

from urllib.parse import urlencode

from allauth.core import ratelimit
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from people.models import login_username

from . import services
from .models import AccessEvent
from .setup_forms import SetupCodeForm

RATE_LIMITED = _(
    "設定コードの入力の失敗が続いたため、一時的に受け付けを停止しています。5分ほど待ってから、もう一度お試しください。"
)


def _rate_key(form) -> str:
    municipality = form.cleaned_data.get("municipality")
    number = (form.cleaned_data.get("staff_number") or "").strip()
    return login_username(municipality.code, number) if municipality else number.lower()


@never_cache
@csrf_protect
@sensitive_post_parameters("code", "password1", "password2")
def setup(request):
    """GET: the form (自治体 and 職員番号 filled from the letter's QR code). POST: set the password,
    then on to the log-in page; every refused code gets the same message."""
    if request.method == "POST":
        form = SetupCodeForm(request.POST)
        if form.is_valid():
            key = _rate_key(form)
            if not ratelimit.consume(request, action="setup_code_failed", key=key, dry_run=True):
                services.access_event_record(
                    kind=AccessEvent.Kind.SETUP_CODE_REFUSED,
                    request=request,
                    municipality_id=form.cleaned_data["municipality"].pk,
                    method=AccessEvent.Method.SETUP_CODE,
                    username=key,
                    detail={"reason": "rate_limited"},
                )
                form.add_error(None, RATE_LIMITED)
            else:
                try:
                    services.setup_code_redeem(
                        municipality=form.cleaned_data["municipality"],
                        staff_number=form.cleaned_data["staff_number"],
                        code=form.cleaned_data["code"],
                        password=form.cleaned_data["password1"],
                        request=request,
                    )
                except services.SetupCodeError as exc:
                    if exc.field == "password":
                        for message in exc.messages:
                            form.add_error("password1", message)
                    else:
                        ratelimit.consume(request, action="setup_code_failed", key=key)
                        form.add_error(None, str(exc))
                else:
                    messages.success(
                        request,
                        _("パスワードを設定しました。自治体・職員番号と新しいパスワードでログインしてください。"),
                    )
                    # Straight to the municipality's forms of the log-in page.
                    login_url = reverse("account_login")
                    code = form.cleaned_data["municipality"].code
                    return redirect(f"{login_url}?{urlencode({'municipality': code})}")
    else:
        initial = {
            "municipality": request.GET.get("municipality", "")[:6],
            "staff_number": request.GET.get("staff_number", "")[:20],
        }
        form = SetupCodeForm(initial=initial)
    return render(request, "identity/setup.html", {"form": form})
