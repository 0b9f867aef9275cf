"""The IMAP session against the real binary with Python's imaplib and raw sockets: the
greeting and CAPABILITY, LOGINDISABLED until STARTTLS (RFC 3501 §6.2.3), LOGIN and
AUTHENTICATE (PLAIN with SASL-IR, SCRAM-SHA-256 through PyPI's scramp), identical answers for
a wrong password and an unknown user, bytes pipelined behind STARTTLS never executed,
literals refused before any "+", nesting and line-length bounds, the error limit, LOGOUT."""

import base64
import imaplib
import socket
import ssl
import time

import pytest
import scramp

from conftest import BIN, IO_TIMEOUT, PASSWORD, plain_token, sample_message

ALICE = "alice@test.example"
FAILED = b"NO [AUTHENTICATIONFAILED] Authentication failed."


def _mailbox_layer_built():
    """Logging in needs IMAPMailbox's store; until it is built (its stubs trap), the tests that
    log in are skipped rather than crash the server."""
    try:
        return b"IMAPMailbox: not built yet" not in BIN.read_bytes()
    except OSError:
        return False


needs_mailbox = pytest.mark.skipif(not _mailbox_layer_built(), reason="IMAPMailbox not built yet in this binary")


class Raw:
    """A line-oriented raw IMAP connection, for what imaplib cannot send."""

    def __init__(self, port, tls_context=None):
        sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        self.sock = tls_context.wrap_socket(sock, server_hostname="localhost") if tls_context else sock
        self.file = self.sock.makefile("rb")
        self.greeting = self.line()

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        return self.file.readline()

    def until_tagged(self, tag):
        """Every line up to and including the one tagged TAG."""
        lines = []
        while True:
            line = self.line()
            assert line, f"connection closed before {tag}: {lines}"
            lines.append(line)
            if line.startswith(tag.encode() + b" "):
                return lines

    def rest(self):
        """Everything until the server closes."""
        data = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                return data
            if not chunk:
                return data
            data += chunk

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def test_greeting_and_capability(imap_server):
    c = imap_server.imap()
    assert c.welcome.startswith(b"* OK [CAPABILITY IMAP4rev1 ")
    assert b"PREAUTH" not in c.welcome
    typ, data = c.capability()
    assert typ == "OK"
    caps = data[0].split()
    for cap in (b"IMAP4rev1", b"SASL-IR", b"ID", b"ENABLE", b"IDLE", b"LITERAL+", b"STARTTLS",
                b"AUTH=PLAIN", b"AUTH=SCRAM-SHA-256"):
        assert cap in caps
    # From 127.0.0.1 the default policy ("loopback") allows passwords without TLS.
    assert b"LOGINDISABLED" not in caps
    typ, data = c.xatom("ID", "NIL")
    assert typ == "OK"
    assert c.untagged_responses.get("ID") == [b'("name" "Tsubame")']


@pytest.mark.imap_config(allow_plaintext="never")
def test_logindisabled_before_starttls_and_gone_after(imap_server):
    c = imap_server.imap()
    assert "LOGINDISABLED" in c.capabilities
    assert not any(cap.startswith("AUTH=") for cap in c.capabilities)
    with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED"):
        c.login(ALICE, PASSWORD)
    c.starttls(ssl_context=imap_server.tls_context())
    assert "LOGINDISABLED" not in c.capabilities
    assert "STARTTLS" not in c.capabilities
    assert "AUTH=PLAIN" in c.capabilities


@needs_mailbox
@pytest.mark.imap_config(allow_plaintext="never")
def test_starttls_then_login(imap_server):
    c = imap_server.imap()
    c.starttls(ssl_context=imap_server.tls_context())
    typ, data = c.login(ALICE, PASSWORD)
    assert typ == "OK"
    assert b"[CAPABILITY IMAP4rev1" in data[0] and b"APPENDLIMIT=" in data[0]
    assert c.logout()[0] == "BYE"
    imap_server.wait_for_line(r"login .*sasl_method=LOGIN", IO_TIMEOUT)


