"""Tsubame without root: a server started as an unprivileged user, and (as root) one that drops
to `[server] user` after binding.

These tests need root (as CI runs them), to start the server as another user. The data
folders live in a mkdtemp folder under /tmp made reachable (0755) by every user: pytest's
tmp_path, under /tmp/pytest-of-root (0700), is not.
"""

import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import BIN, DOMAIN, HOSTNAME, SMTPClient, run_cli

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="these tests start tsubame as another user; run as root (CI does)")


@pytest.fixture
def base():
    """A folder under /tmp that every user can pass through, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="tsubame-privdrop-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_a_server_started_without_root_serves_connections(base):
    """A normal user's `serve` (the quick start; systemd's User=) must not set a socket option
    that needs a capability: TCP_NODELAY set at the SOL_SOCKET level is SO_DEBUG, refused
    without CAP_NET_ADMIN, and every connection was closed unanswered."""
    run_cli("init", "--data", base / "data", "--hostname", HOSTNAME, "--domain", DOMAIN)
    nobody = pwd.getpwnam("nobody")
    for path in [base / "data", *(base / "data").rglob("*")]:
        os.lchown(path, nobody.pw_uid, nobody.pw_gid)
    proc = subprocess.Popen([str(BIN), "serve", "--data", str(base / "data"), "--listen", "smtp=127.0.0.1:0",
                             "--listen", "pop3=127.0.0.1:0", "--listen", "pop3s=127.0.0.1:0"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[])
    try:
        port = None
        for line in proc.stderr:
            m = re.search(r"listening smtp 127\.0\.0\.1:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        assert port, "no smtp listener"
        with SMTPClient(port) as client:
            assert client.greeting.code == 220
            assert client.cmd("NOOP").code == 250
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
