"""One open department-history row per active staff member, from their 着任日 (decision 0012)."""

from django.db import migrations


def backfill(apps, schema_editor):
    StaffMember = apps.get_model("people", "StaffMember")
    DepartmentMembership = apps.get_model("people", "DepartmentMembership")
    have = set(DepartmentMembership.objects.filter(valid_to__isnull=True).values_list("staff_id", flat=True))
    rows = [
        DepartmentMembership(staff_id=pk, department_id=department_id, valid_from=start_date)
        for pk, department_id, start_date in StaffMember.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("pk", "department_id", "start_date")
        .iterator(chunk_size=5000)
        if pk not in have
    ]
    DepartmentMembership.objects.bulk_create(rows, batch_size=5000)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0003_rosterimport_departmentmembership"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