@needs_mailbox
def test_imaps_login(imap_server):
    c = imap_server.imap(tls=True)
    assert c.login(ALICE, PASSWORD)[0] == "OK"
    typ, data = c.capability()
    assert b"NAMESPACE" in data[0] and b"AUTH=" not in data[0]
    typ, data = c.namespace()
    assert data == [b'(("" ".")) NIL NIL']
    assert c.logout()[0] == "BYE"


@needs_mailbox
def test_authenticate_plain_with_sasl_ir(imap_server):
    r = Raw(imap_server.imap_port)
    r.send(f"a AUTHENTICATE PLAIN {plain_token(ALICE)}\r\n")
    lines = r.until_tagged("a")
    assert lines[-1].startswith(b"a OK [CAPABILITY IMAP4rev1 ")
    r.close()


def test_authenticate_plain_failure_after_empty_challenge(imap_server):
    r = Raw(imap_server.imap_port)
    r.send("a AUTHENTICATE PLAIN\r\n")
    assert r.line() == b"+ \r\n"
    r.send(plain_token(ALICE, "wrong") + "\r\n")
    assert r.until_tagged("a")[-1] == b"a " + FAILED + b"\r\n"
    # "*" cancels (RFC 3501 §6.2.2).
    r.send("b AUTHENTICATE PLAIN\r\n")
    assert r.line() == b"+ \r\n"
    r.send("*\r\n")
    assert r.until_tagged("b")[-1].startswith(b"b BAD ")
    r.close()


def _scram(imap_server, user, password):
    """AUTHENTICATE SCRAM-SHA-256 with scramp as the client; returns (tagged line, client)."""
    client = scramp.ScramClient(["SCRAM-SHA-256"], user, password)
    r = Raw(imap_server.imap_port)
    first = base64.b64encode(client.get_client_first().encode()).decode()
    r.send(f"a AUTHENTICATE SCRAM-SHA-256 {first}\r\n")
    line = r.line()
    if not line.startswith(b"+ "):
        r.close()
        return line, client
    client.set_server_first(base64.b64decode(line[2:].strip()).decode())
    r.send(base64.b64encode(client.get_client_final().encode()).decode() + "\r\n")
    line = r.line()
    if line.startswith(b"+ "):
        client.set_server_final(base64.b64decode(line[2:].strip()).decode())  # verifies the server
        r.send("\r\n")
        line = r.until_tagged("a")[-1]
    r.close()
    return line, client


@needs_mailbox
def test_scram_sha_256_with_scramp(imap_server):
    line, _ = _scram(imap_server, ALICE, PASSWORD)
    assert line.startswith(b"a OK [CAPABILITY IMAP4rev1 ")
    imap_server.wait_for_line(r"login .*sasl_method=SCRAM-SHA-256", IO_TIMEOUT)


def test_scram_wrong_password_and_unknown_user_alike(imap_server):
    wrong, _ = _scram(imap_server, ALICE, "wrong")
    unknown, _ = _scram(imap_server, "nobody@test.example", PASSWORD)
    assert wrong == unknown == b"a " + FAILED + b"\r\n"


def test_bad_password_and_unknown_user_identical(imap_server):
    answers = []
    for user, password in ((ALICE, "wrong"), ("nobody@test.example", PASSWORD), ("nodomain@else.example", "x")):
        c = imap_server.imap()
        with pytest.raises(imaplib.IMAP4.error) as failure:
            c.login(user, password)
        answers.append(str(failure.value))
        c.shutdown()
    assert answers[0] == answers[1] == answers[2]
    assert "[AUTHENTICATIONFAILED] Authentication failed." in answers[0]
    imap_server.wait_for_line(r"authentication failed .*sasl_method=LOGIN", IO_TIMEOUT)


