from allauth.account.views import LoginView
from django.conf import settings
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from courses import views as course_views
from identity.account import RosterEmailView, StaffAccountView
from reports.views import public as public_reports

from . import health, views

urlpatterns = [
    # Wagtail's own log-in form is replaced by allauth's, so its failed-login limits hold there too.
    path("admin/login/", LoginView.as_view(), name="wagtailadmin_login"),
    # Name and e-mail come from the roster, not the user (identity/account.py, decision 0027).
    path("admin/account/", StaffAccountView.as_view(), name="wagtailadmin_account"),
    path("accounts/email/", RosterEmailView.as_view(), name="account_email"),
    path("admin/", include(wagtailadmin_urls)),
    # First access with a letter's setup code (identity/setup_views.py, decision 0026).
    path("accounts/", include("identity.setup_urls")),
    path("accounts/", include("allauth.urls")),
    path("mypage/selfcheck/", include("selfcheck.urls")),
    path("mypage/", include("courses.urls")),
    path("staff/", include("people.urls")),
    path("quiz/", include("quizzes.urls")),
    path("department/", include("training.urls")),
    path("reports/", include("reports.urls")),
    # The public 修了証の確認 (no log-in; decision 0042): the link printed on every certificate.
    path("verify/", public_reports.verify, name="verify"),
    path("verify/<str:code>/", public_reports.verify, name="verify_code"),
    path("privacy/", include("privacy.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz/", views.healthz, name="healthz"),
    path("readyz/", health.readyz, name="readyz"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [
    re_path(r"^((?:[\w\-]+/)*)$", course_views.serve, name="wagtail_serve"),
    path("", include(wagtail_urls)),
]

handler404 = "sns_training.views.page_not_found"
# A database or Redis outage answers 503 with Retry-After; other errors the 500 page.
handler500 = "sns_training.health.server_error"
