"""The command line: first run, users, domains, aliases, password storage."""

import base64
import hashlib
import hmac
import os
import re
import signal
import sqlite3
import stat
import subprocess
import time

from conftest import BIN, PASSWORD, run_cli


def test_first_serve_creates_a_data_folder_in_the_current_directory(tmp_path):
    proc = subprocess.Popen([str(BIN), "serve", "--listen", "smtp=127.0.0.1:0", "--listen", "pop3=127.0.0.1:0"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = b""
    try:
        # SIGTERM only once the server is up (its signal handlers are installed by then).
        os.set_blocking(proc.stderr.fileno(), False)
        deadline = time.monotonic() + 30
        while b"listening pop3" not in err:
            assert time.monotonic() < deadline, f"server did not start: {err!r}"
            err += proc.stderr.read() or b""
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, rest = proc.communicate(timeout=30)
        err += rest or b""
    assert proc.returncode == 0, err.decode()
    assert (tmp_path / "tsubame-data" / "tsubame.toml").exists()
    text = out.decode()
    assert "tsubame-data" in text and "tsubame user add" in text
    config = (tmp_path / "tsubame-data" / "tsubame.toml").read_text()
    # unprivileged ports on loopback, so a normal user can start it
    assert 'smtp = "127.0.0.1:2525"' in config
    assert 'pop3 = "127.0.0.1:2110"' in config
    assert 'submission = "127.0.0.1:2587"' in config
    assert 'submissions = "127.0.0.1:2465"' in config
    assert 'hostname = "localhost"' in config
    assert re.search(r"listening smtp 127\.0\.0\.1:\d+", err.decode())


def test_init_documents_standard_ports(tmp_path):
    run_cli("init", "--data", tmp_path / "d", "--hostname", "mx.example.org", "--domain", "example.org")
    config = (tmp_path / "d" / "tsubame.toml").read_text()
    assert 'smtp = "0.0.0.0:25"' in config
    assert 'pop3 = "0.0.0.0:110"' in config
    assert 'submission = "0.0.0.0:587"' in config
    assert 'submissions = "0.0.0.0:465"' in config
    assert "auth = false" in config
    assert 'pop3s = "0.0.0.0:995"' in config
    # every setting has its comment line (the listeners share the table's comment)
    lines = config.splitlines()
    table = None
    for index, line in enumerate(lines):
        if line.startswith("["):
            table = line
        elif re.match(r"^[a-z_0-9]+ = ", line) and table != "[listeners]":
            assert lines[index - 1].startswith("#"), line


def test_users_are_listed_removed_and_passwords_hashed(datadir):
    listed = run_cli("user", "list", "--data", datadir.path).stdout.decode().split()
    assert "alice@test.example" in listed
    db = datadir.path / "directory.sqlite"
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    hashes = [row[0] for row in sqlite3.connect(db).execute("select password_hash from users")]
    assert hashes and all(h.startswith("{CRYPT}$y$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)
    run_cli("user", "passwd", "alice@test.example", "--data", datadir.path, "--password-stdin",
            stdin=b"another long password\n")
    changed = sqlite3.connect(db).execute(
        "select password_hash from users where local_part = 'alice'").fetchone()[0]
    assert changed not in hashes
    run_cli("user", "remove", "bob@test.example", "--data", datadir.path)
    assert "bob@test.example" not in run_cli("user", "list", "--data", datadir.path).stdout.decode()


def scram_keys(db, local_part):
    row = sqlite3.connect(db).execute(
        "select scram_sha256 from users where local_part = ?", (local_part,)).fetchone()
    return row[0] if row else None


def check_scram_keys(stored, password):
    """RFC 5802 §3 with Python's own PBKDF2 and HMAC: StoredKey and ServerKey of PASSWORD,
    and never SaltedPassword or ClientKey (either logs in as the user)."""
    scheme, iterations, salt, stored_key, server_key = stored.split("$")
    assert scheme == "SCRAM-SHA-256" and int(iterations) >= 4096
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    assert base64.b64decode(stored_key) == hashlib.sha256(client_key).digest()
    assert base64.b64decode(server_key) == hmac.new(salted, b"Server Key", "sha256").digest()
    for secret in (salted, client_key):
        assert base64.b64encode(secret).decode() not in stored


def test_passwords_also_store_scram_keys(datadir):
    db = datadir.path / "directory.sqlite"
    check_scram_keys(scram_keys(db, "alice"), PASSWORD)
    run_cli("user", "passwd", "alice@test.example", "--data", datadir.path, "--password-stdin",
            stdin=b"another long password\n")
    check_scram_keys(scram_keys(db, "alice"), "another long password")


def test_user_add_refuses_unknown_domain_and_duplicates(datadir):
    result = run_cli("user", "add", "x@nowhere.example", "--data", datadir.path, "--password-stdin",
                     stdin=b"long enough password\n", check=False)
    assert result.returncode != 0
    result = run_cli("user", "add", "alice@test.example", "--data", datadir.path, "--password-stdin",
                     stdin=b"long enough password\n", check=False)
    assert result.returncode != 0
    assert b"already exists" in result.stderr + result.stdout


def test_domains_and_aliases(datadir):
    run_cli("domain", "add", "other.example", "--data", datadir.path)
    assert "other.example" in run_cli("domain", "list", "--data", datadir.path).stdout.decode().split()
    run_cli("alias", "add", "team@other.example", "alice@test.example", "far@remote.example", "--data", datadir.path)
    listed = run_cli("alias", "list", "--data", datadir.path).stdout.decode()
    assert "team@other.example -> alice@test.example, far@remote.example" in listed
    refused = run_cli("domain", "remove", "other.example", "--data", datadir.path, check=False)
    assert refused.returncode != 0
    run_cli("alias", "remove", "team@other.example", "--data", datadir.path)
    run_cli("domain", "remove", "other.example", "--data", datadir.path)
    assert "other.example" not in run_cli("domain", "list", "--data", datadir.path).stdout.decode().split()


def test_alias_to_a_remote_address_waits_in_the_outbound_queue(datadir, start_server):
    datadir.suspend_delivery()  # the queue as the server left it, before any attempt
    run_cli("alias", "add", "fwd@test.example", "far@remote.example", "--data", datadir.path)
    server = start_server()
    with server.connect() as client:
        client.transaction("a@example.net", ["fwd@test.example"], b"Subject: q\r\n\r\nqueued\r\n")
    [entry] = datadir.queue_list()
    # Forwarded: the envelope sender is rewritten with SRS so the next hop's SPF check passes.
    assert re.fullmatch(r"SRS0=[^=]{4}=[A-Z2-7]{2}=example\.net=a@test\.example", entry["sender"]), entry
    assert entry["account"] is None
    assert [r["address"] for r in entry["recipients"]] == ["far@remote.example"]
    assert datadir.queued_file(entry).read_bytes().endswith(b"Subject: q\n\nqueued\n")


def test_queue_commands_hold_release_show_and_delete_while_the_server_runs(datadir, start_server):
    datadir.suspend_delivery()
    run_cli("alias", "add", "fwd@test.example", "far@remote.example", "--data", datadir.path)
    server = start_server()
    with server.connect() as client:
        client.transaction("a@example.net", ["fwd@test.example"], b"Subject: q\r\n\r\nqueued\r\n")
    [entry] = datadir.queue_list()
    qid = entry["id"]
    server.wait_for_line(rf"\bid={re.escape(qid)}\b", 10)  # the queue id is the log's id
    listed = run_cli("queue", "list", "--data", datadir.path).stdout.decode()
    assert qid in listed and "<far@remote.example> pending" in listed
    run_cli("queue", "hold", qid, "--data", datadir.path)
    assert datadir.queue_list()[0]["held"] is True
    shown = run_cli("queue", "show", qid, "--data", datadir.path).stdout.decode()
    assert "held: yes" in shown and "to: <far@remote.example> pending attempts=0" in shown
    run_cli("queue", "release", qid, "--data", datadir.path)
    assert datadir.queue_list()[0]["held"] is False
    missing = run_cli("queue", "hold", "NOSUCHID", "--data", datadir.path, check=False)
    assert missing.returncode != 0 and b"no queued message NOSUCHID" in missing.stderr
    run_cli("queue", "delete", qid, "--data", datadir.path)
    assert datadir.queue_list() == []
    assert not datadir.queued_file(entry).exists()
    assert server.running()


def test_an_old_format_queue_entry_is_taken_over_at_start(datadir, start_server):
    """What queue/new held before the queue database (NAME and NAME.envelope) becomes a queue
    entry at start, and the envelope file goes."""
    new = datadir.path / "queue" / "new"
    new.mkdir(parents=True, exist_ok=True)
    name = "1700000000.M1P2Q3.old.example,S=12,W=14"
    (new / name).write_bytes(b"Subject: o\n\n")
    (new / f"{name}.envelope").write_text("sender a@example.net\nrecipient far@remote.example\n")
    # remote.example does not exist: a live scheduler would bounce it before the test looks.
    datadir.suspend_delivery()
    start_server()
    [entry] = datadir.queue_list()
    assert entry["sender"] == "a@example.net" and entry["file"] == name
    assert [r["address"] for r in entry["recipients"]] == ["far@remote.example"]
    assert datadir.queued_file(entry).read_bytes() == b"Subject: o\n\n"
    assert list(new.iterdir()) == []


def test_a_password_login_adds_the_scram_keys_a_user_lacks(datadir, start_server):
    """Users whose password was set before SCRAM keys were stored get them at their next
    successful password login (issue 9), not at a failed one."""
    db = datadir.path / "directory.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("update users set scram_sha256 = null")
    server = start_server(pop3=True)
    client = server.pop3()
    assert client.cmd("USER alice@test.example").startswith("+OK")
    assert client.cmd("PASS wrong password").startswith("-ERR")
    client.close()
    assert scram_keys(db, "alice") is None
    client = server.pop3()
    client.login("alice@test.example")
    client.quit()
    check_scram_keys(scram_keys(db, "alice"), PASSWORD)
    assert scram_keys(db, "bob") is None
