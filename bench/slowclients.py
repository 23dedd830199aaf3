"""Slow-client drill: gunicorn alone, then deploy/nginx/sns-training.conf in front of it.

    .venv/bin/python bench/slowclients.py [--slow 50] [--seconds 10]

Starts gunicorn (production settings, sync workers as gunicorn.conf.py, a scratch SQLite file) and
Debian's nginx with the shipped configuration (ports, paths and a self-signed certificate filled
in), each on free ports of 127.0.0.1. Then, for each front end, opens `--slow` connections that
send their headers or body a byte at a time while another user asks for /healthz/ every 0.1 s,
and prints that user's answers, errors and latency. tests/sns_training/test_nginx.py runs the
same drill, bounded, and asserts on it. Needs nginx and openssl (scripts/system-deps.sh test).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.client
import os
import pwd
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_CONF = ROOT / "deploy" / "nginx" / "sns-training.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


# --- gunicorn ---------------------------------------------------------------------------------


def start_gunicorn(workdir: Path, port: int, workers: int = 3) -> subprocess.Popen:
    """gunicorn as production runs it (sync workers, production settings), on a scratch database."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "sns_training.settings.production",
        "DJANGO_SECRET_KEY": "slow-client-drill-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,sns.example.jp",
        "DATABASE_URL": f"sqlite:///{workdir / 'drill.sqlite3'}",
        "DJANGO_ALLOW_CONSOLE_EMAIL": "1",
        "WEB_CONCURRENCY": str(workers),
    }
    with open(workdir / "gunicorn.log", "ab") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "sns_training.wsgi", "-c", str(ROOT / "gunicorn.conf.py")]
            # Preloaded: every worker answers from the start (the drill measures slow clients, not boot).
            + ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--preload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
    wait_for_answer(port, tls=False)
    return process


def wait_for_answer(port: int, *, tls: bool, timeout: float = 180.0) -> None:
    """Until /healthz/ answers 200 (a loaded machine takes a while to import the site)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            if fetch(port, "/healthz/", tls=tls, timeout=2)[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"/healthz/ on {port} never answered")


# --- nginx ------------------------------------------------------------------------------------


@dataclass
class Front:
    http_port: int
    https_port: int
    root: Path
    conf: Path


def render_site_conf(*, gunicorn_port: int, http_port: int, https_port: int, root: Path, cert: Path, key: Path) -> str:
    """The shipped configuration with this machine's ports and paths; each replaced line must be
    there (a drift of the shipped file fails loudly)."""
    text = SHIPPED_CONF.read_text()
    replacements = [
        ("    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n"),
        ("    listen [::]:80;\n", ""),
        ("    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{https_port} ssl http2;\n"),
        ("    listen [::]:443 ssl http2;\n", ""),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{gunicorn_port};"),
        ("/etc/ssl/sns-training/fullchain.pem", str(cert)),
        ("/etc/ssl/sns-training/privkey.pem", str(key)),
        ("/srv/sns-training/", f"{root}/"),
    ]
    for old, new in replacements:
        if old not in text:
            raise RuntimeError(f"deploy/nginx/sns-training.conf no longer has {old!r}")
        text = text.replace(old, new)
    return text


def start_nginx(workdir: Path, gunicorn_port: int) -> tuple[subprocess.Popen, Front]:
    """Debian's nginx with the shipped site configuration, a self-signed certificate for
    sns.example.jp and a static file under <root>/static_collected/."""
    workdir.mkdir(parents=True, exist_ok=True)
    os.chmod(workdir, 0o755)
    root = workdir / "srv"
    (root / "static_collected" / "css").mkdir(parents=True, exist_ok=True)
    (root / "static_collected" / "css" / "drill.css").write_text("body { color: #111; }\n")
    (root / "media" / "images").mkdir(parents=True, exist_ok=True)
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=sns.example.jp"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    front = Front(free_port(), free_port(), root, workdir / "nginx.conf")
    site = workdir / "site.conf"
    site.write_text(
        render_site_conf(
            gunicorn_port=gunicorn_port,
            http_port=front.http_port,
            https_port=front.https_port,
            root=root,
            cert=cert,
            key=key,
        )
    )
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    temp = {name: workdir / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    front.conf.write_text(
        f"""{user}worker_processes 1;
