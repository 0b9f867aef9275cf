"""Tsubame without root: `serve` started as root with `[server] user` binds its listeners,
then runs as that user for good; a server started as an unprivileged user serves too.

These tests need root (as CI runs them).  They use the system user tsubame-test (created with
useradd when missing; never the user `tsubame` itself, whose mere existence changes what
`tsubame init` run as root writes for every other test on the machine).  The data folders live
in a mkdtemp folder under /tmp made reachable (0755) by every user: pytest's tmp_path, under
/tmp/pytest-of-root (0700), is not.
"""

import atexit
import grp
import os
import poplib
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import (BIN, DOMAIN, HOSTNAME, PASSWORD, STARTUP_TIMEOUT, DataDir, Server,
                      SMTPClient, run_cli)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="these tests start tsubame as root and as other users; run as root (CI does)")

TEST_USER = "tsubame-test"
ALICE = f"alice@{DOMAIN}"
WARNING = re.compile(r"warning tsubame: running as root; set the \[server\] user in tsubame.toml .* suggested_user=tsubame$")
DROPPED = re.compile(r"dropped root privileges: running as user (\S+) \(uid (\d+)\) and group (\S+) \(gid (\d+)\)")


@pytest.fixture(scope="module")
def account():
    """The tsubame-test system user (created when missing) as a pwd entry."""
    try:
        return pwd.getpwnam(TEST_USER)
    except KeyError:
        pass
    if shutil.which("useradd") is None:
        pytest.skip("no useradd to create the test user")
    result = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                             "--user-group", TEST_USER], capture_output=True, text=True)
    # 9: another test run created it meanwhile
    assert result.returncode in (0, 9), result.stderr
    return pwd.getpwnam(TEST_USER)


@pytest.fixture
def base():
    """A folder under /tmp that every user can pass through, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="tsubame-privdrop-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


_BIN_FOR_OTHERS = []


def bin_for_others():
    """The binary where any user can run it. The checkout may sit in a folder only root can
    enter (CI clones into a `mktemp -d`, mode 0700), so processes started as another user run
    a copy in a world-readable folder under /tmp (removed at exit)."""
    if not _BIN_FOR_OTHERS:
        folder = Path(tempfile.mkdtemp(prefix="tsubame-bin-", dir="/tmp"))
        folder.chmod(0o755)
        copy = folder / "tsubame"
        shutil.copy2(BIN, copy)
        copy.chmod(0o755)
        atexit.register(shutil.rmtree, folder, True)
        _BIN_FOR_OTHERS.append(copy)
    return _BIN_FOR_OTHERS[0]


def init(path, *user_option):
    d = DataDir(path)
    run_cli("init", "--data", path, "--hostname", HOSTNAME, "--domain", DOMAIN, *user_option)
    d.add_user(ALICE)
    return d


@pytest.fixture
def owned(base, account):
    """A data folder made by `init --user tsubame-test` run as root, with alice added by root."""
    return init(base / "data", "--user", TEST_USER)


def serve(datadir, timeout=STARTUP_TIMEOUT, **popen):
    """`serve` expected to refuse to start: (exit code, stderr)."""
    binary = bin_for_others() if "user" in popen else BIN
    proc = subprocess.run([str(binary), "serve", "--data", str(datadir.path), "--listen", "smtp=127.0.0.1:0",
                           "--listen", "pop3=127.0.0.1:0", "--listen", "pop3s=127.0.0.1:0"],
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **popen)
    return proc.returncode, proc.stderr


def ids(status_text):
    """{Uid: [4], Gid: [4], Groups: [...]} from a /proc status file."""
    out = {}
    for line in status_text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("Uid", "Gid", "Groups"):
            out[key] = [int(v) for v in rest.split()]
    return out


def thread_ids(pid):
    """{tid: ids} for every thread of PID (a thread that ends meanwhile is left out)."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found[task.name] = ids((task / "status").read_text())
        except (FileNotFoundError, ProcessLookupError):
            pass
    return found


