"""The staff detail's 研修の受講状況 (templates/people/staff_detail.html loads this, so `people`
never imports `training`): each cycle of the person, by the status rule, scoped to the viewer."""

from django import template

from training import selectors

register = template.Library()


@register.inclusion_tag("training/staff_training.html", takes_context=True)
def staff_training(context, member):
    return {"member": member, "items": selectors.staff_training(user=context["request"].user, staff=member)}
