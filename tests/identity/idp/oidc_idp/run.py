"""Start the test OpenID Connect provider: migrate its own SQLite file, create the users and the
client the test's config names, then serve with Django's runserver on 127.0.0.1:<port>.

    python tests/identity/idp/oidc_idp/run.py <config.json> <port>
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "idp_settings"


def main(config_path: str, port: str) -> None:
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from allauth.idp.oidc.models import Client
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    call_command("migrate", verbosity=0, interactive=False)
    User = get_user_model()
    for spec in config["users"]:
        user, _ = User.objects.get_or_create(username=spec["username"])
        user.set_password(spec["password"])
        user.email = spec.get("email", "")
        user.save()
        if user.email:
            EmailAddress.objects.update_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
    c = config["client"]
    client, _ = Client.objects.get_or_create(id=c["id"], defaults={"name": c.get("name", "sns-training")})
    client.set_secret(c["secret"])
    client.set_redirect_uris(c["redirect_uris"])
    client.set_scopes(["openid", "profile", "email"])
    client.set_grant_types([Client.GrantType.AUTHORIZATION_CODE])
    client.set_response_types(["code"])
    client.type = Client.Type.CONFIDENTIAL
    client.skip_consent = True
    client.save()
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
