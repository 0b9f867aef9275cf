"""Message authentication end to end, between real servers and a fake DNS (dnslib): site A
signs what alice submits (DKIM), site B checks what arrives on port 25 (SPF, DKIM, DMARC) and
writes Authentication-Results that the independent `authres` parser reads and `dkimpy`
agrees with; DMARC p=reject is refused at the end of DATA, p=quarantine is marked, a
temporary DNS failure is 451; SRS for forwarding and the bounce back to the original sender."""

import base64
import email
import email.policy
import re
import smtplib
import subprocess

import authres
import dkim
import pytest
from dnslib import TXT

from conftest import CLIENT_HELO, run_cli
from outbound_peers import (ALICE, A_DOMAIN, A_HOST, WAIT, fake_dns, make_message, peer_loop, sender_site, set_config,  # noqa: F401
                            sites, submit, wait_delivery, wait_queue_empty, wait_until)

B_HOST, B_DOMAIN = "mx.b.test", "b.test"
BOB_B = "bob@b.test"


# --------------------------------------------------------------------------
# helpers


def txt(fake_dns, name, text):
    """NAME TXT "TEXT" as character-strings of at most 255 octets (RFC 1035 §3.3.14)."""
    data = text.encode()
    fake_dns.add(name, "TXT", TXT([data[i:i + 255] for i in range(0, len(data), 255)]))


