"""`{% csp_nonce %}`: the Content-Security-Policy nonce of this response, for an inline <script>."""

from django import template

from sns_training.security import csp_nonce as current_nonce

register = template.Library()


@register.simple_tag
def csp_nonce() -> str:
    return current_nonce()
