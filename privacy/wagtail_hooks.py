from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from . import admin_views  # noqa: F401  (registers the 個人情報の管理 viewset)


@hooks.register("register_log_actions")
def register_privacy_log_actions(actions):
    actions.register_action("privacy.disclosure_exported", _("本人開示"), _("個人情報の開示ファイルを作成しました"))
    actions.register_action("privacy.staff_erased", _("個人情報の消去"), _("退職者の個人情報を消去しました"))
    actions.register_action("privacy.retention_changed", _("保存期間の変更"), _("個人情報の保存期間を変更しました"))
    actions.register_action(
        "privacy.retention_applied", _("保存期間の適用"), _("保存期間を過ぎた個人情報を削除・消去しました")
    )
