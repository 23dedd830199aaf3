"""A real OpenLDAP server (Debian's `slapd`) for the directory tests: started on a free port with
a temporary slapd.conf and mdb database, loaded with an Active-Directory-like tree, stopped after.

The tree mimics AD: `DC=ashiya,DC=example` with `OU=職員`, users carrying AD's own attribute names
(`sAMAccountName`, `employeeID`, from a small schema below that uses AD's OIDs) and passwords.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
INSTALL_HINT = "apt-get install -y slapd ldap-utils  (scripts/system-deps.sh test installs it)"

BASE_DN = "dc=ashiya,dc=example"
USERS_OU = f"ou=職員,{BASE_DN}"
ADMIN_DN = f"cn=admin,{BASE_DN}"
ADMIN_PASSWORD = "slapd-admin-pw"
SERVICE_DN = f"cn=svc-training,ou=services,{BASE_DN}"
SERVICE_PASSWORD = "svc-bind-Passw0rd"

# Active Directory's attributes, with AD's OIDs, as an auxiliary class slapd can carry.
AD_SCHEMA = """
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.35 NAME 'employeeID'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.1.1 NAME 'adLikeUser' AUXILIARY MAY ( sAMAccountName $ employeeID ) )
"""


@dataclass(frozen=True)
class DirectoryUser:
    account: str  # sAMAccountName
    staff_number: str | None  # employeeID (None: no 職員番号 in the directory)
    password: str
    name: str

    @property
    def dn(self) -> str:
        return f"cn={self.account},{USERS_OU}"


# Who is in the directory. The roster (the tests' fixtures) decides who of them may log in.
USERS = {
    "ashida": DirectoryUser("ashida.k", "000103", "Dir-Passw0rd-1", "芦田 健"),
    "kyoko": DirectoryUser("kyoko.s", "000205", "Dir-Passw0rd-2", "芦屋 京子"),
    # Her 職員番号 is only on 須賀川市's roster.
    "other_city": DirectoryUser("suga.h", "004006", "Dir-Passw0rd-3", "須賀 光"),
    # On no roster at all.
    "stranger": DirectoryUser("temp.contractor", "999999", "Dir-Passw0rd-4", "委託 業者"),
    # A directory account without a 職員番号.
    "no_number": DirectoryUser("svc.printer", None, "Dir-Passw0rd-5", "複合機"),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ldif() -> str:
    entries = [
        f"dn: {BASE_DN}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\no: Ashiya\ndc: ashiya\n",
        f"dn: {USERS_OU}\nobjectClass: organizationalUnit\nou: 職員\n",
        f"dn: ou=services,{BASE_DN}\nobjectClass: organizationalUnit\nou: services\n",
        f"dn: {SERVICE_DN}\nobjectClass: person\ncn: svc-training\nsn: service\nuserPassword: {SERVICE_PASSWORD}\n",
    ]
    for user in USERS.values():
        lines = [
            f"dn: {user.dn}",
            "objectClass: inetOrgPerson",
            "objectClass: adLikeUser",
            f"cn: {user.account}",
            f"sn: {user.name.split()[0]}",
            f"displayName: {user.name}",
            f"sAMAccountName: {user.account}",
            f"userPassword: {user.password}",
        ]
        if user.staff_number:
            lines.append(f"employeeID: {user.staff_number}")
        entries.append("\n".join(lines) + "\n")
    return "\n".join(entries)


def _conf(root: Path, port: int) -> str:
    schemas = "\n".join(
        f"include {SCHEMA_DIR / name}" for name in ("core.schema", "cosine.schema", "inetorgperson.schema")
    )
    return f"""{schemas}
include {root / "ad-like.schema"}
pidfile {root / "slapd.pid"}
argsfile {root / "slapd.args"}
modulepath {MODULE_DIR}
moduleload back_mdb
database mdb
maxsize 10485760
suffix "{BASE_DN}"
rootdn "{ADMIN_DN}"
rootpw {ADMIN_PASSWORD}
directory {root / "db"}
access to attrs=userPassword by self write by anonymous auth by * none
access to * by dn.exact="{SERVICE_DN}" read by self read by * none
"""


@dataclass
class SlapdServer:
    root: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def start(self) -> None:
        for tool in (SLAPD, SLAPADD):
            if not Path(tool).is_file():
                raise RuntimeError(f"{tool} not found: {INSTALL_HINT}")
        (self.root / "db").mkdir(parents=True, exist_ok=True)
        (self.root / "ad-like.schema").write_text(AD_SCHEMA, encoding="utf-8")
        conf = self.root / "slapd.conf"
        conf.write_text(_conf(self.root, self.port), encoding="utf-8")
        ldif = self.root / "tree.ldif"
        ldif.write_text(_ldif(), encoding="utf-8")
        if not list((self.root / "db").glob("*.mdb")):
            subprocess.run([SLAPADD, "-f", str(conf), "-l", str(ldif)], check=True, capture_output=True, text=True)
        self.process = subprocess.Popen(
            [SLAPD, "-d", "0", "-f", str(conf), "-h", self.uri],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                message = self.process.stderr.read().decode(errors="replace")
                self.stop()
                raise RuntimeError(f"slapd exited: {message}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("slapd did not start listening within 15 seconds")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@contextlib.contextmanager
def slapd_running():
    """A started slapd with the tree loaded; stopped and its files removed afterwards."""
    if not (Path(SLAPD).is_file() and Path(SLAPADD).is_file()):
        raise RuntimeError(f"slapd is not installed: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="slapd-test-") as tmp:
        server = SlapdServer(Path(tmp))
        server.start()
        try:
            yield server
        finally:
            server.stop()
