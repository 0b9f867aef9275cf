"""Submission security: AUTH only inside TLS, no mail without a login, no relay without
one, no sending as someone else, throttled and locked-out guessing with the same answers
for every account, and the log lines fail2ban reads (RFC 4954, RFC 6409, RFC 8314)."""

import base64
import re
import smtplib
import time

import pytest

from conftest import CLIENT_HELO, PASSWORD, SMTPClient, assert_nothing_stored
from test_submission import (ALICE, BOB, REMOTE, message, plain, submission_server, submit_465,  # noqa: F401
                             submit_587)

FAILED = (535, b"5.7.8 Authentication credentials invalid")
TEMPORARY = (454, b"4.7.0 Temporary authentication failure")


def _auth_plain(server, datadir, user, password, source=None):
    with submit_465(server, datadir, source=source) as client:
        return client.docmd("AUTH", "PLAIN " + plain(user, password))


def test_auth_not_offered_before_starttls_on_587(submission_server, datadir):
    c = SMTPClient(submission_server.submission_port)
    r = c.ehlo()
    assert not any(line.startswith("AUTH") for line in r.lines), r.lines
    c.expect("AUTH PLAIN " + plain(), 538, "5.7.11")
    c.expect("AUTH LOGIN", 538, "5.7.11")
    c.expect("MAIL FROM:<alice@test.example>", 530, "5.7.0")
    c.close()
    with submit_587(submission_server, datadir) as client:
        assert client.esmtp_features["auth"].split() == ["SCRAM-SHA-256", "PLAIN", "LOGIN"]


def test_port_25_offers_no_auth_by_default(submission_server):
    c = SMTPClient(submission_server.port)
    r = c.ehlo()
    assert not any(line.startswith("AUTH") for line in r.lines), r.lines
    c.expect("AUTH PLAIN " + plain(), 502, "5.5.1")
    c.close()


@pytest.mark.parametrize("port", ["587", "465"])
def test_mail_before_auth_is_530(submission_server, datadir, port):
    connect = submit_587 if port == "587" else submit_465
    with connect(submission_server, datadir) as client:
        code, text = client.docmd("MAIL", f"FROM:<{ALICE}>")
        assert (code, text) == (530, b"5.7.0 Authentication required")


def test_unauthenticated_relay_is_denied_on_every_listener(submission_server, datadir):
    c = SMTPClient(submission_server.port)
    c.ehlo()
    c.expect(f"MAIL FROM:<{ALICE}>", 250)
    c.expect(f"RCPT TO:<{REMOTE}>", 554, "5.7.1")
    c.close()
    # 587 and 465 refuse even the transaction before a login
    for connect in (submit_587, submit_465):
        with connect(submission_server, datadir) as client:
            assert client.docmd("MAIL", f"FROM:<{ALICE}>")[0] == 530
            assert client.docmd("RCPT", f"TO:<{REMOTE}>")[0] == 503


@pytest.mark.parametrize("sender", [BOB, "alice@other.example", "alice@test.example.evil.example"])
def test_mail_from_of_someone_else_is_refused(submission_server, datadir, sender):
    with submit_587(submission_server, datadir) as client:
        client.login(ALICE, PASSWORD)
        code, text = client.docmd("MAIL", f"FROM:<{sender}>")
        assert code == 550 and text.startswith(b"5.7.1 "), (code, text)
        assert b"alice" not in text.lower()       # names the rule, not the account's addresses
        client.rset()
        assert client.docmd("MAIL", f"FROM:<{ALICE}>")[0] == 250


@pytest.mark.parametrize("header_from", [
    BOB,
    "Alice <alice@test.example>, Bob <bob@test.example>",
    '"alice@test.example" <bob@test.example>',
    "Friends: bob@test.example;",
    "Alice",                                      # no address: cannot be checked
])
def test_header_from_of_someone_else_is_refused(submission_server, datadir, header_from):
    """The envelope is alice's own; the header From is not: 550 at the end of DATA, and
    nothing is stored or queued."""
    msg = (f"From: {header_from}\r\nTo: {BOB}\r\nSubject: spoof\r\n\r\nbody\r\n").encode()
    with submit_465(submission_server, datadir) as client:
        client.login(ALICE, PASSWORD)
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail(ALICE, [BOB, REMOTE], msg)
        assert refused.value.smtp_code == 550 and refused.value.smtp_error.startswith(b"5.7.1 ")
    assert_nothing_stored(datadir)
    assert datadir.queue_list() == []
    assert list((datadir.path / "queue" / "messages").glob("*")) == []


