"""Size, line-length, recipient and connection limits."""

import hashlib
import smtplib
import time

import pytest

from conftest import (CLIENT_HELO, SMTPClient, ConnectionClosed, assert_nothing_stored,
                      check_stored, split_stored, wait_tmp_empty)

SENDER = "sender@example.net"


def big_message(size):
    head = b"From: sender@example.net\r\nTo: alice@test.example\r\nSubject: big\r\n\r\n"
    lines = []
    n = len(head)
    i = 0
    while n < size:
        line = b"%08d " % i + hashlib.sha256(b"%d" % i).hexdigest().encode() + b"\r\n"
        if i % 1000 == 0:
            line = b"." + line                 # needs dot-stuffing on the wire
        lines.append(line)
        n += len(line)
        i += 1
    return head + b"".join(lines)


def test_25mb_message(server, datadir):
    msg = big_message(25 * 1024 * 1024)
    with smtplib.SMTP("127.0.0.1", server.port, local_hostname=CLIENT_HELO, timeout=300) as s:
        assert s.sendmail(SENDER, ["alice@test.example"], msg) == {}
    [f] = datadir.wait_new("alice@test.example")
    content = f.read_bytes()
    _, body = split_stored(content)
    assert hashlib.sha256(body).hexdigest() == \
        hashlib.sha256(msg.replace(b"\r\n", b"\n")).hexdigest()
    check_stored(f, SENDER, msg, "ESMTP", rcpt="alice@test.example")


def test_ehlo_advertises_default_size(client):
    r = client.ehlo()
    assert "SIZE 52428800" in r.lines, r


def test_size_parameter_above_limit(client, datadir):
    client.ehlo()
    client.expect("MAIL FROM:<a@example.net> SIZE=999999999", 552, "5.3.4")
    # the session goes on: a proper transaction still works
    client.expect("MAIL FROM:<a@example.net> SIZE=100", 250)


@pytest.mark.smtp_config(max_message_size=10000)
def test_lowered_size_advertised_and_checked_at_mail(client):
    r = client.ehlo()
    assert "SIZE 10000" in r.lines, r
    client.expect("MAIL FROM:<a@example.net> SIZE=20000", 552, "5.3.4")


@pytest.mark.smtp_config(max_message_size=10000)
def test_oversized_message_rejected_after_data(client, datadir):
    client.ehlo()
    client.expect("MAIL FROM:<a@example.net>", 250)
    client.expect("RCPT TO:<alice@test.example>", 250)
    msg = b"Subject: too big\r\n\r\n" + (b"x" * 70 + b"\r\n") * 300   # ~21 KB
    r = client.data(msg)
    assert (r.code, r.enhanced) == (552, "5.3.4"), r
    assert client.cmd("NOOP").code == 250
    assert_nothing_stored(datadir)
    # a small message in the same session is fine
    small = b"Subject: small\r\n\r\nsmall\r\n"
    assert client.transaction(SENDER, ["alice@test.example"], small, ehlo=False).code == 250
    [f] = datadir.wait_new("alice@test.example")
    check_stored(f, SENDER, small, rcpt="alice@test.example")


@pytest.mark.smtp_config(max_message_size=10000)
def test_oversized_bdat_rejected(client, datadir):
    client.ehlo()
    client.expect("MAIL FROM:<a@example.net>", 250)
    client.expect("RCPT TO:<alice@test.example>", 250)
    chunk = (b"y" * 98 + b"\r\n") * 60             # 6000 bytes
    replies = []
    for last in (False, False, True):
        client.send(b"BDAT %d%s\r\n" % (len(chunk), b" LAST" if last else b"") + chunk)
        replies.append(client.read_reply())
    # 552 at the chunk that crosses the limit or at LAST; the final reply is 5xx
    assert any((r.code, r.enhanced) == (552, "5.3.4") for r in replies), replies
    assert 500 <= replies[-1].code < 600, replies
    assert client.cmd("NOOP").code == 250
    wait_tmp_empty(datadir)
    assert_nothing_stored(datadir)


