"""A small SAML 2.0 identity provider built on pysaml2 (`saml2.server.Server`), for the SSO tests.

Run as its own process (a WSGI app on wsgiref, 127.0.0.1 only):

    python tests/identity/idp/saml_idp.py <config.json> <port>

The config names the signing key and certificate (made at test time, `keys.make_keypair`), the
service providers it answers (entity id + ACS URL) and its users with their attributes. The same
module builds responses in the test process too (`idp_server`, `authn_response`), for the
assertions a real IdP would not send: unsigned, for another audience, unsolicited.

Endpoints: GET /sso/redirect (HTTP-Redirect AuthnRequest → a log-in form), POST /sso/login (→ an
auto-posting form to the SP's ACS with a signed assertion), GET /metadata.
"""

from __future__ import annotations

import base64
import html
import json
import sys
from pathlib import Path
from urllib.parse import parse_qs

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

XMLSEC = "/usr/bin/xmlsec1"
AUTHN_PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


def sp_metadata(entity_id: str, acs_url: str) -> str:
    """Minimal metadata of one service provider (what it would publish at its metadata URL)."""
    e, a = html.escape(entity_id, quote=True), html.escape(acs_url, quote=True)
    return (
        '<?xml version="1.0"?>'
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{e}">'
        '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" '
        'AuthnRequestsSigned="false" WantAssertionsSigned="true">'
        f'<md:AssertionConsumerService Binding="{BINDING_HTTP_POST}" Location="{a}" index="1"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    )


def idp_server(*, base_url: str, key_file: str, cert_file: str, sps: list[dict]) -> Server:
    """A pysaml2 IdP whose entity id is `<base_url>/metadata`, trusting the given SPs."""
    config = IdPConfig()
    config.load(
        {
            "entityid": f"{base_url}/metadata",
            "service": {
                "idp": {
                    "name": "Test IdP",
                    "endpoints": {"single_sign_on_service": [(f"{base_url}/sso/redirect", BINDING_HTTP_REDIRECT)]},
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 5},
                            "attribute_restrictions": None,
                            "name_form": NAME_FORMAT_URI,
                        }
                    },
                    "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    "want_authn_requests_signed": False,
                }
            },
            "key_file": str(key_file),
            "cert_file": str(cert_file),
            "xmlsec_binary": XMLSEC,
            "metadata": {"inline": [sp_metadata(sp["entity_id"], sp["acs_url"]) for sp in sps]},
            "allow_unknown_attributes": True,
        }
    )
    return Server(config=config)


def authn_response(
    server: Server,
    *,
    in_response_to: str | None,
    acs_url: str,
    sp_entity_id: str,
    user: dict,
    sign_assertion: bool = True,
) -> str:
    """A SAML Response (XML) for `user` ({"username", "attributes": {name: [values]}})."""
    response = server.create_authn_response(
        identity={k: list(v) for k, v in user.get("attributes", {}).items()},
        in_response_to=in_response_to,
        destination=acs_url,
        sp_entity_id=sp_entity_id,
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=user["username"]),
        authn={"class_ref": AUTHN_PASSWORD},
        sign_assertion=sign_assertion,
        sign_response=False,
        sign_alg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
    )
    return str(response)


def post_form(acs_url: str, saml_response_xml: str, relay_state: str = "") -> str:
    """The page that carries the response to the SP's ACS (HTTP-POST binding), posting itself."""
    value = base64.b64encode(saml_response_xml.encode()).decode()
    relay = f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">' if relay_state else ""
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>Test IdP</title></head>'
        '<body onload="document.forms[0].submit()">'
        f'<form method="post" action="{html.escape(acs_url)}">'
        f'<input type="hidden" name="SAMLResponse" value="{value}">{relay}'
        '<noscript><button type="submit">Continue</button></noscript></form></body></html>'
    )


class IdPApp:
    """The WSGI app: log-in form for an SP-initiated request, then the signed answer."""

    def __init__(self, config: dict):
        self.config = config
        self.server = idp_server(
            base_url=config["base_url"], key_file=config["key_file"], cert_file=config["cert_file"], sps=config["sps"]
        )
        self.users = {u["username"]: u for u in config["users"]}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if path == "/sso/redirect" and method == "GET":
                return self._login_form(environ, start_response)
            if path == "/sso/login" and method == "POST":
                return self._login(environ, start_response)
            if path == "/metadata":
                return self._reply(start_response, "200 OK", self._metadata(), "text/xml")
        except Exception as error:  # noqa: BLE001 - a test IdP answers 400 with the reason
            return self._reply(start_response, "400 Bad Request", f"error: {error}", "text/plain")
        return self._reply(start_response, "404 Not Found", "not found", "text/plain")

    def _metadata(self) -> str:
        from saml2.metadata import entity_descriptor

        return str(entity_descriptor(self.server.config))

    def _login_form(self, environ, start_response):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        saml_request = query["SAMLRequest"][0]
        relay = query.get("RelayState", [""])[0]
        request = self.server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
        sp = request.message.issuer.text
        acs_url = request.message.assertion_consumer_service_url
        known = [s for s in self.config["sps"] if s["entity_id"] == sp and s["acs_url"] == acs_url]
        if not known:
            raise ValueError(f"unknown SP or ACS: {sp} {acs_url}")
        fields = {"request_id": request.message.id, "sp": sp, "acs": acs_url, "relay": relay}
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(v, quote=True)}">' for k, v in fields.items()
        )
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test IdP sign-in</title></head><body>'
            '<h1>Test IdP sign-in</h1><form method="post" action="/sso/login">'
            f"{hidden}"
            '<label>User <input name="username" id="idp-username"></label>'
            '<label>Password <input type="password" name="password" id="idp-password"></label>'
            '<button type="submit" id="idp-submit">Sign in</button></form></body></html>'
        )
        return self._reply(start_response, "200 OK", page, "text/html; charset=utf-8")

    def _login(self, environ, start_response):
        size = int(environ.get("CONTENT_LENGTH") or 0)
        form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(size).decode()).items()}
        user = self.users.get(form.get("username", ""))
        if user is None or user["password"] != form.get("password"):
            return self._reply(start_response, "401 Unauthorized", "wrong user or password", "text/plain")
        xml = authn_response(
            self.server, in_response_to=form["request_id"], acs_url=form["acs"], sp_entity_id=form["sp"], user=user
        )
        page = post_form(form["acs"], xml, form.get("relay", ""))
        return self._reply(start_response, "200 OK", page, "text/html; charset=utf-8")

    @staticmethod
    def _reply(start_response, status: str, body: str, content_type: str):
        data = body.encode()
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
        return [data]


def main(config_path: str, port: str) -> None:
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            """The IdP's request lines are not the test run's output."""

    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    httpd = make_server(
        "127.0.0.1", int(port), IdPApp(config), server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )
    print(f"SAML IdP on 127.0.0.1:{port}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
