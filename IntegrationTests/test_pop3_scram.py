"""POP3 AUTH with SCRAM-SHA-256 (RFC 5802, RFC 7677) and LOGIN: a client from PyPI's scramp
(an implementation independent of Tsubame's) logs in over poplib, checks the server's
signature, and is refused with a wrong password exactly as an unknown user is; mpop logs in
through GNU SASL; poplib speaks AUTH LOGIN; every method logs the same lines."""

import base64
import poplib
import re
import time

import pytest
import scramp

from conftest import PASSWORD, deliver_and_map, sample_message
from test_log_injection import LogLine, stderr_lines
from test_pop3_clients import _maildir, _mpop, _mpop_files, _strip_mpop

ALICE = "alice@test.example"
FAILED = "-ERR [AUTH] Authentication failed"
LOCKED = "-ERR [SYS/TEMP] Too many failed logins, try again later"


def _b64(data):
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def _challenge(reply):
    """The decoded data of a `+ base64` continuation (RFC 5034 §4)."""
    text = reply.decode()
    assert text.startswith("+ ") or text == "+", f"want a continuation, got {text!r}"
    return base64.b64decode(text[2:]).decode()


def _poplib(server):
    return poplib.POP3("127.0.0.1", server.pop3_port, timeout=30)


def _scram(server, user, password, initial_response=False):
    """One SCRAM-SHA-256 login over poplib. Returns (pop, final reply, server-first): the
    final reply is what the server answered after the client-final, or after the empty
    acknowledgement of a server signature that scramp verified."""
    pop = _poplib(server)
    client = scramp.ScramClient(["SCRAM-SHA-256"], user, password)
    if initial_response:
        server_first = _challenge(pop._shortcmd("AUTH SCRAM-SHA-256 " + _b64(client.get_client_first())))
    else:
        assert _challenge(pop._shortcmd("AUTH SCRAM-SHA-256")) == ""
        server_first = _challenge(pop._shortcmd(_b64(client.get_client_first())))
    client.set_server_first(server_first)
    try:
        reply = pop._shortcmd(_b64(client.get_client_final()))
    except poplib.error_proto as refusal:
        return pop, refusal.args[0].decode(), server_first
    client.set_server_final(_challenge(reply))   # raises unless the signature is the server's
    return pop, pop._shortcmd("").decode(), server_first


def _log_lines(server, message):
    """The parsed log lines whose message is MESSAGE."""
    return [line for line in map(LogLine, stderr_lines(server)) if line.message == message.encode()]


@pytest.mark.parametrize("initial_response", [False, True])
def test_scramp_logs_in_and_verifies_the_server(pop3_server, datadir, initial_response):
    deliver_and_map(pop3_server, datadir, ALICE, [sample_message(1)])
    pop, reply, server_first = _scram(pop3_server, ALICE, PASSWORD, initial_response)
    assert reply.startswith("+OK"), reply
    assert re.fullmatch(r"r=[!-+\--~]+,s=[A-Za-z0-9+/=]+,i=\d+", server_first), server_first
    assert int(server_first.rsplit("i=", 1)[1]) >= 4096       # RFC 7677 §4
    assert pop.stat()[0] == 1
    pop.quit()


def test_wrong_password_and_unknown_user_get_the_same_answers(pop3_server):
    replies, shapes = [], []
    for user, password in ((ALICE, "wrong password"), ("nobody@test.example", PASSWORD),
                           ("nobody@other.example", "x")):
        pop, reply, server_first = _scram(pop3_server, user, password)
        replies.append(reply)
        # made-up keys for an unknown user: the same salt length and iteration count
        shapes.append(re.sub(r"r=[^,]+,s=([^,]+),i=(\d+)", lambda m: f"{len(m[1])},{m[2]}", server_first))
        pop.close()
    assert replies == [FAILED] * 3, replies
    assert len(set(shapes)) == 1, shapes
    # the right password still works afterwards (no lockout below the limits)
    pop, reply, _ = _scram(pop3_server, ALICE, PASSWORD)
    assert reply.startswith("+OK"), reply
    pop.quit()


def test_same_server_first_for_an_unknown_user_every_time(pop3_server):
    """The made-up salt is stable, so asking twice does not reveal that the user is unknown."""
    salts = set()
    for _ in range(2):
        pop, _, server_first = _scram(pop3_server, "nobody@test.example", PASSWORD)
        salts.add(server_first.split(",s=")[1])
        pop.close()
    assert len(salts) == 1, salts


