"""Logs cannot be forged: whatever a client puts in a POP3 user name, an EHLO name or an
envelope address, every stderr line parses (logfmt) to exactly the fields the server logged,
the logged value is what the client sent, and no raw control byte reaches the log.

The parser below is written from the format's description (README, "Logs"), not from the
server's code."""

import base64
import re

import pytest

from conftest import PASSWORD, split_stored

FORGED = 'a" user=admin result=ok\x1b[2J'
BARE = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:@/+<>[],*%!#$&'()?^{|}~")
KEY = re.compile(rb"[A-Za-z0-9_.-]+")
HEX = b"0123456789ABCDEF"


class LogLine:
    """One parsed line: timestamp, level, label, message (bytes), fields [(key, bytes)]."""

    def __init__(self, text):
        line = text.encode("utf-8")
        if any(b < 0x20 or b == 0x7F for b in line):
            raise ValueError(f"raw control byte in {line!r}")
        self.timestamp, self.level, rest = line.split(b" ", 2)
        self.label, rest = rest.split(b":", 1)
        if rest.startswith(b" "):
            rest = rest[1:]
        # The message holds no "=": the first one belongs to the first key.
        equals = rest.find(b"=")
        end = len(rest) if equals < 0 else max(rest.rfind(b" ", 0, equals), 0)
        self.message = _unescape(rest[:end], quotable=b"\\")
        if b'"' in rest[:end]:
            raise ValueError(f"quote in the message of {line!r}")
        rest = rest[end:]
        self.fields = []
        while rest:
            if rest.startswith(b" "):
                rest = rest[1:]
            elif self.fields:
                raise ValueError(f"fields not separated by a space in {line!r}")
            equals = rest.find(b"=")
            key = rest[:equals]
            if equals < 0 or not KEY.fullmatch(key):
                raise ValueError(f"bad key {key!r} in {line!r}")
            value, rest = _value(rest[equals + 1:], line)
            self.fields.append((key.decode(), value))

    def get(self, key):
        values = [v for k, v in self.fields if k == key]
        assert len(values) == 1, f"{key}: {self.fields}"
        return values[0]

    @property
    def keys(self):
        return [k for k, _ in self.fields]


def _value(rest, line):
    """A bare value up to the next space, or a quoted one with \\" \\\\ \\xNN."""
    if not rest.startswith(b'"'):
        end = rest.find(b" ")
        value, rest = (rest, b"") if end < 0 else (rest[:end], rest[end:])
        if not value or any(b not in BARE for b in value):
            raise ValueError(f"bad bare value {value!r} in {line!r}")
        return value, rest
    i = 1
    while i < len(rest):
        if rest[i:i + 1] == b"\\":
            i += 2
        elif rest[i:i + 1] == b'"':
            after = rest[i + 1:]
            if after and not after.startswith(b" "):
                raise ValueError(f"text after a closing quote in {line!r}")
            return _unescape(rest[1:i], quotable=b'"\\'), after
        else:
            i += 1
    raise ValueError(f"unterminated value in {line!r}")


def _unescape(text, quotable):
    out = bytearray()
    i = 0
    while i < len(text):
        b = text[i]
        if b != 0x5C:
            out.append(b)
            i += 1
        elif i + 1 < len(text) and text[i + 1] in quotable:
            out.append(text[i + 1])
            i += 2
        elif text[i + 1:i + 2] == b"x" and len(text) >= i + 4 and all(c in HEX for c in text[i + 2:i + 4]):
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        else:
            raise ValueError(f"bad escape in {text!r}")
    return bytes(out)


def stderr_lines(server):
    with server.cond:
        return [line for name, line in server.lines if name == "stderr"]


def assert_log_clean(server):
    """Every stderr line parses; none gained a field the client wrote; nothing was replaced."""
    for text in stderr_lines(server):
        assert "\ufffd" not in text, f"malformed UTF-8 or a replacement in the log: {text!r}"
        line = LogLine(text)
        assert ("user", b"admin") not in line.fields, text
        assert ("result", b"ok") not in line.fields, text
        assert len(set(line.keys)) == len(line.keys), text


def logged(server, message, **where):
    """The parsed line with MESSAGE whose fields include WHERE (values as bytes)."""
    server.wait_for_line(re.escape(message), 30)
    found = []
    for text in stderr_lines(server):
        line = LogLine(text)
        if line.message == message.encode() and all(dict(line.fields).get(k) == v for k, v in where.items()):
            found.append(line)
    assert found, f"no line {message!r} with {where}:\n{server.log()}"
    return found[-1]


# --------------------------------------------------------------------------
# POP3


def test_pop3_user_name_with_controls_is_one_escaped_field(pop3_server):
    name = 'a"\tuser=admin\tresult=ok\x1b[2J\x7f'    # USER splits at spaces only
    c = pop3_server.pop3()
    c.ok(f"USER {name}")
    c.err("PASS wrong password")
    line = logged(pop3_server, "authentication failed")
    assert line.keys == ["client", "sasl_method", "sasl_username"]
    assert line.get("sasl_username") == name.encode()
    assert b"\x1b" not in b"".join(l.encode() for l in stderr_lines(pop3_server))
    assert_log_clean(pop3_server)