@pytest.mark.parametrize("length", [999, 1001])
def test_overlong_message_line_rejected(client, datadir, length):
    client.ehlo()
    client.expect("MAIL FROM:<a@example.net>", 250)
    client.expect("RCPT TO:<alice@test.example>", 250)
    msg = b"Subject: long line\r\n\r\n" + b"z" * length + b"\r\nend\r\n"
    r = client.data(msg)
    assert 500 <= r.code < 600, r
    assert client.cmd("NOOP").code == 250
    assert_nothing_stored(datadir)


def test_998_octet_line_accepted(client, datadir):
    msg = b"Subject: long line\r\n\r\n" + b"z" * 998 + b"\r\n" + b"." + b"d" * 997 + b"\r\n"
    assert client.transaction(SENDER, ["alice@test.example"], msg).code == 250
    [f] = datadir.wait_new("alice@test.example")
    check_stored(f, SENDER, msg, rcpt="alice@test.example")


def test_overlong_command_line(client):
    client.ehlo()
    client.send(b"NOOP " + b"a" * 600 + b"\r\n" + b"NOOP\r\nQUIT\r\n")
    replies = client.read_until_closed()
    assert [r.code for r in replies] == [500, 250, 221], replies
    assert replies[0].enhanced == "5.5.2", replies


@pytest.mark.smtp_config(max_recipients=3)
def test_too_many_recipients(client, datadir):
    client.ehlo()
    client.expect("MAIL FROM:<a@example.net>", 250)
    for u in ("alice", "bob", "carol"):
        client.expect(f"RCPT TO:<{u}@test.example>", 250)
    client.expect("RCPT TO:<dave@test.example>", 452, "4.5.3")
    msg = b"Subject: three\r\n\r\nthree recipients\r\n"
    assert client.data(msg).code == 250
    files = [datadir.wait_new(f"{u}@test.example")[0] for u in ("alice", "bob", "carol")]
    check_stored(files[0], "a@example.net", msg, rcpt=None)
    assert len({f.stat().st_ino for f in files}) == 1
    assert datadir.new_files("dave@test.example") == []


def _wait_for_greeting(server, code, timeout=15):
    """Connect repeatedly until the greeting has CODE (the server may free a
    connection slot a little after the client closed it)."""
    deadline = time.monotonic() + timeout
    while True:
        c = SMTPClient(server.port)
        if c.greeting.code == code or time.monotonic() > deadline:
            return c
        c.close()
        time.sleep(0.05)


@pytest.mark.smtp_config(max_connections_per_ip=2)
def test_max_connections_per_ip(server):
    a, b = server.connect(), server.connect()
    assert (a.greeting.code, b.greeting.code) == (220, 220)
    assert a.cmd("NOOP").code == 250 and b.cmd("NOOP").code == 250
    try:
        c = SMTPClient(server.port)
    except ConnectionClosed:
        pytest.fail("third connection closed without a 421 greeting")
    assert (c.greeting.code, c.greeting.enhanced) == (421, "4.7.0"), c.greeting
    assert c.is_closed()
    c.close()
    # closing one frees a slot
    a.cmd("QUIT")
    a.close()
    d = _wait_for_greeting(server, 220)
    assert d.greeting.code == 220, d.greeting
    for x in (b, d):
        x.close()


@pytest.mark.smtp_config(max_connections=2, max_connections_per_ip=50)
def test_max_connections(server):
    a, b = server.connect(), server.connect()
    assert (a.greeting.code, b.greeting.code) == (220, 220)
    try:
        c = SMTPClient(server.port)
    except ConnectionClosed:
        pytest.fail("third connection closed without a 421 greeting")
    assert c.greeting.code == 421, c.greeting
    assert c.is_closed()
    c.close()
    b.cmd("QUIT")
    b.close()
    d = _wait_for_greeting(server, 220)
    assert d.greeting.code == 220, d.greeting
    for x in (a, d):
        x.close()


def test_512_octet_command_accepted(client):
    """RFC 5321 4.5.3.1.4: 512 octets including CRLF is allowed."""
    client.ehlo()
    line = b"NOOP " + b"a" * 505
    assert len(line + b"\r\n") == 512
    client.send(line + b"\r\nQUIT\r\n")
    assert [r.code for r in client.read_until_closed()] == [250, 221]
