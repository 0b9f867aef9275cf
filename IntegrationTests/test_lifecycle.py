"""The data directory, restarts, aborted transactions, graceful shutdown."""

import os
import time

import pytest

from conftest import (DataDir, assert_nothing_stored, check_stored, run_cli,
                      wait_tmp_empty)

SENDER = "sender@example.net"


def test_init_creates_data_dir(tmp_path):
    d = DataDir(tmp_path / "fresh")
    d.init()
    assert (d.path / "tsubame.toml").is_file()
    assert (d.path / "directory.sqlite").is_file()
    assert (d.path / "mail").is_dir()
    text = d.config.read_text()
    assert "[smtp]" in text
    for key in ("max_message_size", "max_recipients", "max_errors"):
        assert key in text, f"{key} missing from tsubame.toml"


def test_second_init_fails(tmp_path):
    d = DataDir(tmp_path / "twice")
    d.init()
    before = d.config.read_bytes()
    p = d.init(hostname="other.example", domain="other.example", check=False)
    assert p.returncode != 0
    assert d.config.read_bytes() == before


def test_help_works():
    assert run_cli("--help").returncode == 0


def test_domain_add(datadir, start_server):
    datadir.add_domain("other.example")
    datadir.add_user("zed@other.example")
    srv = start_server()
    msg = b"Subject: other domain\r\n\r\nhello zed\r\n"
    with srv.connect() as c:
        assert c.transaction(SENDER, ["zed@other.example"], msg).code == 250
        c.ehlo()
        c.expect("MAIL FROM:<a@example.net>", 250)
        c.expect("RCPT TO:<nobody@other.example>", 550, "5.1.1")
    [f] = datadir.wait_new("zed@other.example")
    check_stored(f, SENDER, msg, rcpt="zed@other.example")


def test_restart_keeps_mail(datadir, start_server):
    m1 = b"Subject: one\r\n\r\nbefore restart\r\n"
    m2 = b"Subject: two\r\n\r\nafter restart\r\n"
    srv = start_server()
    with srv.connect() as c:
        assert c.transaction(SENDER, ["alice@test.example"], m1).code == 250
    assert srv.stop() == 0
    srv2 = start_server()
    with srv2.connect() as c:
        assert c.transaction(SENDER, ["alice@test.example"], m2).code == 250
    files = datadir.wait_new("alice@test.example", 2)
    bodies = sorted(f.read_bytes().split(b"\n\n", 1)[1] for f in files)
    assert bodies == [b"after restart\n", b"before restart\n"]


@pytest.mark.parametrize("mode", ["DATA", "BDAT"])
def test_disconnect_mid_message(server, datadir, mode):
    c = server.connect()
    c.ehlo()
    c.expect("MAIL FROM:<sender@example.net>", 250)
    c.expect("RCPT TO:<alice@test.example>", 250)
    c.expect("RCPT TO:<bob@test.example>", 250)
    if mode == "DATA":
        c.expect("DATA", 354)
        c.send(b"Subject: cut\r\n\r\n" + b"partial line\r\n" * 2000)
    else:
        c.send(b"BDAT 100\r\n" + b"a" * 98 + b"\r\n")
        assert c.read_reply().code == 250
        c.send(b"BDAT 100000 LAST\r\n" + b"b" * 30000)
    c.close()
    wait_tmp_empty(datadir, timeout=10)
    # the server has handled the disconnect once a later message gets through
    with server.connect() as c2:
        good = b"Subject: later\r\n\r\nlater\r\n"
        assert c2.transaction(SENDER, ["carol@test.example"], good).code == 250
    datadir.wait_new("carol@test.example")
    wait_tmp_empty(datadir, timeout=10)
    assert datadir.new_files("alice@test.example") == []
    assert datadir.new_files("bob@test.example") == []


def test_rset_aborts_transaction(client, datadir):
    client.ehlo()
    client.expect("MAIL FROM:<sender@example.net>", 250)
    client.expect("RCPT TO:<alice@test.example>", 250)
    client.send(b"BDAT 10\r\n0123456789")
    assert client.read_reply().code == 250
    client.expect("RSET", 250)
    client.expect("BDAT 0 LAST", 503)
    wait_tmp_empty(datadir)
    assert_nothing_stored(datadir)


def test_sigterm_idle_session_gets_421(server):
    c = server.connect()
    c.ehlo()
    server.terminate()
    r = c.read_reply()
    assert (r.code, r.enhanced) == (421, "4.3.2"), r
    assert c.is_closed()
    assert server.wait() == 0, server.log()


def test_sigterm_lets_data_finish(server, datadir):
    idle = server.connect()
    idle.ehlo()
    busy = server.connect()
    busy.ehlo()
    busy.expect("MAIL FROM:<sender@example.net>", 250)
    busy.expect("RCPT TO:<alice@test.example>", 250)
    busy.expect("DATA", 354)
    msg = b"Subject: shutdown\r\n\r\npart one\r\n"
    busy.send(msg)

    server.terminate()
    r = idle.read_reply()                 # the shutdown has begun
    assert (r.code, r.enhanced) == (421, "4.3.2"), r
    assert server.running(), "server exited while a message was being received"

    busy.send(b"part two\r\n.\r\n")
    r = busy.read_reply()
    assert r.code == 250, r
    r = busy.read_reply()
    assert (r.code, r.enhanced) == (421, "4.3.2"), r
    assert busy.is_closed()
    assert server.wait() == 0, server.log()
    [f] = datadir.new_files("alice@test.example")
    check_stored(f, SENDER, msg + b"part two\r\n", rcpt="alice@test.example")
    for c in (idle, busy):
        c.close()



def test_start_removes_unfinished_deliveries_older_than_36_hours(datadir, start_server):
    tmp = datadir.maildir("alice@test.example") / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    stale = tmp / "1764000000.M1P4242Q1.mx.test.example"
    stale.write_bytes(b"Received: partial\n" * 10)
    young = tmp / "1764000001.M1P4343Q1.mx.test.example"
    young.write_bytes(b"in progress\n")
    two_days_ago = time.time() - 48 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))
    server = start_server()
    server.wait_for_line(r"removed 1 unfinished deliveries \(180 bytes\) older than 36 hours", 30)
    assert not stale.exists()
    assert young.exists()
