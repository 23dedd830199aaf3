"""Claims of the test provider: allauth's, plus `employee_id` (as Entra ID's `employeeid`
optional claim or an ADFS rule would carry a 職員番号), read from the config the test wrote."""

import json

from allauth.idp.oidc.adapter import DefaultOIDCAdapter
from django.conf import settings


class ClaimsAdapter(DefaultOIDCAdapter):
    def get_claims(self, purpose, user, client, scopes, email=None, **kwargs):
        claims = super().get_claims(purpose, user, client, scopes, email=email, **kwargs)
        with open(settings.IDP_CLAIMS_FILE, encoding="utf-8") as f:
            config = json.load(f)
        for spec in config["users"]:
            if spec["username"] == user.username and spec.get("employee_id"):
                claims["employee_id"] = spec["employee_id"]
        return claims