@pytest.mark.auth_config(failure_delay_ms=150, max_failure_delay_ms=150, account_failure_delay_ms=0,
                         lockout_failures=100, lockout_failures_per_account=100)
def test_wrong_passwords_same_replies_and_delay_for_unknown_and_known_users(submission_server, datadir):
    cases = [(ALICE, "wrong password"), ("nobody@test.example", PASSWORD), ("alice@other.example", PASSWORD),
             ("info@test.example", PASSWORD)]
    for user, password in cases:
        started = time.monotonic()
        assert _auth_plain(submission_server, datadir, user, password) == FAILED, user
        assert time.monotonic() - started >= 0.14, f"{user}: answered before the failure delay"
    with submit_587(submission_server, datadir) as client:
        assert client.docmd("AUTH", "LOGIN")[0] == 334
        assert client.docmd(base64.b64encode(b"someone@test.example").decode())[0] == 334
        assert client.docmd("d3Jvbmc=") == FAILED        # "wrong"


@pytest.mark.auth_config(failure_delay_ms=0, account_failure_delay_ms=0, lockout_failures=10,
                         lockout_failures_per_account=3, lockout_seconds=300)
def test_locked_out_address_cannot_log_in_while_another_can(submission_server, datadir):
    replies = [_auth_plain(submission_server, datadir, ALICE, "guess", source="127.0.0.2") for _ in range(4)]
    assert replies == [FAILED, FAILED, FAILED, TEMPORARY], replies
    # the right password from the locked-out address: refused without a check
    assert _auth_plain(submission_server, datadir, ALICE, PASSWORD, source="127.0.0.2") == TEMPORARY
    # the owner, from elsewhere, logs in; the locked-out address may still log in as bob
    assert _auth_plain(submission_server, datadir, ALICE, PASSWORD, source="127.0.0.1")[0] == 235
    assert _auth_plain(submission_server, datadir, BOB, PASSWORD, source="127.0.0.2")[0] == 235
    submission_server.wait_for_line(r"login refused: locked out .*sasl_method=PLAIN "
                                    rf"sasl_username={re.escape(ALICE)}", 10)


def test_log_lines_for_fail2ban_and_no_secrets(submission_server, datadir):
    assert _auth_plain(submission_server, datadir, ALICE, "s3cret-guess") == FAILED
    assert _auth_plain(submission_server, datadir, ALICE, PASSWORD)[0] == 235
    failed = submission_server.wait_for_line(r".*authentication failed.*", 10).group(0)
    login = submission_server.wait_for_line(r".*\blogin\b.*sasl_method.*", 10).group(0)
    print("authentication failed line:", failed)
    print("login line:", login)
    for line in (failed, login):
        assert "sasl_method=PLAIN" in line and f"sasl_username={ALICE}" in line, line
        assert "client=[127.0.0.1]" in line, line
    log = submission_server.log()
    assert "s3cret-guess" not in log and PASSWORD not in log
    assert plain(ALICE, "s3cret-guess") not in log and plain() not in log


def test_auth_cancel_and_bad_responses(submission_server, datadir):
    with submit_465(submission_server, datadir) as client:
        assert client.docmd("AUTH", "LOGIN")[0] == 334
        assert client.docmd("*") == (501, b"5.0.0 Authentication cancelled")
        assert client.docmd("AUTH", "PLAIN")[0] == 334
        assert client.docmd("not-base64!") == (501, b"5.5.2 Cannot decode the response as base64")
        assert client.docmd("AUTH", "CRAM-MD5")[0] == 504
        assert client.docmd("AUTH", "PLAIN " + plain())[0] == 235
        assert client.docmd("AUTH", "PLAIN " + plain())[0] == 503


def test_long_initial_response_is_read_whole(submission_server, datadir):
    """RFC 4954 §4: an AUTH line may be far longer than 512 octets; it is answered once."""
    with submit_465(submission_server, datadir) as client:
        code, _ = client.docmd("AUTH", "PLAIN " + "A" * 8000)    # decodes to NULs only: malformed
        assert code == 501
        assert client.docmd("NOOP")[0] == 250
        assert client.docmd("AUTH", "PLAIN " + "A" * 13000)[0] == 500
        assert client.docmd("NOOP")[0] == 250


