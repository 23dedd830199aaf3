"""Start and stop the test identity providers as their own processes on free 127.0.0.1 ports.

`oidc_idp_start` runs the second Django project (allauth.idp.oidc, oidc_idp/run.py) and
`saml_idp_start` the pysaml2 IdP (saml_idp.py). Each writes its config, keys and database under the
directory it is given; the caller stops it (`IdP.stop`), which kills only that process.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
IDP_PASSWORD = "idp-Passw0rd-2026"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _child_env(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "PYTEST"))}
    env.update(extra)
    return env


def _wait_until_up(process: subprocess.Popen, url: str, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"IdP exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - 127.0.0.1 only
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"IdP did not start within {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


@dataclass
class IdP:
    process: subprocess.Popen
    base_url: str
    users: list[dict]
    client_id: str = ""
    client_secret: str = ""
    cert_pem: str = ""
    extra: dict = field(default_factory=dict)
    log_file: object = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.log_file is not None:
            self.log_file.close()


def _private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def oidc_idp_start(directory: Path, *, redirect_uris: list[str], users: list[dict]) -> IdP:
    """allauth.idp.oidc in a second Django project. `users`: {"username", "email", "employee_id"}
    (password IDP_PASSWORD); one confidential client allowed to redirect to `redirect_uris`."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    client_id, client_secret = f"sns-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    users = [{"password": IDP_PASSWORD, **u} for u in users]
    config = {
        "users": users,
        "client": {"id": client_id, "secret": client_secret, "redirect_uris": redirect_uris},
    }
    config_path = directory / "oidc-idp.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    log = directory / "oidc-idp.log"
    log_file = log.open("wb")
    env = _child_env(
        {
            "IDP_SECRET_KEY": secrets.token_urlsafe(32),
            "IDP_DB": str(directory / "oidc-idp.sqlite3"),
            "IDP_PRIVATE_KEY": _private_key_pem(),
            "IDP_CONFIG": str(config_path),
            "PYTHONWARNINGS": "ignore",
        }
    )
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, str(HERE / "oidc_idp" / "run.py"), str(config_path), str(port)],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=str(directory),
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(process, f"{base_url}/.well-known/openid-configuration", log)
    except RuntimeError:
        log_file.close()
        raise
    return IdP(process, base_url, users, client_id=client_id, client_secret=client_secret, log_file=log_file)


def saml_idp_start(directory: Path, *, sps: list[dict], users: list[dict]) -> IdP:
    """The pysaml2 IdP. `sps`: {"entity_id", "acs_url"}; `users`: {"username", "attributes"}
    (password IDP_PASSWORD). The signing key is made here, in `directory`, and never leaves it."""
    from .keys import make_keypair

    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    key_file, cert_file, cert_pem = make_keypair(directory, "saml-idp")
    base_url = f"http://127.0.0.1:{port}"
    users = [{"password": IDP_PASSWORD, **u} for u in users]
    config = {
        "base_url": base_url,
        "key_file": str(key_file),
        "cert_file": str(cert_file),
        "sps": sps,
        "users": users,
    }
    config_path = directory / "saml-idp.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    log = directory / "saml-idp.log"
    log_file = log.open("wb")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, str(HERE / "saml_idp.py"), str(config_path), str(port)],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env=_child_env({"PYTHONWARNINGS": "ignore", "PYTHONPATH": str(HERE)}),
        cwd=str(directory),
    )
    try:
        _wait_until_up(process, f"{base_url}/metadata", log)
    except RuntimeError:
        log_file.close()
        raise
    return IdP(
        process,
        base_url,
        users,
        cert_pem=cert_pem,
        extra={"entity_id": f"{base_url}/metadata", "sso_url": f"{base_url}/sso/redirect", "config": config},
        log_file=log_file,
    )
