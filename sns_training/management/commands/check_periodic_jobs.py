"""`manage.py check_periodic_jobs`: which periodic job (sns_training/periodic.py) has not succeeded
for longer than it may; exits 1 when any is late or has never run, so cron or the monitoring
system can alert. Run hourly from deploy/crontab."""

import sys

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from sns_training import periodic


class Command(BaseCommand):
    help = "Report periodic jobs that have not run for longer than their period; exit 1 if any."

    def handle(self, *args, **options):
        states = periodic.job_states()
        late = [s for s in states if s.status != "ok"]
        for state in states:
            last = (
                timezone.localtime(state.last_succeeded_at).strftime("%Y-%m-%d %H:%M")
                if state.last_succeeded_at
                else _("なし")
            )
            label = {"ok": _("正常"), "late": _("遅延"), "never": _("未実行")}[state.status]
            line = _("%(label)s  %(job)s  最終成功: %(last)s  （%(late_after)s を過ぎると遅延）") % {
                "label": label,
                "job": state.job.name,
                "last": last,
                "late_after": state.job.late_after,
            }
            if state.last_error:
                line += "  " + _("直近の実行は失敗: %(error)s") % {"error": state.last_error.strip().splitlines()[-1]}
            (self.stdout if state.status == "ok" else self.stderr).write(line)
        if late:
            self.stderr.write(
                _("遅れている定期処理があります: %(jobs)s") % {"jobs": "、".join(s.job.name for s in late)}
            )
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(_("すべての定期処理が期限内に実行されています。")))
