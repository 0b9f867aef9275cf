"""Replies to wrong commands, unknown recipients and relay attempts."""

import subprocess

from conftest import HOSTNAME, assert_nothing_stored


def test_greeting_and_ehlo(client):
    assert client.greeting.code == 220
    assert client.greeting.lines[0].startswith(f"{HOSTNAME} ESMTP Tsubame"), client.greeting
    r = client.ehlo()
    keywords = {line.split(" ")[0].upper() for line in r.lines[1:]}
    for kw in ("PIPELINING", "8BITMIME", "SIZE", "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING", "DSN"):
        assert kw in keywords, f"EHLO lacks {kw}: {r.lines}"
    assert r.lines[0].split(" ")[0] == HOSTNAME, r


def test_every_reply_has_enhanced_code(client):
    client.ehlo()
    for line in ("NOOP", "RSET", "VRFY alice", "FOO", "MAIL FROM:bad",
                 "MAIL FROM:<a@example.net>", "RCPT TO:<nobody@test.example>",
                 "RCPT TO:<x@elsewhere.example>", "RCPT TO:<alice@test.example>",
                 "MAIL FROM:<b@example.net>", "RSET", "DATA", "HELP", "QUIT"):
        r = client.cmd(line)
        assert r.enhanced, f"{line!r}: no enhanced status code in {r}"
        assert r.enhanced[0] == str(r.code)[0], f"{line!r}: class mismatch {r}"


def test_unknown_command(client):
    client.ehlo()
    client.expect("FOO bar", 500, "5.5.1")
    client.expect("NOOP", 250)


def test_mail_before_helo(client):
    client.expect("MAIL FROM:<a@example.net>", 503, "5.5.1")


def test_bad_sequence(client):
    client.ehlo()
    client.expect("RCPT TO:<alice@test.example>", 503, "5.5.1")
    client.expect("DATA", 503, "5.5.1")
    client.expect("BDAT 0 LAST", 503, "5.5.1")
    client.expect("MAIL FROM:<a@example.net>", 250)
    client.expect("MAIL FROM:<a@example.net>", 503, "5.5.1")
    r = client.cmd("DATA")                      # no recipient yet
    # RFC 5321 3.3 allows 503 (out of sequence) or 554 (no valid recipients)
    assert (r.code, r.enhanced) in ((503, "5.5.1"), (554, "5.5.1")), r


def test_bad_syntax(client):
    client.ehlo()
    client.expect("MAIL FROM:bad", 501, "5.5.4")
    r = client.cmd("MAIL FROM:<a@example.net> NOSUCHPARAM=1")
    assert 500 <= r.code < 600 and r.enhanced, r
    client.expect("MAIL FROM:<a@example.net>", 250)
    client.expect("RCPT TO:alice", 501, "5.5.4")
    client.expect("RCPT TO:<alice@test.example>", 250)


def test_vrfy_does_not_disclose(client):
    client.ehlo()
    a = client.expect("VRFY alice", 252)
    b = client.expect("VRFY nosuchuser", 252)
    assert a.enhanced == b.enhanced and a.enhanced is not None


def test_unknown_local_user(client, datadir):
    client.ehlo()
    client.expect("MAIL FROM:<a@example.net>", 250)
    client.expect("RCPT TO:<nosuchuser@test.example>", 550, "5.1.1")
    client.expect("RCPT TO:<alice@test.example>", 250)
    client.expect("RSET", 250)
    assert_nothing_stored(datadir)


def test_relay_denied(client, datadir):
    client.ehlo()
    client.expect("MAIL FROM:<a@example.net>", 250)
    r = client.expect("RCPT TO:<x@gmail.com>", 554, "5.7.1")
    assert "Relay access denied" in r.text
    r = client.cmd("DATA")              # no valid recipient
    assert 500 <= r.code < 600, r
    assert_nothing_stored(datadir)


def test_relay_denied_swaks(server, datadir):
    p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(server.port),
                        "--to", "x@gmail.com", "--from", "a@b", "--helo", "client.example",
                        "--timeout", "30"],
                       capture_output=True, text=True, timeout=60)
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    assert "554" in out, out
    assert_nothing_stored(datadir)


def test_error_limit(client):
    """With the default max_errors = 10 the client is cut off with 421 4.7.0
    at its 10th or 11th error, and the connection is closed."""
    client.ehlo()
    replies = []
    for _ in range(12):
        r = client.cmd("FOO")
        replies.append(r)
        if r.code == 421:
            break
    codes = [r.code for r in replies]
    assert codes[-1] == 421 and replies[-1].enhanced == "4.7.0", replies
    assert len(codes) in (10, 11) and set(codes[:-1]) == {500}, codes
    assert client.is_closed()


def test_quit(client):
    client.ehlo()
    client.expect("QUIT", 221)
    assert client.is_closed()