def test_serves_as_the_user_on_every_thread_and_mail_flows(owned, account):
    server = Server(owned, pop3=True).start()
    try:
        m = server.wait_for_line(DROPPED, STARTUP_TIMEOUT)
        assert (m.group(1), int(m.group(2)), int(m.group(4))) == (TEST_USER, account.pw_uid, account.pw_gid)
        uid, gid = account.pw_uid, account.pw_gid
        process = ids(Path(f"/proc/{server.pid}/status").read_text())
        assert process in ({"Uid": [uid] * 4, "Gid": [gid] * 4, "Groups": groups} for groups in ([], [gid])), process
        threads = thread_ids(server.pid)
        assert len(threads) > 2, threads
        for tid, found in threads.items():
            assert found["Uid"] == [uid] * 4 and found["Gid"] == [gid] * 4, (tid, found)
            assert found["Groups"] in ([], [gid]), (tid, found)
        assert not any(WARNING.search(line) for _, line in server.lines)

        server.deliver(ALICE, b"Subject: one\r\n\r\ndelivered by a server that is not root\r\n")
        [stored] = owned.wait_new(ALICE)
        assert stored.stat().st_uid == uid
        pop = poplib.POP3("127.0.0.1", server.pop3_port, timeout=30)
        pop.user(ALICE)
        pop.pass_(PASSWORD)
        _, lines, _ = pop.retr(1)
        assert b"delivered by a server that is not root" in b"\n".join(lines)
        pop.quit()

        for name in ("tsubame.pid", "directory.sqlite-wal", "directory.sqlite-shm"):
            assert (owned.path / name).stat().st_uid == uid, name

        # A reload re-reads tsubame.toml and the TLS key as the user; then mail still flows.
        server.proc.send_signal(signal.SIGHUP)
        server.wait_for_line(r"TLS certificates reloaded", 10)
        server.wait_for_line(r"configuration reloaded", 10)
        server.deliver(ALICE, b"Subject: two\r\n\r\nafter the reload\r\n")
        owned.wait_new(ALICE, 1)   # the first one moved to cur/ when POP3 fetched it
        for tid, found in thread_ids(server.pid).items():
            assert found["Uid"] == [uid] * 4, (tid, found)
    finally:
        server.close_clients()
        rc = server.stop()
    assert rc == 0, server.log()
    assert server.wait_for_line(r"stopped", 1)


def test_group_setting_chooses_the_group(owned, account):
    nogroup = grp.getgrnam("nogroup")
    owned.set_table("server", group="nogroup")
    server = Server(owned).start()
    try:
        server.wait_for_line(DROPPED, STARTUP_TIMEOUT)
        for tid, found in thread_ids(server.pid).items():
            assert found["Uid"] == [account.pw_uid] * 4, (tid, found)
            assert found["Gid"] == [nogroup.gr_gid] * 4, (tid, found)
            assert found["Groups"] == [nogroup.gr_gid], (tid, found)
    finally:
        rc = server.stop()
    assert rc == 0, server.log()


def test_root_without_a_user_warns_and_serves(base):
    datadir = init(base / "data", "--user", "")
    assert re.search(r'(?m)^user = ""$', datadir.config.read_text())
    server = Server(datadir).start()
    try:
        server.wait_for_line(WARNING, STARTUP_TIMEOUT)
        assert ids(Path(f"/proc/{server.pid}/status").read_text())["Uid"] == [0] * 4
        server.deliver(ALICE, b"Subject: root\r\n\r\nstill served\r\n")
        datadir.wait_new(ALICE)
    finally:
        rc = server.stop()
    assert rc == 0, server.log()


def test_init_as_root_writes_the_user_and_gives_it_the_folder(owned, account):
    text = owned.config.read_text()
    assert re.search(rf'(?m)^user = "{TEST_USER}"$', text), text
    # everything init and `user add` (run by root) created belongs to the user
    strangers = [str(p) for p in [owned.path, *owned.path.rglob("*")] if p.lstat().st_uid != account.pw_uid]
    assert strangers == []
    assert owned.maildir(ALICE).joinpath("new").is_dir()


