"""Wagtail admin wiring of the people app (registration only)."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from .department_admin import DepartmentHistoryViewSet
from .viewsets import MunicipalityViewSet, RolesViewSet, RosterImportViewSet


@hooks.register("register_admin_viewset")
def register_municipality_viewset():
    return MunicipalityViewSet("municipalities")


@hooks.register("register_admin_viewset")
def register_roster_import_viewset():
    return RosterImportViewSet()


@hooks.register("register_admin_viewset")
def register_department_history_viewset():
    return DepartmentHistoryViewSet()


@hooks.register("register_admin_viewset")
def register_roles_viewset():
    return RolesViewSet()


@hooks.register("register_log_actions")
def register_people_log_actions(actions):
    actions.register_action("people.roster_imported", _("職員名簿の取込"), _("職員名簿を取り込みました"))
    actions.register_action("people.departments_imported", _("所属マスタの取込"), _("所属マスタを取り込みました"))
    actions.register_action(
        "people.reorganisation_imported", _("所属マスタと職員名簿の取込"), _("所属マスタと職員名簿を取り込みました")
    )
    actions.register_action(
        "people.roster_import_purged", _("取込ファイルの削除"), _("保存期間を過ぎた取込ファイルを削除しました")
    )
    actions.register_action("people.staff_transferred", _("異動"), _("職員の所属を変更しました"))
    actions.register_action("people.staff_deactivated", _("退職"), _("職員を退職にしました"))
    actions.register_action("people.staff_reactivated", _("再在職"), _("職員を在職に戻しました"))
    actions.register_action("people.role_appointed", _("役割の任命"), _("役割を任命しました"))
    actions.register_action("people.role_removed", _("役割の解除"), _("役割を外しました"))
    actions.register_action("people.head_post_vacated", _("所属長の空席"), _("所属長のポストが空席になりました"))
    actions.register_action("people.department_renamed", _("所属名の変更"), _("所属の名称を変更しました"))
    actions.register_action("people.department_moved", _("上位所属の変更"), _("所属の上位所属を変更しました"))
    actions.register_action("people.department_retired", _("所属の廃止"), _("所属を廃止しました"))
    actions.register_action("people.department_merged", _("所属の統合"), _("所属を統合しました"))
    actions.register_action(
        "people.department_history_applied", _("所属変更の適用"), _("予定日を迎えた所属の変更を適用しました")
    )
    actions.register_action("people.membership_start_corrected", _("着任日の訂正"), _("所属履歴の開始日を訂正しました"))
    actions.register_action("people.reorganisation_committed", _("組織改正の取込"), _("組織改正を取り込みました"))
