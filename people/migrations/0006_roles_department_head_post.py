# Roles appointed on screen (decision 0027): the appoint permission, and 所属長 as a post of the
# department (one holder per department).

from django.db import migrations, models


def extra_heads_step_down(apps, schema_editor):
    """Before the one-head constraint: where a department has several 所属長, the first registered
    keeps the post and the others return to 職員, each logged as a role change (source: migration)."""
    StaffMember = apps.get_model("people", "StaffMember")
    AccessEvent = apps.get_model("identity", "AccessEvent")
    seen = set()
    for member in (
        StaffMember.objects.filter(role="department_head").select_related("department").order_by("department_id", "pk")
    ):
        if member.department_id not in seen:
            seen.add(member.department_id)
            continue
        StaffMember.objects.filter(pk=member.pk).update(role="employee")
        AccessEvent.objects.create(
            kind="role_changed",
            municipality_id=member.municipality_id,
            subject_id=member.user_id,
            detail={
                "role": "department_head",
                "action": "remove",
                "department": member.department.code,
                "department_name": member.department.name,
                "previous": "department_head",
                "source": "migration",
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0005_rosterimport_content_purged_at"),
        ("identity", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="staffmember",
            options={
                "ordering": ["municipality", "staff_number"],
                "permissions": [("appoint_roles", "役割（所属長・人事担当・編集者・承認者）を任命する")],
                "verbose_name": "職員",
                "verbose_name_plural": "職員",
            },
        ),
        migrations.RunPython(extra_heads_step_down, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="staffmember",
            constraint=models.UniqueConstraint(
                condition=models.Q(("role", "department_head")),
                fields=("department",),
                name="one_head_per_department",
                violation_error_message="この所属には既に所属長がいます。",
            ),
        ),
    ]
