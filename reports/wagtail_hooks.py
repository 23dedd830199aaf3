"""Wagtail wiring of the reports app (registration only)."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_urls
from .selectors import REPORT_PERMISSION


@hooks.register("register_log_actions")
def register_report_log_actions(actions):
    actions.register_action("reports.viewed", _("レポートの閲覧"), _("レポートを閲覧しました"))
    actions.register_action("reports.exported", _("レポートの出力"), _("レポートをダウンロードしました"))
    actions.register_action(
        "reports.certificate_downloaded", _("修了証のダウンロード"), _("修了証（PDF）をダウンロードしました")
    )
    actions.register_action(
        "reports.certificate_bundle_requested", _("修了証のZIPの作成依頼"), _("修了証のZIPの作成を依頼しました")
    )


@hooks.register("register_admin_urls")
def register_report_urls():
    """Both namespaces of the reports area (reports_admin:, hr_reports:) from the one URL module."""
    return [path("hr-reports/", include(admin_urls.urlpatterns))]


class ReportsMenuItem(MenuItem):
    """Shown to whoever holds the reports permission (HR through their role, platform admins)."""

    def is_shown(self, request):
        return request.user.has_perm(REPORT_PERMISSION)


@hooks.register("register_reports_menu_item")
def register_completion_records_menu_item():
    return ReportsMenuItem(_("修了記録"), reverse("reports_admin:completion_records"), icon_name="doc-full", order=10)


@hooks.register("register_reports_menu_item")
def register_certificates_zip_menu_item():
    return ReportsMenuItem(
        _("修了証の一括ダウンロード"), reverse("reports_admin:certificates_zip"), icon_name="download", order=20
    )


@hooks.register("register_reports_menu_item")
def register_verify_menu_item():
    return ReportsMenuItem(_("修了証の確認"), reverse("reports_admin:verify"), icon_name="search", order=30)


# --- HR reports of issue 5 (reports/views/, decision 0015) ---------------------------------------


class QuestionAnalysisMenuItem(MenuItem):
    """設問分析 is for HR and also for the editors and approvers of the municipality's questions."""

    def is_shown(self, request):
        return request.user.has_perm(REPORT_PERMISSION) or request.user.has_perm("quizzes.view_scenarioquestion")


@hooks.register("register_reports_menu_item")
def register_dashboard_menu_item():
    return ReportsMenuItem(
        _("受講状況ダッシュボード"), reverse("hr_reports:dashboard"), icon_name="doc-full-inverse", order=1
    )


@hooks.register("register_reports_menu_item")
def register_department_summary_menu_item():
    return ReportsMenuItem(_("所属別の受講状況"), reverse("hr_reports:department_summary"), icon_name="table", order=2)


@hooks.register("register_reports_menu_item")
def register_staff_report_menu_item():
    return ReportsMenuItem(_("職員別の受講状況"), reverse("hr_reports:staff"), icon_name="user", order=3)


@hooks.register("register_reports_menu_item")
def register_heatmap_menu_item():
    return ReportsMenuItem(_("条項別の誤答率"), reverse("hr_reports:heatmap"), icon_name="warning", order=4)


@hooks.register("register_reports_menu_item")
def register_item_analysis_menu_item():
    return QuestionAnalysisMenuItem(_("設問分析"), reverse("hr_reports:items"), icon_name="help", order=5)


@hooks.register("register_reports_menu_item")
def register_personnel_menu_item():
    return ReportsMenuItem(
        _("人事記録"), reverse("hr_reports:personnel_search"), icon_name="folder-open-inverse", order=6
    )


@hooks.register("construct_homepage_panels")
def add_hr_dashboard_panel(request, panels):
    """HR sees their municipality's current cycle charted on the admin home (an entry in the audit
    log, as for every report shown)."""
    if not request.user.has_perm(REPORT_PERMISSION):
        return
    from django.core.exceptions import PermissionDenied
    from django.utils import timezone

    from . import selectors, services
    from .queries import common
    from .views.dashboard import HRDashboardPanel

    try:
        municipality = selectors.report_municipality(user=request.user, requested=request.GET.get("municipality"))
    except PermissionDenied:
        return
    today = timezone.localdate()
    cycle = common.current_cycle(common.cycles_of(municipality=municipality), today)
    panels.append(
        HRDashboardPanel(
            municipality=municipality,
            cycle=cycle,
            as_of=today,
            departments=common.department_index(municipality=municipality),
        )
    )
    services.audit_report_viewed(
        user=request.user,
        municipality=municipality,
        report="dashboard-home",
        filters={"cycle": cycle.pk if cycle else None},
        row_count=1 if cycle else 0,
    )