def dkim_keys(datadir, domain):
    """{selector: TXT record} for the keys `init` / `dkim keygen` wrote for DOMAIN, made from
    the private key files with openssl (not with Tsubame's own record printer)."""
    records = {}
    for pem in sorted((datadir.path / "dkim" / domain).glob("*.pem")):
        der = subprocess.run(["openssl", "pkey", "-in", str(pem), "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        if len(der) == 44:   # Ed25519's SPKI: a 12-octet prefix, then the raw key (RFC 8463 §4.2)
            records[pem.stem] = "v=DKIM1; k=ed25519; p=" + base64.b64encode(der[12:]).decode()
        else:
            records[pem.stem] = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
    assert records, f"no DKIM key for {domain} in {datadir.path / 'dkim'}"
    return records


def publish_a(fake_dns, a, dmarc="v=DMARC1; p=reject"):
    """a.test: SPF for 127.0.0.1, A's DKIM keys, a DMARC policy."""
    txt(fake_dns, A_DOMAIN, "v=spf1 ip4:127.0.0.1 -all")
    for selector, record in dkim_keys(a, A_DOMAIN).items():
        txt(fake_dns, f"{selector}._domainkey.{A_DOMAIN}", record)
    if dmarc:
        txt(fake_dns, f"_dmarc.{A_DOMAIN}", dmarc)


def checking_site(sites, fake_dns, name="b", hostname=B_HOST, domain=B_DOMAIN, users=("bob",), **checks):
    """A site whose port 25 checks mail ([checks] enabled) through the fake DNS, loopback
    included (every test client and peer connects from 127.0.0.1)."""
    d = sites.make(name, hostname, domain, users=users)
    set_config(d, "dns", nameservers=[fake_dns.nameserver])
    set_config(d, "checks", enabled=True, ignore_loopback=False, **checks)
    return d


def ar_fields(content: bytes, authserv_id):
    """The Authentication-Results fields of CONTENT that claim AUTHSERV_ID, parsed by authres."""
    msg = email.message_from_bytes(content, policy=email.policy.compat32)
    fields = [v for v in msg.get_all("Authentication-Results", []) if v.strip().lower().startswith(authserv_id)]
    return [authres.AuthenticationResultsHeader.parse("Authentication-Results: " + re.sub(r"\r?\n", "", f))
            for f in fields]


def result_of(header, method):
    return [r for r in header.results if r.method == method]


def prop(result, ptype, name):
    """The value of RESULT's PTYPE.NAME property (header.d, smtp.mailfrom...), or None."""
    return next((p.value for p in result.properties if p.type == ptype and p.name == name), None)


def send_to(server, sender, rcpt, message, helo=CLIENT_HELO):
    """One transaction on SERVER's port 25; returns (code, text) of the end of DATA."""
    with smtplib.SMTP("127.0.0.1", server.port, timeout=30, local_hostname=helo) as c:
        c.ehlo(helo)
        c.mail(sender)
        code, text = c.rcpt(rcpt)
        assert code == 250, (code, text)
        code, text = c.data(message)
        return code, text.decode()


def foreign_message(sender, to=BOB_B, subject="hello", extra=""):
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n{extra}"
            "Date: Mon, 30 Nov 2026 12:00:00 +0000\r\nMessage-ID: <m1@sender.test>\r\n\r\nbody\r\n").encode()


# --------------------------------------------------------------------------
# A signs, B verifies


def test_submitted_message_arrives_with_dkim_spf_and_dmarc_pass(sites, fake_dns):
    b = checking_site(sites, fake_dns)
    server_b = sites.start(b)
    fake_dns.domain_to(B_DOMAIN, B_HOST)
    a = sender_site(sites, fake_dns, smtp_port=server_b.port)
    set_config(a, "dkim", sign=True)
    # A second, Ed25519 key: both sign (RFC 8463 §1: sign with both while verifiers catch up).
    run_cli("dkim", "keygen", A_DOMAIN, "--selector", "ed", "--key", "ed25519", "--data", a.path)
    publish_a(fake_dns, a)
    server_a = sites.start(a)
    msg = make_message("signed", to=BOB_B)
    submit(server_a, a, BOB_B, msg)
    [stored] = b.wait_new(BOB_B, 1, timeout=WAIT)
    content = stored.read_bytes()
    [header] = ar_fields(content, B_HOST)
    assert [r.result for r in result_of(header, "dkim")] == ["pass", "pass"], str(header)
    assert {prop(r, "header", "d") for r in result_of(header, "dkim")} == {A_DOMAIN}
    assert re.search(rb"(?m)^DKIM-Signature:.*a=ed25519-sha256", content.replace(b"\n\t", b" ")), content[:1500]
    spf = [r for r in result_of(header, "spf") if prop(r, "smtp", "mailfrom")]
    assert [r.result for r in spf] == ["pass"], str(header)
    assert [r.result for r in result_of(header, "dmarc")] == ["pass"], str(header)
    assert prop(result_of(header, "dmarc")[0], "header", "from") == A_DOMAIN
    # dkimpy agrees: the signature A made verifies over what B stored.
    records = dkim_keys(a, A_DOMAIN)
    dnsfunc = lambda name, timeout=5: next(  # noqa: E731
        (r.encode() for s, r in records.items() if name.decode().startswith(f"{s}._domainkey.")), b"")
    assert dkim.verify(content.replace(b"\n", b"\r\n"), dnsfunc=dnsfunc)
    # The signature is not in A's copy of the file: only in the queue's header prefix.
    wait_queue_empty(a)


def test_dsn_to_a_remote_sender_is_signed(sites, fake_dns):
    """A bounce A sends (From MAILER-DAEMON@mx.a.test) is signed with a.test's key, which
    aligns with mx.a.test in relaxed DMARC: B sees dkim=pass and dmarc=pass."""
    b = checking_site(sites, fake_dns, users=("bob", "carol"))
    server_b = sites.start(b)
    fake_dns.domain_to(B_DOMAIN, B_HOST)
    a = sender_site(sites, fake_dns, smtp_port=server_b.port)
    set_config(a, "dkim", sign=True)
    publish_a(fake_dns, a, dmarc="v=DMARC1; p=reject")
    txt(fake_dns, A_HOST, "v=spf1 ip4:127.0.0.1 -all")
    server_a = sites.start(a)
    # carol@b.test sends to a user A does not have, through A's port 25: A refuses at RCPT,
    # so instead send to an alias pointing nowhere reachable... simpler: a 5xx from B.
    a.add_alias(f"fwd@{A_DOMAIN}", "nobody@b.test")
    code, _ = send_to(server_a, "carol@b.test", f"fwd@{A_DOMAIN}", foreign_message("carol@b.test", to=f"fwd@{A_DOMAIN}"))
    assert code == 250
    wait_delivery(server_a, "bounced", "nobody@b.test")
    [dsn] = b.wait_new("carol@b.test", 1, timeout=WAIT)
    content = dsn.read_bytes()
    assert b"MAILER-DAEMON@" + A_HOST.encode() in content
    [header] = ar_fields(content, B_HOST)
    assert [r.result for r in result_of(header, "dkim")] == ["pass"], str(header)
    assert [r.result for r in result_of(header, "dmarc")] == ["pass"], str(header)


# --------------------------------------------------------------------------
# B's policy


def test_dmarc_reject_is_refused_at_the_end_of_data(sites, fake_dns):
    b = checking_site(sites, fake_dns)
    server_b = sites.start(b)
    txt(fake_dns, "forged.test", "v=spf1 -all")
    txt(fake_dns, "_dmarc.forged.test", "v=DMARC1; p=reject")
    code, text = send_to(server_b, "ceo@forged.test", BOB_B, foreign_message("ceo@forged.test"))
    assert code == 550 and text.startswith("5.7.1"), (code, text)
    assert b.new_files(BOB_B) == []
    # The session goes on, and an honest message is stored.
    txt(fake_dns, "honest.test", "v=spf1 ip4:127.0.0.1 -all")
    code, text = send_to(server_b, "someone@honest.test", BOB_B, foreign_message("someone@honest.test"))
    assert code == 250, (code, text)
    [stored] = b.wait_new(BOB_B, 1)
    [header] = ar_fields(stored.read_bytes(), B_HOST)
    assert [r.result for r in result_of(header, "spf") if prop(r, "smtp", "mailfrom")] == ["pass"], str(header)
    assert [r.result for r in result_of(header, "dmarc")] == ["none"], str(header)
    assert "refused by authentication checks" in server_b.log()


def test_dmarc_reject_can_be_turned_off(sites, fake_dns):
    b = checking_site(sites, fake_dns, dmarc_reject=False)
    server_b = sites.start(b)
    txt(fake_dns, "forged.test", "v=spf1 -all")
    txt(fake_dns, "_dmarc.forged.test", "v=DMARC1; p=reject")
    code, _ = send_to(server_b, "ceo@forged.test", BOB_B, foreign_message("ceo@forged.test"))
    assert code == 250
    [stored] = b.wait_new(BOB_B, 1)
    [header] = ar_fields(stored.read_bytes(), B_HOST)
    assert [r.result for r in result_of(header, "dmarc")] == ["fail"], str(header)


def test_dmarc_quarantine_is_delivered_marked(sites, fake_dns):
    b = checking_site(sites, fake_dns)
    server_b = sites.start(b)
    txt(fake_dns, "q.test", "v=spf1 -all")
    txt(fake_dns, "_dmarc.q.test", "v=DMARC1; p=quarantine")
    code, _ = send_to(server_b, "x@q.test", BOB_B, foreign_message("x@q.test"))
    assert code == 250
    [stored] = b.wait_new(BOB_B, 1)
    content = stored.read_bytes()
    assert re.search(rb"(?m)^X-Tsubame-Quarantine: yes", content), content[:600]
    [header] = ar_fields(content, B_HOST)
    assert [r.result for r in result_of(header, "dmarc")] == ["fail"], str(header)


@pytest.mark.parametrize("spf_fail,expected", [("mark", 250), ("reject", 550)])
def test_spf_fail_without_dmarc_follows_spf_fail(sites, fake_dns, spf_fail, expected):
    b = checking_site(sites, fake_dns, spf_fail=spf_fail)
    server_b = sites.start(b)
    txt(fake_dns, "nodmarc.test", "v=spf1 ip4:192.0.2.1 -all")
    code, text = send_to(server_b, "x@nodmarc.test", BOB_B, foreign_message("x@nodmarc.test"))
    assert code == expected, (code, text)
    if expected == 250:
        content = b.wait_new(BOB_B, 1)[0].read_bytes()
        assert re.search(rb"(?m)^X-Tsubame-Quarantine: yes", content), content[:600]
        [header] = ar_fields(content, B_HOST)
        assert [r.result for r in result_of(header, "spf") if prop(r, "smtp", "mailfrom")] == ["fail"], str(header)
    else:
        assert text.startswith("5.7."), text
        assert b.new_files(BOB_B) == []


def test_temporary_dns_failure_is_451(sites, fake_dns):
    b = checking_site(sites, fake_dns)
    server_b = sites.start(b)
    txt(fake_dns, "flaky.test", "v=spf1 -all")
    fake_dns.servfail.add("_dmarc.flaky.test.")
    code, text = send_to(server_b, "x@flaky.test", BOB_B, foreign_message("x@flaky.test"))
    assert code == 451 and text.startswith("4.7."), (code, text)
    assert b.new_files(BOB_B) == []


def test_forged_authentication_results_are_removed(sites, fake_dns):
    """A sender's field claiming B's authserv-id goes; another server's stays (RFC 8601 §5)."""
    b = checking_site(sites, fake_dns)
    server_b = sites.start(b)
    txt(fake_dns, "honest.test", "v=spf1 ip4:127.0.0.1 -all")
    extra = (f"Authentication-Results: {B_HOST}; dkim=pass header.d=paypal.example\r\n"
             "Authentication-Results: other.example; spf=pass smtp.mailfrom=x@honest.test\r\n")
    code, _ = send_to(server_b, "x@honest.test", BOB_B, foreign_message("x@honest.test", extra=extra))
    assert code == 250
    content = b.wait_new(BOB_B, 1)[0].read_bytes()
    assert b"paypal.example" not in content, content[:800]
    assert b"Authentication-Results: other.example;" in content
    [header] = ar_fields(content, B_HOST)
    assert [r.result for r in result_of(header, "dkim")] == ["none"], str(header)


def test_submission_is_not_checked(sites, fake_dns):
    """Port 587 is for our users: no lookups, no Authentication-Results."""
    b = checking_site(sites, fake_dns, users=("bob", "carol"))
    server_b = sites.start(b)
    submit(server_b, b, BOB_B, make_message("internal", sender="carol@b.test", to=BOB_B), sender="carol@b.test")
    content = b.wait_new(BOB_B, 1)[0].read_bytes()
    assert b"Authentication-Results:" not in content
    assert not fake_dns.asked("_dmarc.b.test")


# --------------------------------------------------------------------------
# SRS


def test_forwarded_mail_gets_an_srs_sender_and_its_bounce_returns(sites, fake_dns):
    """orig@orig.test -> A's alias fwd@a.test -> bob@b.test (delivered, SPF passes for A's
    SRS address) and -> nobody@b.test (refused by B): A's bounce goes to the SRS address,
    which A decodes and sends back to orig@orig.test (hosted by B too)."""
    b = checking_site(sites, fake_dns, users=("bob",))
    b.add_domain("orig.test")
    b.add_user("orig@orig.test")
    server_b = sites.start(b)
    fake_dns.domain_to(B_DOMAIN, B_HOST)
    fake_dns.mx("orig.test", B_HOST)
    a = sender_site(sites, fake_dns, smtp_port=server_b.port)
    txt(fake_dns, A_DOMAIN, "v=spf1 ip4:127.0.0.1 -all")
    a.add_alias(f"fwd@{A_DOMAIN}", BOB_B, "nobody@b.test")
    server_a = sites.start(a)
    code, _ = send_to(server_a, "orig@orig.test", f"fwd@{A_DOMAIN}",
                      foreign_message("orig@orig.test", to=f"fwd@{A_DOMAIN}", subject="forward me"))
    assert code == 250
    [stored] = b.wait_new(BOB_B, 1, timeout=WAIT)
    content = stored.read_bytes()
    return_path = re.match(rb"Return-Path: <([^>]*)>", content).group(1).decode()
    assert re.fullmatch(r"SRS0=[^=]{4}=[A-Z2-7]{2}=orig\.test=orig@a\.test", return_path), return_path
    [header] = ar_fields(content, B_HOST)
    assert [r.result for r in result_of(header, "spf") if prop(r, "smtp", "mailfrom")] == ["pass"], str(header)
    # The bounce for nobody@b.test reaches the original sender.
    wait_delivery(server_a, "bounced", "nobody@b.test")
    [bounce] = b.wait_new("orig@orig.test", 1, timeout=WAIT)
    report = email.message_from_bytes(bounce.read_bytes(), policy=email.policy.default)
    assert report.get_content_type() == "multipart/report", report
    assert "nobody@b.test" in bounce.read_text(errors="replace")
    wait_queue_empty(a)


def test_forged_srs_address_is_refused(sites, fake_dns):
    a = sender_site(sites, fake_dns)
    server_a = sites.start(a)
    with smtplib.SMTP("127.0.0.1", server_a.port, timeout=30, local_hostname=CLIENT_HELO) as c:
        c.ehlo(CLIENT_HELO)
        c.mail("")
        code, text = c.rcpt(f"SRS0=abcd=AA=orig.test=orig@{A_DOMAIN}")
        assert code == 550, (code, text)
        c.rset()
        c.mail("")
        code, text = c.rcpt(f"SRS0=abcd=AA=orig.test=orig@{A_DOMAIN}".lower())
        assert code == 550, (code, text)


def test_loopback_clients_are_not_checked_by_default(sites, fake_dns):
    """ignore_loopback (default on): local programs injecting mail on port 25 are trusted, as
    OpenDMARC's IgnoreHosts 127.0.0.1 default; the quick start's swaks works offline."""
    b = sites.make("b", B_HOST, B_DOMAIN, users=("bob",))
    set_config(b, "dns", nameservers=[fake_dns.nameserver])
    set_config(b, "checks", enabled=True)
    server_b = sites.start(b)
    txt(fake_dns, "forged.test", "v=spf1 -all")
    txt(fake_dns, "_dmarc.forged.test", "v=DMARC1; p=reject")
    code, _ = send_to(server_b, "ceo@forged.test", BOB_B, foreign_message("ceo@forged.test"))
    assert code == 250
    content = b.wait_new(BOB_B, 1)[0].read_bytes()
    assert b"Authentication-Results:" not in content
    assert fake_dns.queries == []