def test_certificate_commands_run_by_root_leave_files_the_user_owns(owned, account):
    server = Server(owned).start()
    try:
        server.wait_for_line(DROPPED, STARTUP_TIMEOUT)
        # `cert issue` acts as the folder's owner, and that user may signal the server (every
        # thread, the main one included, left root), which reloads the new key as the user.
        out = run_cli("cert", "issue", HOSTNAME, "localhost", "--data", owned.path).stdout.decode()
        assert f"The running server (pid {server.pid}) was told to reload" in out, out
        server.wait_for_line(r"TLS certificates reloaded", 10)
        run_cli("ca", "crl", "--data", owned.path)
    finally:
        rc = server.stop()
    assert rc == 0, server.log()
    assert "reload refused" not in server.log()
    strangers = [str(p) for p in (owned.path / "tls").rglob("*") if p.lstat().st_uid != account.pw_uid]
    assert strangers == []


def test_refuses_a_data_folder_holding_files_root_owns(owned, account):
    key = owned.path / "tls" / "server-key.pem"
    os.chown(key, 0, 0)
    rc, err = serve(owned)
    assert rc != 0
    group = grp.getgrgid(account.pw_gid).gr_name
    assert f"{key}" in err and f"run `chown -R {TEST_USER}:{group} {owned.path}`" in err, err
    assert not (owned.path / "tsubame.pid").exists()   # refused before anything was opened


def test_refuses_an_unknown_user_or_a_folder_the_user_cannot_reach(owned, base):
    owned.set_table("server", user="no-such-user-tsubame")
    rc, err = serve(owned)
    assert rc != 0 and "there is no user no-such-user-tsubame" in err, err

    owned.set_table("server", user=TEST_USER)
    base.chmod(0o700)
    rc, err = serve(owned)
    assert rc != 0 and f"{TEST_USER}, the [server] user, cannot use {owned.path}: Permission denied" in err, err


def test_started_as_the_user_itself_it_serves_and_as_another_it_refuses(owned, account):
    """systemd's User=tsubame: no root to drop, the config's user is who runs it."""
    as_user = dict(user=account.pw_uid, group=account.pw_gid, extra_groups=[])
    proc = subprocess.Popen([str(bin_for_others()), "serve", "--data", str(owned.path), "--listen", "smtp=127.0.0.1:0",
                             "--listen", "pop3=127.0.0.1:0", "--listen", "pop3s=127.0.0.1:0"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, **as_user)
    try:
        smtp_port = None
        for line in proc.stderr:
            assert not WARNING.search(line) and not DROPPED.search(line), line
            m = re.search(r"listening smtp 127\.0\.0\.1:(\d+)", line)
            smtp_port = int(m.group(1)) if m else smtp_port
            if "listening pop3s" in line:
                break
        assert proc.poll() is None
        # Connections are served without root (no option that needs a capability, like SO_DEBUG).
        with SMTPClient(smtp_port) as client:
            assert client.greeting.code == 220
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0

    nobody = pwd.getpwnam("nobody")
    owned.path.chmod(0o755)      # so that nobody gets as far as reading [server] user
    owned.config.chmod(0o644)
    rc, err = serve(owned, user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[])
    assert rc != 0 and f'serve runs as uid {nobody.pw_uid}, but [server] user = "{TEST_USER}"' in err, err


def test_a_server_started_without_root_serves_connections(base):
    """A normal user's `serve` (the quick start; systemd's User=) must not set a socket option
    that needs a capability: TCP_NODELAY set at the SOL_SOCKET level is SO_DEBUG, refused
    without CAP_NET_ADMIN, and every connection was closed unanswered."""
    run_cli("init", "--data", base / "data", "--hostname", HOSTNAME, "--domain", DOMAIN)
    nobody = pwd.getpwnam("nobody")
    for path in [base / "data", *(base / "data").rglob("*")]:
        os.lchown(path, nobody.pw_uid, nobody.pw_gid)
    proc = subprocess.Popen([str(bin_for_others()), "serve", "--data", str(base / "data"), "--listen", "smtp=127.0.0.1:0",
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


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze to verify the unit")
def test_systemd_unit_verifies(tmp_path):
    unit = (Path(__file__).resolve().parent.parent / "contrib" / "systemd" / "tsubame.service").read_text()
    assert "ExecStart=/usr/local/bin/tsubame serve --data /var/lib/tsubame\n" in unit
    # verify checks that the program exists: point it at the binary under test
    (tmp_path / "tsubame.service").write_text(unit.replace("/usr/local/bin/tsubame", str(BIN)))
    result = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "tsubame.service")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr
