"""POP3 errors: commands in the wrong state, unknown commands, bad message
numbers, over-long lines (each -ERR, the session goes on), the error limit,
the idle timeout, connection limits."""

import base64
import socket
import time

import pytest

from conftest import (PASSWORD, ConnectionClosed, deliver_and_map, plain_token,
                      pop3_login_when_free, sample_message)

ALICE = "alice@test.example"


@pytest.mark.pop3_config(max_errors=100)
def test_wrong_state(pop3_server, datadir):
    deliver_and_map(pop3_server, datadir, ALICE, [sample_message(1)])
    c = pop3_server.pop3()
    # TRANSACTION commands in AUTHORIZATION
    for line in ("STAT", "LIST", "LIST 1", "RETR 1", "DELE 1", "UIDL", "UIDL 1",
                 "TOP 1 0", "RSET", "NOOP"):
        c.err(line)
    c.err(f"PASS {PASSWORD}")           # PASS without USER
    c.login(ALICE)                       # the session went on
    # AUTHORIZATION commands in TRANSACTION
    c.err(f"USER {ALICE}")
    c.err(f"PASS {PASSWORD}")
    c.err(f"AUTH PLAIN {plain_token(ALICE)}")
    assert c.stat()[0] == 1
    c.ok("NOOP")
    c.quit()


@pytest.mark.pop3_config(max_errors=100)
def test_unknown_and_malformed_commands(pop3_server, datadir):
    deliver_and_map(pop3_server, datadir, ALICE, [sample_message(1)])
    c = pop3_server.pop3()
    for line in ("FOO", "XYZZY bar", "", " ", "USER", "HELO x", "EHLO x", "APOP alice x",
                 "AUTH CRAM-MD5", "AUTH PLAIN !!notbase64!!",
                 "AUTH PLAIN " + base64.b64encode(b"no NULs in here").decode()):
        r = c.cmd(line)
        assert r.startswith("-ERR"), f"{line!r}: {r!r}"
    c.ok(f"USER {ALICE}")
    c.err("PASS")
    c.login(ALICE)
    for line in ("FOO", "RETR", "RETR x", "RETR -1", "RETR +1", "TOP 1", "TOP 1 x",
                 "TOP 1 -1", "TOP x 0", "DELE", "DELE x", "LIST x", "UIDL x"):
        r = c.cmd(line)
        assert r.startswith("-ERR"), f"{line!r}: {r!r}"
    c.ok("NOOP")
    assert c.stat()[0] == 1
    c.quit()


@pytest.mark.pop3_config(max_errors=100)
def test_message_numbers_out_of_range_or_deleted(pop3_server, datadir):
    deliver_and_map(pop3_server, datadir, ALICE, [sample_message(1), sample_message(2)])
    c = pop3_server.pop3()
    c.login(ALICE)
    for n in ("0", "3", "999", "4294967296", "99999999999999999999999"):
        for cmd in (f"RETR {n}", f"LIST {n}", f"UIDL {n}", f"DELE {n}", f"TOP {n} 0"):
            r = c.cmd(cmd)
            assert r.startswith("-ERR"), f"{cmd!r}: {r!r}"
    c.ok("DELE 1")
    for cmd in ("RETR 1", "LIST 1", "UIDL 1", "DELE 1", "TOP 1 0"):
        r = c.cmd(cmd)
        assert r.startswith("-ERR"), f"{cmd!r} of a deleted message: {r!r}"
    assert c.stat()[0] == 1
    c.retr(2)
    c.quit()
    assert len(datadir.new_files(ALICE)) + len(list(
        (datadir.maildir(ALICE) / "cur").iterdir())) == 1


@pytest.mark.pop3_config(max_errors=100)
def test_long_lines(pop3_server, datadir):
    """RFC 2449 §4: commands are at most 255 octets with the CRLF.  A longer
    line gets one -ERR (however long it is), and the next command works."""
    deliver_and_map(pop3_server, datadir, ALICE, [sample_message(1)])
    c = pop3_server.pop3()
    for length in (300, 1000, 64 * 1024):
        c.send(b"USER " + b"a" * length + b"\r\nCAPA\r\n")
        r = c.status()
        assert r.startswith("-ERR"), f"{length}-octet USER: {r!r}"
        assert c.status().startswith("+OK"), "the line after the long one was not answered"
        c.read_multiline()
    # the longest allowed line, 253 octets + CRLF, is a command like any other
    c.ok(f"USER {ALICE}")
    line = "PASS " + "p" * 248
    assert len(line) + 2 == 255
    assert c.cmd(line) == "-ERR [AUTH] Authentication failed"
    c.login(ALICE)
    c.send(b"NOOP " + b"x" * 300 + b"\r\nNOOP\r\n")
    assert c.status().startswith("-ERR")
    assert c.status().startswith("+OK")
    c.send(b"RETR 1" + b" " * 5000 + b"\r\nSTAT\r\n")
    assert c.status().startswith("-ERR")
    assert c.status().startswith("+OK 1 ")
    c.quit()