def test_bytes_pipelined_behind_starttls_never_run(imap_server):
    r = Raw(imap_server.imap_port)
    r.send("a STARTTLS\r\nb LOGIN alice@test.example x\r\n")
    rest = r.rest()
    assert b"b " not in rest
    assert b"a OK" not in rest
    r.close()
    imap_server.wait_for_line(r"pipelined after STARTTLS", IO_TIMEOUT)


def test_huge_literal_refused_before_continuation(imap_server):
    r = Raw(imap_server.imap_port)
    r.send("a LOGIN {999999999}\r\n")
    line = r.line()
    assert line.startswith(b"a NO [TOOBIG] ")
    # The session goes on: nothing of the literal is expected.
    r.send("b NOOP\r\n")
    assert r.until_tagged("b")[-1] == b"b OK NOOP completed.\r\n"
    r.close()


def test_small_literal_gets_continuation(imap_server):
    r = Raw(imap_server.imap_port)
    r.send("a LOGIN {18}\r\n")
    assert r.line() == b"+ Ready for literal data\r\n"
    r.send("alice@test.example {5}\r\n")
    assert r.line() == b"+ Ready for literal data\r\n"
    r.send("wrong\r\n")
    assert r.until_tagged("a")[-1] == b"a " + FAILED + b"\r\n"
    r.close()


def test_nesting_bomb_is_cut_off_with_bad(imap_server):
    r = Raw(imap_server.imap_port)
    r.send("a SEARCH " + "(" * 2000 + "ALL" + ")" * 2000 + "\r\n")
    assert r.until_tagged("a")[-1].startswith(b"a BAD ")
    r.send("b NOOP\r\n")
    assert r.until_tagged("b")[-1] == b"b OK NOOP completed.\r\n"
    r.close()


def test_overlong_line_closes(imap_server):
    r = Raw(imap_server.imap_port)
    r.send("a LOGIN " + "x" * 100_000 + "\r\n")
    rest = r.rest()
    assert b"BAD [LIMIT] Command line too long" in rest
    assert b"* BYE " in rest
    r.close()


@pytest.mark.imap_config(max_errors=3)
def test_too_many_errors_end_with_bye(imap_server):
    r = Raw(imap_server.imap_port)
    r.send("1 FROB\r\n2 SELECT INBOX\r\n")
    assert r.until_tagged("1")[-1].startswith(b"1 BAD ")
    assert r.until_tagged("2")[-1] == b"2 BAD Command not allowed before login.\r\n"
    r.send("3 FROB\r\n")
    rest = r.rest()
    assert rest.startswith(b"3 BAD ")
    assert b"* BYE Too many invalid IMAP commands.\r\n" in rest
    r.close()


def test_logout(imap_server):
    c = imap_server.imap()
    typ, data = c.logout()
    assert typ == "BYE"
    r = Raw(imap_server.imap_port)
    r.send("z LOGOUT\r\n")
    assert r.rest() == b"* BYE Logging out\r\nz OK Logout completed.\r\n"
    r.close()


def test_init_writes_both_imap_listeners_and_the_imap_table(datadir):
    config = (datadir.path / "tsubame.toml").read_text()
    assert 'imap = "0.0.0.0:143"' in config
    assert 'imaps = "0.0.0.0:993"' in config
    assert "append_limit = 0" in config and "max_user_connections_per_ip = 10" in config


def _logged_in_raw(imap_server):
    r = Raw(imap_server.imap_port)
    r.send(f"l LOGIN {ALICE} \"{PASSWORD}\"\r\n")
    assert r.until_tagged("l")[-1].startswith(b"l OK ")
    return r


