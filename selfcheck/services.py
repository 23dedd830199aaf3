"""Writes of the self-check: running a check (which counts the rules that fired, never the draft)
and seeding a municipality's rules and their approval."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from people import scoping

from . import defaults, engine, selectors
from .models import SelfCheckApprovalTask, SelfCheckRule, SelfCheckTally, format_words

MAX_CHARS = 4000


class SelfCheckError(Exception):
    """A check that cannot run; the message is Japanese and shown as is."""


def _entity_finder(text: str, offset: int):
    from . import nlp

    return nlp.entities(text, offset=offset)


def _tokenizer(text: str):
    from . import nlp

    return nlp.tokens(text)


def selfcheck_run(
    *, user, text: str, account_type: str, planned_at: datetime | None = None, platform: str = ""
) -> list[engine.Finding]:
    """Check a draft against the rules of the user's municipality and count, per department, which
    rules fired. The draft is neither stored nor logged: only rule codes and clause keys are written."""
    staff = scoping.acting_staff(user)
    if staff is None:
        raise SelfCheckError(_("セルフチェックは職員として登録されている方だけが使えます。"))
    if account_type not in defaults.ACCOUNT_TYPES:
        raise SelfCheckError(_("アカウントの種類を選んでください。"))
    if not text or not text.strip():
        raise SelfCheckError(_("投稿の下書きを入力してください。"))
    if len(text) > MAX_CHARS:
        raise SelfCheckError(_("下書きは%(max)s字以内にしてください。") % {"max": f"{MAX_CHARS:,}"})
    rules = selectors.rules_for(municipality=staff.municipality, account_type=account_type)
    findings = engine.check(
        text=text,
        account_type=account_type,
        planned_at=planned_at,
        rules=rules,
        entity_finder=_entity_finder,
        tokenizer=_tokenizer,
    )
    fired = {(finding.code, finding.clause_key) for finding in findings}
    day = timezone.localdate()
    with transaction.atomic():
        base = {"municipality_id": staff.municipality_id, "department_id": staff.department_id}
        _count(**base, code="", clause_key="", account_type=account_type, day=day)
        for code, clause_key in sorted(fired):
            _count(**base, code=code, clause_key=clause_key, account_type=account_type, day=day)
    return findings


def _count(**keys) -> None:
    if SelfCheckTally.objects.filter(**keys).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            SelfCheckTally.objects.create(**keys, count=1)
    except IntegrityError:  # another check created the row first
        SelfCheckTally.objects.filter(**keys).update(count=F("count") + 1)


RULE_WORKFLOW = "セルフチェックのルール承認フロー"
RULE_TASK = "セルフチェックのルールの承認（自治体別）"


@transaction.atomic
def rules_seed(*, municipality, user=None) -> int:
    """Create the municipality's rules from the defaults where missing (live, as the guideline's
    import is), give its editor and approver groups the permissions they have for questions, and
    route changes through the rules' approval workflow. Returns the number of rules created."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Workflow, WorkflowContentType, WorkflowTask

    from courses.services import APPROVER_GROUP, EDITOR_GROUP

    created = 0
    for account_type in defaults.ACCOUNT_TYPES:
        for config in defaults.default_rule_configs(municipality_slug=municipality.slug, account_type=account_type):
            if SelfCheckRule.objects.filter(
                municipality=municipality, code=config.code, account_type=account_type
            ).exists():
                continue
            is_hours = config.code == "working_hours"
            rule = SelfCheckRule.objects.create(
                municipality=municipality,
                code=config.code,
                account_type=account_type,
                clause_key=config.clause_key,
                message=config.message,
                words=format_words(config.words),
                work_start=config.work_start if is_hours else None,
                work_end=config.work_end if is_hours else None,
                break_start=config.break_start if is_hours else None,
                break_end=config.break_end if is_hours else None,
                live=True,
            )
            rule.save_revision(user=user, log_action=True).publish(user=user, log_action=False)
            created += 1
    editors = Group.objects.filter(name=EDITOR_GROUP.format(municipality=municipality.name)).first()
    approvers = Group.objects.filter(name=APPROVER_GROUP.format(municipality=municipality.name)).first()
    codenames = {editors: ("change_selfcheckrule", "view_selfcheckrule")}
    codenames[approvers] = ("change_selfcheckrule", "view_selfcheckrule", "publish_selfcheckrule")
    for group, names in codenames.items():
        if group is not None:
            group.permissions.add(*Permission.objects.filter(content_type__app_label="selfcheck", codename__in=names))
    task = SelfCheckApprovalTask.objects.filter(name=RULE_TASK).first()
    if task is None:
        task = SelfCheckApprovalTask.objects.create(name=RULE_TASK)
    if approvers is not None:
        task.groups.add(approvers)
    workflow, _created = Workflow.objects.get_or_create(name=RULE_WORKFLOW)
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task.task_ptr, defaults={"sort_order": 0})
    WorkflowContentType.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(SelfCheckRule), defaults={"workflow": workflow}
    )
    return created