@pytest.mark.pop3_config(max_errors=3)
def test_error_limit_closes_connection(pop3_server):
    """The session ends after an -ERR at its 3rd (or 4th) error."""
    c = pop3_server.pop3()
    replies = []
    with pytest.raises(ConnectionClosed):
        for _ in range(6):
            replies.append(c.cmd("FOO"))
    assert 3 <= len(replies) <= 4 and all(r.startswith("-ERR") for r in replies), replies
    assert c.is_closed()

    # errors after login count too; the mailbox is free afterwards
    c = pop3_server.pop3()
    c.login(ALICE)
    replies = []
    with pytest.raises(ConnectionClosed):
        for _ in range(6):
            replies.append(c.cmd("RETR 999"))
    assert 3 <= len(replies) <= 4 and all(r.startswith("-ERR") for r in replies), replies
    pop3_login_when_free(pop3_server, ALICE).quit()


@pytest.mark.pop3_config(max_errors=3)
def test_good_commands_do_not_count_as_errors(pop3_server):
    c = pop3_server.pop3()
    c.err("FOO")
    c.err("FOO")
    for _ in range(20):
        c.capa()
    c.login(ALICE)
    for _ in range(20):
        c.ok("NOOP")
        c.stat()
    c.quit()


def _closed_within(c, seconds):
    """Wait for the server to close C (an -ERR first is allowed); return the
    time it took, or fail."""
    t0 = time.monotonic()
    deadline = t0 + seconds
    c.sock.settimeout(seconds)
    data = b""
    while True:
        try:
            chunk = c.sock.recv(65536)
        except (ConnectionResetError, socket.timeout) as e:
            if isinstance(e, socket.timeout):
                pytest.fail(f"still open after {seconds}s (got {data!r})")
            break
        if not chunk:
            break
        data += chunk
        assert time.monotonic() < deadline
    assert data == b"" or (data.startswith(b"-ERR") and data.endswith(b"\r\n")
                           and data.count(b"\r\n") == 1), data
    return time.monotonic() - t0


@pytest.mark.pop3_config(idle_timeout=2)
def test_idle_timeout(pop3_server, datadir):
    deliver_and_map(pop3_server, datadir, ALICE, [sample_message(1), sample_message(2)])
    # in AUTHORIZATION
    c = pop3_server.pop3()
    took = _closed_within(c, 15)
    assert took >= 1.0, f"closed after {took:.2f}s, idle_timeout is 2"

    # in TRANSACTION, activity keeps the session alive; a marked message
    # is not deleted when the session times out
    c = pop3_server.pop3()
    c.login(ALICE)
    for _ in range(4):
        time.sleep(0.8)
        c.ok("NOOP")
    c.ok("DELE 1")
    took = _closed_within(c, 15)
    assert took >= 1.0, f"closed after {took:.2f}s, idle_timeout is 2"
    c = pop3_login_when_free(pop3_server, ALICE)     # the mailbox was released
    assert c.stat()[0] == 2
    c.quit()


@pytest.mark.pop3_config(max_connections_per_ip=3)
def test_connections_per_ip(pop3_server):
    conns = [pop3_server.pop3() for _ in range(3)]
    extra = pop3_server.pop3(greeting=False)
    # refused: an -ERR and close, or closed at once
    _closed_within(extra, 10)
    conns[0].quit()
    deadline = time.monotonic() + 5
    while True:     # the server may take a moment to count the closed one out
        again = pop3_server.pop3(greeting=False)
        try:
            greeting = again.status()
        except ConnectionClosed:
            greeting = "(closed)"
        if greeting.startswith("+OK") or time.monotonic() > deadline:
            break
        again.close()
        time.sleep(0.2)
    assert greeting == "+OK Tsubame POP3 ready"
    again.login(ALICE)
    again.quit()
    for c in conns[1:]:
        c.quit()