@needs_mailbox
def test_selected_folder_deleted_by_another_session_ends_with_a_clear_bye(imap_server):
    """RFC 3501 §7.1.5: the session whose selected folder went away gets BYE and is closed, with
    Dovecot's text, not an internal error; the session that deleted it goes on."""
    selecting = _logged_in_raw(imap_server)
    deleting = _logged_in_raw(imap_server)
    deleting.send("c CREATE Projects\r\n")
    assert deleting.until_tagged("c")[-1].startswith(b"c OK")
    selecting.send("s SELECT Projects\r\n")
    assert selecting.until_tagged("s")[-1].startswith(b"s OK [READ-WRITE]")
    deleting.send("d DELETE Projects\r\n")
    assert deleting.until_tagged("d")[-1].startswith(b"d OK")
    selecting.send("n NOOP\r\n")
    rest = selecting.rest()
    assert rest == b"* BYE Selected mailbox was deleted, have to disconnect.\r\n", rest
    deleting.send("l LIST \"\" *\r\n")
    listed = deleting.until_tagged("l")
    assert listed[-1].startswith(b"l OK") and not any(b"Projects" in line for line in listed)
    selecting.close()
    deleting.close()
    assert "mailbox command failed" not in imap_server.log()


@needs_mailbox
def test_large_append_is_streamed_and_stored(imap_server):
    """A literal above the inline threshold (64 KiB) goes to a file as it arrives; the message
    comes back whole."""
    c = imap_server.imap()
    c.login(ALICE, PASSWORD)
    body = b"Subject: big\r\n\r\n" + b"".join(b"line %06d of a large message\r\n" % i for i in range(20_000))
    typ, data = c.append("INBOX", None, None, body)
    assert typ == "OK", data
    assert b"APPENDUID" in data[0]
    c.select("INBOX")
    typ, data = c.fetch("1", "(RFC822.SIZE BODY.PEEK[])")
    assert typ == "OK"
    assert data[0][1] == body
    c.logout()


@needs_mailbox
def test_append_over_the_limit_refused_before_continuation(imap_server):
    r = _logged_in_raw(imap_server)
    r.send("a APPEND INBOX {999999999}\r\n")
    assert r.line().startswith(b"a NO [TOOBIG] ")
    r.send("b NOOP\r\n")
    assert r.until_tagged("b")[-1].startswith(b"b OK")
    r.close()


@needs_mailbox
def test_idle_sees_a_delivery_then_done(imap_server):
    r = _logged_in_raw(imap_server)
    r.send("s SELECT INBOX\r\n")
    assert r.until_tagged("s")[-1].startswith(b"s OK ")
    r.send("i IDLE\r\n")
    assert r.line() == b"+ idling\r\n"
    imap_server.deliver(ALICE, sample_message(1))
    line = r.line()
    while line.startswith(b"* OK") or b"RECENT" in line:
        line = r.line()
    assert line == b"* 1 EXISTS\r\n"
    r.send("DONE\r\n")
    assert r.until_tagged("i")[-1] == b"i OK Idle completed.\r\n"
    r.close()


@needs_mailbox
@pytest.mark.imap_config(max_user_connections_per_ip=2)
def test_connections_per_user_and_address_are_bounded(imap_server):
    first, second = _logged_in_raw(imap_server), _logged_in_raw(imap_server)
    r = Raw(imap_server.imap_port)
    r.send(f"l LOGIN {ALICE} \"{PASSWORD}\"\r\n")
    assert r.until_tagged("l")[-1] == (b"l NO [UNAVAILABLE] Maximum number of connections from user+IP exceeded "
                                       b"(max_user_connections_per_ip=2)\r\n")
    # Another user from the same address is not affected; a slot frees when a session ends.
    c = imap_server.imap()
    assert c.login("bob@test.example", PASSWORD)[0] == "OK"
    first.send("o LOGOUT\r\n")
    first.rest()
    time.sleep(0.5)   # the server frees the slot as the connection ends, just after its close
    third = _logged_in_raw(imap_server)
    for conn in (second, third, r, first):
        conn.close()


@needs_mailbox
def test_shutdown_says_bye(imap_server):
    r = _logged_in_raw(imap_server)
    r.send("i IDLE\r\n")
    assert r.line() == b"+ idling\r\n"
    imap_server.terminate()
    assert b"* BYE Server shutting down.\r\n" in r.rest()
    r.close()
