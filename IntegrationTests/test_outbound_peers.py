"""Outbound delivery between real servers: Tsubame A -> (MX lookup in a fake DNS) -> Tsubame
B over STARTTLS verified against B's private CA; Tsubame -> a private Postfix (smtpd with
STARTTLS, virtual Maildir delivery) as the receiving MX; Postfix's smtp client -> Tsubame."""

import re
import smtplib
import time

import pytest

from outbound_peers import (ALICE, A_DOMAIN, WAIT, PrivatePostfix, fake_dns, make_message, peer_ca, peer_loop,  # noqa: F401
                            postfix_available, sender_site, set_config, sites, strip_trace, submit, wait_delivery,
                            wait_queue_empty, wait_until)

B_HOST, B_DOMAIN = "mx.b.test", "b.test"
BOB_B = "bob@b.test"


def lf(message: bytes) -> bytes:
    return message.replace(b"\r\n", b"\n")


def site_b(sites):
    b = sites.make("b", B_HOST, B_DOMAIN, users=("bob",))
    return b, sites.start(b)


@pytest.mark.parametrize("where", ["policy", "domain"])
def test_tsubame_to_tsubame_over_verified_starttls(sites, fake_dns, where):
    """B's certificate names mx.b.test (init --hostname); A verifies it with B's CA as ca_file,
    the policy set globally or only for b.test in [delivery.tls.domains]."""
    b, server_b = site_b(sites)
    fake_dns.domain_to(B_DOMAIN, B_HOST)
    ca = str(b.path / "tls" / "ca.pem")
    tls = {"policy": "verify", "ca_file": ca} if where == "policy" else {"policy": "may", "ca_file": ca}
    a = sender_site(sites, fake_dns, smtp_port=server_b.port, tls=tls)
    if where == "domain":
        set_config(a, "delivery.tls.domains", **{f'"{B_DOMAIN}"': "verify"})
    server_a = sites.start(a)
    msg = make_message("A to B", to=BOB_B)
    submit(server_a, a, BOB_B, msg)
    [stored] = b.wait_new(BOB_B, 1, timeout=WAIT)
    content = stored.read_bytes()
    assert strip_trace(content) == lf(msg), f"B stored something else:\n{content[:600]!r}"
    trace = content[:len(content) - len(strip_trace(content))].decode()
    # B's own trace: A connected to it over TLS, as mx.a.test, for bob
    assert trace.startswith(f"Return-Path: <{ALICE}>\nReceived: from mx.a.test ([127.0.0.1])"), trace
    assert "using TLSv1." in trace, trace
    assert f"by {B_HOST} (Tsubame) with ESMTPS" in trace, trace
    # and A's submission trace behind it
    assert "by mx.a.test (Tsubame) with ESMTPSA" in trace, trace
    sent = wait_delivery(server_a, "sent", BOB_B)[0]
    assert sent["relay"] == f"{B_HOST}[127.0.0.1]:{server_b.port}", sent
    assert re.fullmatch(r"TLSv1\.[23]", sent["tls"]), sent
    assert sent["dsn"].startswith("2.") and sent["reply"].startswith("250"), sent
    wait_queue_empty(a)
    assert b.queue_list() == []


def test_tsubame_verify_against_the_wrong_ca_defers(sites, fake_dns):
    """With verify and a CA that did not sign B's certificate (A's own), nothing is sent."""
    b, server_b = site_b(sites)
    fake_dns.domain_to(B_DOMAIN, B_HOST)
    a = sender_site(sites, fake_dns, smtp_port=server_b.port, tls={"policy": "verify"})
    set_config(a, "delivery.tls", ca_file=str(a.path / "tls" / "ca.pem"))
    server_a = sites.start(a)
    submit(server_a, a, BOB_B, make_message("wrong CA", to=BOB_B))
    line = wait_delivery(server_a, "deferred", BOB_B)[0]
    assert line["dsn"].startswith("4."), line
    time.sleep(1)
    assert b.new_files(BOB_B) == []
    assert a.queue_list()[0]["recipients"][0]["status"] == "pending"


