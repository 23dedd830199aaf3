"""「ログインの管理」in the Wagtail admin: HR (their municipality) and the platform admin end every
session of a person, or reset a person's second factor when they lost their device (decision
0025). Registered from IdentityConfig.ready; every URL has an entry in
sns_training/admin_access.py POLICIES."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from people import scoping

from . import selectors, services


def may_manage_logins(user) -> bool:
    viewer = scoping.viewer_of(user)
    return viewer.platform_admin or viewer.is_hr


class LoginAdminPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not may_manage_logins(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class LoginAdminIndexView(LoginAdminPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """Find a person by 職員番号 or name (within the viewer's municipality)."""

    template_name = "identity/admin/login_admin_index.html"
    page_title = _("ログインの管理")
    header_icon = "lock"
    limit = 50

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()[:50]
        staff = selectors.staff_for_login_admin(user=self.request.user)
        if query:
            staff = staff.filter(staff_number__startswith=query) | staff.filter(name__contains=query)
            context["results"] = list(staff[: self.limit])
        context["query"] = query
        return context


class LoginAdminStaffView(LoginAdminPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """One person: their open sessions and authenticators, and the two buttons (POST)."""

    template_name = "identity/admin/login_admin_staff.html"
    header_icon = "lock"

    def dispatch(self, request, *args, **kwargs):
        if may_manage_logins(request.user):
            self.member = selectors.staff_for_login_admin_get(user=request.user, pk=kwargs["staff_id"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("ログインの管理")

    def get_page_subtitle(self):
        return f"{self.member.name}（{self.member.staff_number}）"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("identity_logins:index"), "label": _("ログインの管理")},
            {"url": "", "label": self.get_page_subtitle()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.member.user
        context.update(
            member=self.member,
            sessions=UserSession.objects.purge_and_list(user),
            authenticators=list(Authenticator.objects.filter(user_id=user.pk).order_by("type")),
        )
        return context


class _LoginAdminActionView(LoginAdminPermissionMixin, View):
    http_method_names = ["post"]

    def post(self, request, staff_id: int):
        member = selectors.staff_for_login_admin_get(user=request.user, pk=staff_id)
        self.act(request, member)
        return redirect("identity_logins:staff", staff_id=member.pk)


class RevokeSessionsView(_LoginAdminActionView):
    def act(self, request, member):
        ended = services.sessions_revoke(user=member.user, actor=request.user, request=request)
        messages.success(
            request,
            _gettext("%(name)s さんのセッションを %(count)d 件終了しました。") % {"name": member.name, "count": ended},
        )


class ResetSecondFactorView(_LoginAdminActionView):
    def act(self, request, member):
        if member.user_id == request.user.pk:
            # One's own factors change on the 二要素認証 page, where the last one cannot go.
            messages.error(request, _gettext("自分の二要素認証は、マイページの「二要素認証」から変更してください。"))
            return
        removed = services.authenticators_reset(user=member.user, actor=request.user, request=request)
        messages.success(
            request,
            _gettext(
                "%(name)s さんの二要素認証をリセットしました（%(count)d 件削除）。"
                "次に管理画面を開くときに新しい認証手段を登録します。"
            )
            % {"name": member.name, "count": removed},
        )


class LoginAdminMenuItem(MenuItem):
    def is_shown(self, request):
        return may_manage_logins(request.user)


class LoginAdminViewSet(ViewSet):
    name = "identity_logins"
    icon = "lock"
    menu_label = _("ログインの管理")
    add_to_admin_menu = True
    menu_order = 810
    menu_item_class = LoginAdminMenuItem

    def get_urlpatterns(self):
        return [
            path("", LoginAdminIndexView.as_view(), name="index"),
            path("<int:staff_id>/", LoginAdminStaffView.as_view(), name="staff"),
            path("<int:staff_id>/revoke-sessions/", RevokeSessionsView.as_view(), name="revoke_sessions"),
            path("<int:staff_id>/reset-mfa/", ResetSecondFactorView.as_view(), name="reset_mfa"),
        ]


@hooks.register("register_admin_viewset")
def register_login_admin_viewset():
    return LoginAdminViewSet()