def test_pop3_auth_plain_name_cannot_add_fields_or_lines(pop3_server):
    name = FORGED + "\nT notice pop3: login user=admin\u0085\u2028\u202e"
    c = pop3_server.pop3()
    r = c.cmd("AUTH PLAIN " + base64.b64encode(f"\0{name}\0{PASSWORD}".encode()).decode())
    assert r.startswith("-ERR"), r
    line = logged(pop3_server, "authentication failed")
    assert line.keys == ["client", "sasl_method", "sasl_username"]
    assert line.get("sasl_username") == name.encode()
    raw = "\n".join(stderr_lines(pop3_server))
    for forbidden in ("\x1b", "\u0085", "\u2028", "\u202e"):
        assert forbidden not in raw
    assert_log_clean(pop3_server)


def test_pop3_user_name_in_malformed_utf8_or_with_a_cr_is_refused(pop3_server):
    c = pop3_server.pop3()
    for line in (b"USER a\xffb@test.example", b"USER a\xc3(@test.example", b"USER a\rb@test.example"):
        r = c.cmd(line)
        assert r.startswith("-ERR"), (line, r)
    c.err("PASS wrong password")    # no user was accepted: nothing to check, nothing logged
    assert_log_clean(pop3_server)


# --------------------------------------------------------------------------
# SMTP


def test_ehlo_name_is_logged_as_sent(server):
    helo = 'a"=x\\"user=admin\u0085result=ok\u2028'     # EHLO names end at the first space
    with server.connect() as c:
        c.expect(f"EHLO {helo}", 250)
        c.expect("MAIL FROM:<s@example.net>", 250)
        c.expect("RCPT TO:<nobody@test.example>", 550)
        c.expect("RCPT TO:<alice@test.example>", 250)
        assert c.data(b"Subject: t\r\n\r\nbody\r\n").code == 250
    rejected = logged(server, "recipient rejected")
    assert rejected.get("helo") == helo.encode()
    assert rejected.get("to") == b"<nobody@test.example>"
    accepted = logged(server, "accepted")
    assert accepted.get("helo") == helo.encode()
    assert sorted(accepted.keys) == ["client", "from", "helo", "id", "proto", "result", "size", "to"]
    assert_log_clean(server)


def test_quoted_local_parts_cannot_add_fields(server):
    sender = '"a\\" user=admin result=ok"@test.example'     # RFC 5321 quoted-pairSMTP
    with server.connect() as c:
        c.ehlo()
        c.expect(f"MAIL FROM:<{sender}>", 250)
        c.expect(f"RCPT TO:<{sender}>", 550)
        c.expect("RCPT TO:<alice@test.example>", 250)
        assert c.data(b"Subject: t\r\n\r\nbody\r\n").code == 250
    rejected = logged(server, "recipient rejected")
    assert rejected.get("from") == f"<{sender}>".encode()
    assert rejected.get("to") == f"<{sender}>".encode()
    assert sorted(rejected.keys) == ["client", "from", "helo", "to", "verdict"]
    accepted = logged(server, "accepted")
    assert accepted.get("from") == f"<{sender}>".encode()
    assert_log_clean(server)


def test_smtputf8_addresses_with_separators_are_escaped(server):
    sender = "x\u2028user=admin\u0085\u009b2J@example.net"     # UTF-8 atext (RFC 6531 §3.3)
    with server.connect() as c:
        c.ehlo()
        c.expect(f"MAIL FROM:<{sender}> SMTPUTF8", 250)
        c.expect("RCPT TO:<ghost\u202e@test.example>", 550)
        c.expect("RCPT TO:<alice@test.example>", 250)
        assert c.data(b"Subject: t\r\n\r\nbody\r\n").code == 250
    rejected = logged(server, "recipient rejected")
    assert rejected.get("from") == f"<{sender}>".encode()
    assert rejected.get("to") == "<ghost\u202e@test.example>".encode()
    assert logged(server, "accepted").get("from") == f"<{sender}>".encode()
    raw = "\n".join(stderr_lines(server))
    for forbidden in ("\u2028", "\u0085", "\u009b", "\u202e"):
        assert forbidden not in raw
    assert_log_clean(server)


def test_malformed_utf8_and_bare_cr_are_refused_not_replaced(server):
    with server.connect() as c:
        for line in (b"EHLO a\xffb", b"HELO a\xc3", b"EHLO a\rb"):
            assert c.cmd(line).code // 100 == 5, line
        c.ehlo()
        for line in (b"MAIL FROM:<a\xff@example.net> SMTPUTF8", b'MAIL FROM:<"a\xfe"@example.net> SMTPUTF8',
                     b"MAIL FROM:<a\r@example.net>"):
            assert c.cmd(line).code // 100 == 5, line
        c.expect("MAIL FROM:<s@example.net> SMTPUTF8", 250)
        assert c.cmd(b"RCPT TO:<\xe2\x80@test.example>").code // 100 == 5
    assert_log_clean(server)


def test_received_header_keeps_the_8bit_ehlo_name_out_without_smtputf8(server, datadir):
    with server.connect() as c:
        c.expect("EHLO bücher.example", 250)
        c.expect("MAIL FROM:<s@example.net>", 250)
        c.expect("RCPT TO:<alice@test.example>", 250)
        assert c.data(b"Subject: t\r\n\r\nbody\r\n").code == 250
    [stored] = datadir.wait_new("alice@test.example")
    trace, _ = split_stored(stored.read_bytes())
    assert b"Received: from xn--bcher-kva.example ([127.0.0.1])" in trace, trace
    assert all(b < 0x80 for b in trace), trace
    # The log keeps the name as the client sent it.
    assert logged(server, "accepted").get("helo") == "bücher.example".encode()