# --------------------------------------------------------------------------
# Postfix


needs_postfix = pytest.mark.skipif(not postfix_available(), reason="needs root and Debian's postfix")


@pytest.fixture
def postfix_instances():
    started = []

    def make(*args, **kw):
        pf = PrivatePostfix(*args, **kw)
        started.append(pf)
        return pf.start()
    yield make
    for pf in started:
        pf.stop()


@needs_postfix
def test_tsubame_to_postfix_as_the_receiving_mx(sites, fake_dns, peer_ca, postfix_instances):
    pf = postfix_instances("pf.test", tls_chain=peer_ca["chain"],
                           main_cf={"smtpd_tls_received_header": "yes", "myhostname": "mx.pf.test"})
    fake_dns.domain_to("pf.test", "mx.pf.test")
    a = sender_site(sites, fake_dns, smtp_port=pf.port, tls={"policy": "verify", "ca_file": str(peer_ca["ca"])})
    server = sites.start(a)
    msg = make_message("Tsubame to Postfix", to=pf.user)
    submit(server, a, pf.user, msg)
    sent = wait_delivery(server, "sent", pf.user)[0]
    assert sent["relay"] == f"mx.pf.test[127.0.0.1]:{pf.port}" and sent["tls"].startswith("TLSv1."), sent
    [stored] = wait_until(pf.new_files, WAIT, f"Postfix to store the message\n{pf.log()}")
    content = stored.read_bytes()
    # virtual(8) puts Return-Path, X-Original-To and Delivered-To in front of smtpd's Received
    head, _, _ = content.partition(b"\n\n")
    assert head.startswith(f"Return-Path: <{ALICE}>\nX-Original-To: {pf.user}\nDelivered-To: {pf.user}\n"
                           "Received: from mx.a.test (localhost [127.0.0.1])\n\t(using TLSv1.".encode()), head
    assert b"by mx.pf.test (Postfix) with ESMTPS id" in head, head
    assert strip_trace(content) == lf(msg), f"Postfix stored something else:\n{content[:600]!r}"
    wait_queue_empty(a)


@needs_postfix
def test_postfix_to_tsubame(sites, fake_dns, postfix_instances):
    """Postfix's smtp client (transport map to Tsubame's smtp port, TLS encrypt with Tsubame's
    CA) delivers to alice@a.test: the message lands in her Maildir as sent."""
    a = sites.make("a", "mx.a.test", A_DOMAIN)
    server = sites.start(a)
    # Tsubame's data folder is 0700 root: Postfix's smtp (user postfix) gets a copy of the CA.
    pf = PrivatePostfix("pf.test", files={
        "transport": f"{A_DOMAIN} smtp:[127.0.0.1]:{server.port}\n",
        "tsubame-ca.pem": (a.path / "tls" / "ca.pem").read_text(),
    }, main_cf={
        "relay_domains": A_DOMAIN,
        "myhostname": "mx.pf.test",
        "transport_maps": "texthash:{conf}/transport",
        "smtp_tls_security_level": "encrypt",
        "smtp_tls_CAfile": "{conf}/tsubame-ca.pem",
        "smtp_tls_loglevel": "1",
    })
    try:
        pf.start()
        msg = make_message("Postfix to Tsubame", sender="someone@pf.test", to=ALICE)
        with smtplib.SMTP("127.0.0.1", pf.port, timeout=30, local_hostname="client.example") as c:
            refused = c.sendmail("someone@pf.test", [ALICE], msg)
            assert refused == {}
        [stored] = a.wait_new(ALICE, 1, timeout=WAIT)
    finally:
        pf.stop()
    content = stored.read_bytes()
    trace = content[:len(content) - len(strip_trace(content))].decode()
    assert trace.startswith("Return-Path: <someone@pf.test>\nReceived: from mx.pf.test ([127.0.0.1])"), trace
    assert "using TLSv1." in trace, trace          # Postfix's smtp client used STARTTLS
    body = strip_trace(content)
    assert body == lf(msg), f"Tsubame stored something else:\n{content[:800]!r}"
