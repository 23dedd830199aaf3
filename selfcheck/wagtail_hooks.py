"""Registration only: the rules as a snippet (selfcheck/viewsets.py) with a permission policy
that keeps editors inside their municipality."""

from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet

from .models import SelfCheckRule
from .viewsets import RulePermissionPolicy, SelfCheckRuleViewSet

register_permission_policy(SelfCheckRule, RulePermissionPolicy(SelfCheckRule))
register_snippet(SelfCheckRuleViewSet)