@pytest.mark.auth_config(failure_delay_ms=0, lockout_failures=3, lockout_seconds=30)
def test_wrong_proofs_count_towards_the_lockout(pop3_server):
    for _ in range(3):
        pop, reply, _ = _scram(pop3_server, ALICE, "wrong password")
        assert reply == FAILED, reply
        pop.close()
    pop = _poplib(pop3_server)
    client = scramp.ScramClient(["SCRAM-SHA-256"], ALICE, PASSWORD)
    assert _challenge(pop._shortcmd("AUTH SCRAM-SHA-256")) == ""
    with pytest.raises(poplib.error_proto) as refusal:
        pop._shortcmd(_b64(client.get_client_first()))   # locked out before any salt is sent
    assert refusal.value.args[0].decode() == LOCKED
    pop.close()


def test_channel_binding_is_refused_and_cancel_works(pop3_server):
    pop = _poplib(pop3_server)
    with pytest.raises(poplib.error_proto) as refusal:
        pop._shortcmd("AUTH SCRAM-SHA-256 " + _b64("p=tls-unique,,n=" + ALICE + ",r=abcdef"))
    assert refusal.value.args[0].decode() == FAILED
    assert _challenge(pop._shortcmd("AUTH SCRAM-SHA-256")) == ""
    with pytest.raises(poplib.error_proto) as refusal:
        pop._shortcmd("*")
    assert refusal.value.args[0].decode() == "-ERR Authentication cancelled"
    pop.close()


def test_capa_and_auth_list_the_mechanisms(pop3_server):
    pop = _poplib(pop3_server)
    assert pop.capa()["SASL"] == ["SCRAM-SHA-256", "PLAIN", "LOGIN"]
    pop._putcmd("AUTH")
    assert pop._getlongresp()[1] == [b"SCRAM-SHA-256", b"PLAIN", b"LOGIN"]
    pop.quit()


@pytest.mark.parametrize("inline_name", [False, True])
def test_auth_login_with_poplib(pop3_server, datadir, inline_name):
    deliver_and_map(pop3_server, datadir, ALICE, [sample_message(1)])
    pop = _poplib(pop3_server)
    if inline_name:   # devices send the name with the command (mjl-/mox#387)
        assert _challenge(pop._shortcmd("AUTH LOGIN " + _b64(ALICE))) == "Password:"
    else:
        assert _challenge(pop._shortcmd("AUTH LOGIN")) == "Username:"
        assert _challenge(pop._shortcmd(_b64(ALICE))) == "Password:"
    assert pop._shortcmd(_b64(PASSWORD)).startswith(b"+OK")
    assert pop.stat()[0] == 1
    pop.quit()
    pop = _poplib(pop3_server)
    assert _challenge(pop._shortcmd("AUTH LOGIN " + _b64(ALICE))) == "Password:"
    with pytest.raises(poplib.error_proto) as refusal:
        pop._shortcmd(_b64("wrong password"))
    assert refusal.value.args[0].decode() == FAILED
    pop.close()


@pytest.mark.parametrize("auth", ["scram-sha-256", "login"])
def test_mpop(pop3_server, datadir, tmp_path, auth):
    paths = deliver_and_map(pop3_server, datadir, ALICE, [sample_message(1), sample_message(2)])
    stored = sorted(p.read_bytes() for p in paths)   # read now: RETR moves them to cur/
    target = _maildir(tmp_path / "fetched")
    rc, out = _mpop(pop3_server, tmp_path, target, auth=auth)
    assert rc == 0, out
    assert f"AUTH {auth.upper()}" in out, out
    got = sorted(_strip_mpop(b) for b in _mpop_files(target))
    assert got == stored, out


def test_log_lines_are_the_same_for_every_method(pop3_server):
    """`authentication failed` and `login` carry sasl_method and sasl_username (fail2ban
    reads them, for POP3 and SMTP alike), never a password or a proof."""
    pop, reply, _ = _scram(pop3_server, ALICE, "wrong password")
    assert reply == FAILED
    pop.close()
    pop, reply, _ = _scram(pop3_server, ALICE, PASSWORD)
    assert reply.startswith("+OK")
    pop.quit()
    pop = _poplib(pop3_server)
    pop.user(ALICE)
    with pytest.raises(poplib.error_proto):
        pop.pass_("wrong password")
    pop.close()
    pop3_server.wait_for_line(r"authentication failed .*sasl_method=USER", 30)
    failed = _log_lines(pop3_server, "authentication failed")
    logins = _log_lines(pop3_server, "login")
    print("\n".join(l for l in stderr_lines(pop3_server) if "pop3:" in l))
    assert [l.get("sasl_method") for l in failed] == [b"SCRAM-SHA-256", b"USER"], failed
    for line in failed + logins:
        assert line.keys == ["client", "sasl_method", "sasl_username"], line.fields
        assert line.get("sasl_username") == ALICE.encode() and line.get("client") == b"[127.0.0.1]"
    assert {l.level for l in failed} == {b"notice"}
    assert [l.get("sasl_method") for l in logins] == [b"SCRAM-SHA-256"]
    assert "wrong password" not in pop3_server.log() and PASSWORD not in pop3_server.log()