daemon off;
pid {workdir / "nginx.pid"};
error_log {workdir / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {site};
}}
"""
    )
    subprocess.run([NGINX, "-t", "-q", "-c", str(front.conf)], check=True, capture_output=True)
    with open(workdir / "nginx.stderr", "ab") as log:
        process = subprocess.Popen(
            [NGINX, "-c", str(front.conf)], stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
        )
    wait_for_answer(front.https_port, tls=True)
    return process, front


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


# --- the drill --------------------------------------------------------------------------------


def _slow_header(conn: socket.socket) -> None:
    """Slowloris: a request line, then one header line a second, never the blank line."""
    conn.sendall(b"GET /healthz/ HTTP/1.1\r\nHost: sns.example.jp\r\n")


def _slow_body(conn: socket.socket) -> None:
    """A POST whose body of 1 MB then arrives a byte a second."""
    conn.sendall(
        b"POST /healthz/ HTTP/1.1\r\nHost: sns.example.jp\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\n"
    )


def swarm(port: int, count: int, seconds: float, tls: bool) -> tuple[int, int]:
    """`count` slow connections (half slow headers, half slow bodies) for `seconds`: how many were
    opened, and how many the server still held open at the end."""
    done = threading.Event()
    opened, alive = [0], [0]
    lock = threading.Lock()

    def one(i: int) -> None:
        try:
            conn = _connect(port, tls)
            (_slow_header if i % 2 == 0 else _slow_body)(conn)
            with lock:
                opened[0] += 1
            while not done.wait(1):
                conn.sendall(b"X-Slow: 1\r\n" if i % 2 == 0 else b"a")
            with lock:
                alive[0] += 1
            conn.close()
        except OSError:
            # The server closing a slow connection (nginx's timeouts) is what the drill expects;
            # `alive` counts only those that lasted the whole drill.
            return

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    done.set()
    for thread in threads:
        thread.join(timeout=10)
    return opened[0], alive[0]


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One context for every connection, without the system's CAs (loading them costs more than
    the handshake): the drill's certificate is its own self-signed one."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _connect(port: int, tls: bool) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    if tls:
        conn = _tls_context().wrap_socket(conn, server_hostname="sns.example.jp")
    return conn


def fetch(port: int, path: str, *, tls: bool, timeout: float = 5.0, method: str = "GET", headers=None):
    """One request on a new connection: (status, headers, body)."""
    if tls:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=_tls_context())
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers={"Host": "sns.example.jp", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


@dataclass
class DrillResult:
    label: str
    slow: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    slow_opened: int = 0  # slow connections the server accepted
    slow_open: int = 0  # and still held open at the end

    @property
    def answered(self) -> int:
        return len(self.latencies)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    def line(self) -> str:
        lat = self.latencies
        return (
            f"{self.label:<24} slow={self.slow:<3} (opened {self.slow_opened}, open at end {self.slow_open}) {self.seconds:>4.0f} s  answered={self.answered:<4} "
            f"errors={self.errors:<4} p50={statistics.median(lat) * 1000 if lat else float('nan'):7.1f} ms  "
            f"p95={self.percentile(95) * 1000:7.1f} ms  max={max(lat) * 1000 if lat else float('nan'):7.1f} ms"
        )


def drill(*, label: str, port: int, tls: bool, slow: int, seconds: float, probe_timeout: float = 5.0) -> DrillResult:
    """`slow` slow connections (half slow headers, half slow bodies) held for `seconds`, while one
    other user asks for /healthz/ every 0.1 s on a new connection."""
    result = DrillResult(label, slow, seconds)
    # The slow clients run in a process of their own: their TLS handshakes must not slow the
    # measuring user down through this process's GIL.
    swarm = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--swarm", str(port), str(slow), str(seconds + 1.5)]
        + (["--tls"] if tls else []),
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)  # every slow connection is open and talking
    stop_at = time.monotonic() + seconds
    while time.monotonic() < stop_at:
        started = time.monotonic()
        try:
            status, _headers, body = fetch(port, "/healthz/", tls=tls, timeout=probe_timeout)
        except (OSError, http.client.HTTPException):
            result.errors += 1
        else:
            if status == 200 and body == b"ok":
                result.latencies.append(time.monotonic() - started)
            else:
                result.errors += 1
        time.sleep(max(0.0, 0.1 - (time.monotonic() - started)))
    out, _ = swarm.communicate(timeout=probe_timeout + 30)
    result.slow_opened, result.slow_open = (int(n) for n in out.split())
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--swarm"]:  # the slow clients' own process (drill)
        port, count, seconds = int(argv[1]), int(argv[2]), float(argv[3])
        print(*swarm(port, count, seconds, tls="--tls" in argv))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", type=int, default=50, help="slow connections through nginx (default 50)")
    parser.add_argument("--direct-slow", type=int, default=6, help="slow connections straight to gunicorn (6)")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="sns-slowclients-"))
    gunicorn = nginx = None
    try:
        gunicorn_port = free_port()
        gunicorn = start_gunicorn(workdir, gunicorn_port)
        nginx, front = start_nginx(workdir / "nginx", gunicorn_port)
        print(f"gunicorn 127.0.0.1:{gunicorn_port} (3 sync workers), nginx https 127.0.0.1:{front.https_port}")
        results = [
            drill(label="gunicorn alone", port=gunicorn_port, tls=False, slow=args.direct_slow, seconds=args.seconds),
            drill(
                label="nginx in front (https)", port=front.https_port, tls=True, slow=args.slow, seconds=args.seconds
            ),
        ]
        for result in results:
            print(result.line())
        after = fetch(front.https_port, "/healthz/", tls=True)
        print(f"after the drill: /healthz/ through nginx answers {after[0]}")
    finally:
        stop(nginx)
        stop(gunicorn)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