def test_per_user_limits_are_450(datadir, start_server):
    """A stolen password cannot send a flood: past `[submission]` limits, 450 4.7.1; another
    account is not affected."""
    datadir.set_table("submission", max_messages_per_hour=2, max_recipients_per_message=2)
    server = start_server()
    with submit_465(server, datadir) as client:
        client.login(ALICE, PASSWORD)
        assert client.docmd("MAIL", f"FROM:<{ALICE}>")[0] == 250
        assert client.docmd("RCPT", f"TO:<{BOB}>")[0] == 250
        assert client.docmd("RCPT", "TO:<carol@test.example>")[0] == 250
        code, text = client.docmd("RCPT", "TO:<dave@test.example>")
        assert code == 450 and text.startswith(b"4.7.1 "), (code, text)
        client.rset()
        assert client.docmd("MAIL", f"FROM:<{ALICE}>")[0] == 250
        client.rset()
        code, text = client.docmd("MAIL", f"FROM:<{ALICE}>")
        assert code == 450 and text.startswith(b"4.7.1 "), (code, text)
    with submit_465(server, datadir) as client:
        client.login(BOB, PASSWORD)
        assert client.docmd("MAIL", f"FROM:<{BOB}>")[0] == 250


def test_hourly_recipient_limit_counts_accepted_recipients_only(datadir, start_server):
    """`max_recipients_per_hour` counts recipients that were accepted: an unknown local user
    (550) uses up nothing; past the limit, 450 4.7.1."""
    datadir.set_table("submission", max_recipients_per_hour=3)
    server = start_server()
    with submit_465(server, datadir) as client:
        client.login(ALICE, PASSWORD)
        assert client.docmd("MAIL", f"FROM:<{ALICE}>")[0] == 250
        assert client.docmd("RCPT", "TO:<nobody@test.example>")[0] == 550
        assert client.docmd("RCPT", f"TO:<{BOB}>")[0] == 250
        assert client.docmd("RCPT", "TO:<one@example.net>")[0] == 250
        assert client.docmd("RCPT", "TO:<two@example.net>")[0] == 250
        code, text = client.docmd("RCPT", "TO:<three@example.net>")
        assert code == 450 and text.startswith(b"4.7.1 "), (code, text)


def test_port_25_with_auth_on_offers_but_does_not_require_it(datadir, start_server):
    """`[smtp] auth = true`: the MX offers AUTH inside TLS; mail from other servers still needs
    no login, and without one relaying stays refused."""
    datadir.set_smtp(auth=True)
    datadir.set_table("submission", allow_plaintext="never")   # loopback would be allowed by default
    server = start_server()
    with smtplib.SMTP("127.0.0.1", server.port, timeout=30, local_hostname=CLIENT_HELO) as client:
        client.ehlo(CLIENT_HELO)
        assert not client.has_extn("auth")     # not before STARTTLS
        client.starttls(context=__import__("ssl").create_default_context(cafile=str(datadir.path / "tls" / "ca.pem")))
        client.ehlo(CLIENT_HELO)
        assert client.has_extn("auth")
        assert client.docmd("MAIL", "FROM:<x@example.net>")[0] == 250
        assert client.docmd("RCPT", f"TO:<{REMOTE}>")[0] == 554
        client.rset()
        client.login(ALICE, PASSWORD)
        assert client.docmd("MAIL", f"FROM:<{ALICE}>")[0] == 250
        assert client.docmd("RCPT", f"TO:<{REMOTE}>")[0] == 250


def test_plaintext_auth_on_loopback_follows_allow_plaintext(datadir, start_server):
    """Port 25 with `[smtp] auth = true` from loopback: AUTH before TLS is allowed by the
    default `allow_plaintext = "loopback"` (as POP3's), and the Received header says ESMTPA."""
    datadir.set_smtp(auth=True)
    datadir.suspend_delivery()
    server = start_server()
    with smtplib.SMTP("127.0.0.1", server.port, timeout=30, local_hostname=CLIENT_HELO) as client:
        assert client.has_extn("auth") or client.ehlo(CLIENT_HELO) and client.has_extn("auth")
        client.login(ALICE, PASSWORD)
        client.sendmail(ALICE, [REMOTE], message("plaintext loopback", to=REMOTE))
    [entry] = datadir.queue_list()
    assert b" with ESMTPA id " in datadir.queued_file(entry).read_bytes()
