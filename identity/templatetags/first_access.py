"""Template helpers of the first-access pages: whom staff without a mailbox ask (the forgotten-
password page), per municipality's LoginPolicy.no_mailbox_contact."""

from django import template

from people.models import Municipality

from ..models import LoginPolicy

register = template.Library()


@register.simple_tag(takes_context=True)
def no_mailbox_contact(context) -> dict:
    """The municipalities to choose from and, for the one chosen (?municipality=<団体コード>), its
    contact text ("" when it has set none)."""
    request = context.get("request")
    code = (request.GET.get("municipality", "") if request is not None else "")[:6]
    municipalities = list(Municipality.objects.order_by("code"))
    chosen = next((m for m in municipalities if m.code == code), None)
    contact = LoginPolicy.for_municipality(chosen.pk).no_mailbox_contact if chosen else ""
    return {"municipalities": municipalities, "chosen": chosen, "contact": contact}
