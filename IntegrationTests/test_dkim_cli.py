"""`tsubame init`'s DKIM key and SRS secret, and `tsubame dkim keygen|list|show|activate|retire`,
with the printed records checked by dkimpy: a message signed with the stored key verifies
against the record exactly as printed."""

import base64
import datetime
import re
import stat

import dkim
import pytest
from dnslib import QTYPE, RR

from conftest import DOMAIN, DataDir, run_cli

MESSAGE = (b"From: Alice <alice@test.example>\r\n"
           b"To: Bob <bob@example.net>\r\n"
           b"Subject: signed\r\n"
           b"Date: Mon, 30 Nov 2026 12:00:00 +0000\r\n"
           b"Message-ID: <dkim-cli-test@test.example>\r\n"
           b"\r\n"
           b"Hello.\r\n")

SELECTOR = "t" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m")


@pytest.fixture
def data(tmp_path):
    d = DataDir(tmp_path / "data")
    d.init_output = d.init().stdout.decode()
    return d


def cli(data, *args, check=True):
    proc = run_cli(*args, "--data", data.path, check=check)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def txt_lines(output):
    """The zone lines of TXT records in OUTPUT, parsed by dnslib: {owner name: joined text}."""
    records = {}
    for line in output.splitlines():
        if " IN TXT " not in line or line.startswith(";"):
            continue
        [rr] = RR.fromZone(line)
        assert QTYPE[rr.rtype] == "TXT"
        assert all(len(part) <= 255 for part in rr.rdata.data), line
        records[str(rr.rname)] = b"".join(rr.rdata.data)
    return records


def dkimpy_private_key(pem: bytes):
    """The key as dkimpy takes it: the PEM for RSA (it reads PKCS #8), the base64 seed for
    Ed25519 (the last 32 octets of its PKCS #8 form, RFC 8410 §7)."""
    if b"BEGIN PRIVATE KEY" in pem:
        der = base64.b64decode(b"".join(pem.strip().splitlines()[1:-1]))
        if len(der) == 48:   # Ed25519 PKCS #8
            return base64.b64encode(der[-32:]), b"ed25519-sha256"
    return pem, b"rsa-sha256"


def verifies(data, domain, selector, record: bytes):
    pem = (data.path / "dkim" / domain / f"{selector}.pem").read_bytes()
    key, algorithm = dkimpy_private_key(pem)
    signature = dkim.sign(MESSAGE, selector.encode(), domain.encode(), key, signature_algorithm=algorithm,
                          include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    name = f"{selector}._domainkey.{domain}."

    def dnsfunc(qname, timeout=5):
        qname = qname.decode() if isinstance(qname, bytes) else qname
        return record if qname.rstrip(".") + "." == name else None

    return dkim.verify(signature + MESSAGE, dnsfunc=dnsfunc)


def listing(data):
    _, out, _ = cli(data, "dkim", "list")
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["DOMAIN", "SELECTOR", "ALGORITHM", "BITS", "ACTIVE"]
    return rows[1:]


def test_init_makes_an_active_rsa_key_and_the_srs_secret(data):
    dkim_dir = data.path / "dkim"
    key = dkim_dir / DOMAIN / f"{SELECTOR}.pem"
    assert mode(dkim_dir) == 0o700 and mode(dkim_dir / DOMAIN) == 0o700
    assert mode(key) == 0o600
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert (dkim_dir / DOMAIN / "active").read_text() == SELECTOR + "\n"
    secret = data.path / "srs.secret"
    assert mode(secret) == 0o600
    assert len(base64.b64decode(secret.read_text().strip(), validate=True)) == 32
    # init prints the record to publish, and where to find the rest.
    records = txt_lines(data.init_output)
    assert list(records) == [f"{SELECTOR}._domainkey.{DOMAIN}."]
    assert records[f"{SELECTOR}._domainkey.{DOMAIN}."].startswith(b"v=DKIM1; k=rsa; p=")
    assert f"tsubame dns records {DOMAIN}" in data.init_output
    assert listing(data) == [[DOMAIN, SELECTOR, "rsa-sha256", "2048", "yes"]]


def test_a_message_signed_with_inits_key_verifies_against_the_printed_record(data):
    record = txt_lines(data.init_output)[f"{SELECTOR}._domainkey.{DOMAIN}."]
    assert verifies(data, DOMAIN, SELECTOR, record)
    # The check can fail: another domain's key does not verify against this record.
    cli(data, "dkim", "keygen", "other.example", "--selector", SELECTOR)
    other = txt_lines(cli(data, "dkim", "show", "other.example")[1])[f"{SELECTOR}._domainkey.other.example."]
    assert not verifies(data, DOMAIN, SELECTOR, other)


@pytest.mark.parametrize("kind,algorithm,bits,tag", [("rsa-3072", "rsa-sha256", "3072", b"k=rsa"),
                                                     ("ed25519", "ed25519-sha256", "-", b"k=ed25519")])
def test_keygen_writes_a_private_key_and_prints_a_record_that_verifies(data, kind, algorithm, bits, tag):
    _, out, _ = cli(data, "dkim", "keygen", "keys.example", "--selector", "s1", "--key", kind)
    path = data.path / "dkim" / "keys.example" / "s1.pem"
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    records = txt_lines(out)
    record = records["s1._domainkey.keys.example."]
    assert record.startswith(b"v=DKIM1; " + tag + b"; p=")
    # Split before p= into strings of at most 255 octets.
    assert re.search(r'^s1\._domainkey\.keys\.example\. 3600 IN TXT "v=DKIM1; k=[a-z0-9]+; " "p=', out, re.M), out
    assert "active" in out
    assert verifies(data, "keys.example", "s1", record)
    assert ["keys.example", "s1", algorithm, bits, "yes"] in listing(data)


def test_the_first_key_of_each_algorithm_is_active_and_a_third_selector_is_refused(data):
    _, out, _ = cli(data, "dkim", "keygen", DOMAIN, "--key", "ed25519")
    assert "is signed with it now" in out
    ed_selector = SELECTOR + "b"   # the month's selector is taken by init's key
    assert (data.path / "dkim" / DOMAIN / "active").read_text().split() == [SELECTOR, ed_selector]
    rc, out, err = cli(data, "dkim", "keygen", DOMAIN, "--selector", "third", "--key", "rsa-3072", check=False)
    assert rc != 0
    assert "already has 2 selectors" in err and "retire one first" in err
    assert not (data.path / "dkim" / DOMAIN / "third.pem").exists()


def test_an_existing_selector_is_never_overwritten(data):
    key = data.path / "dkim" / DOMAIN / f"{SELECTOR}.pem"
    before = key.read_bytes()
    rc, _, err = cli(data, "dkim", "keygen", DOMAIN, "--selector", SELECTOR, check=False)
    assert rc != 0 and f"already has the selector {SELECTOR}" in err
    assert key.read_bytes() == before


def test_bad_arguments_are_refused(data):
    rc, _, err = cli(data, "dkim", "keygen", DOMAIN, "--key", "rsa-1024", check=False)
    assert rc != 0 and "--key must be one of rsa-2048, rsa-3072, ed25519" in err
    rc, _, err = cli(data, "dkim", "keygen", DOMAIN, "--selector", "../x", check=False)
    assert rc != 0 and "is not a selector" in err
    rc, _, err = cli(data, "dkim", "keygen", "bad/domain", check=False)
    assert rc != 0 and "is not a domain name" in err
    rc, _, err = cli(data, "dkim", "activate", DOMAIN, "nosuch", check=False)
    assert rc != 0 and "has no selector nosuch" in err


def test_rotation_activate_then_retire_the_old_key(data):
    _, out, _ = cli(data, "dkim", "keygen", DOMAIN, "--selector", "next")
    assert "not active" in out and f"tsubame dkim activate {DOMAIN} next" in out
    assert [DOMAIN, "next", "rsa-sha256", "2048", "no"] in listing(data)
    # show prints both records: publish both during the rotation.
    _, shown, _ = cli(data, "dkim", "show", DOMAIN)
    assert set(txt_lines(shown)) == {f"{SELECTOR}._domainkey.{DOMAIN}.", f"next._domainkey.{DOMAIN}."}
    assert f"; {SELECTOR}: rsa-2048, active" in shown and "; next: rsa-2048, not active" in shown
    # The active key cannot be retired.
    rc, _, err = cli(data, "dkim", "retire", DOMAIN, SELECTOR, check=False)
    assert rc != 0 and "is the active key" in err
    _, out, _ = cli(data, "dkim", "activate", DOMAIN, "next")
    assert "signs with next from now on" in out and f"tsubame dkim retire {DOMAIN} {SELECTOR}" in out
    assert (data.path / "dkim" / DOMAIN / "active").read_text() == "next\n"
    assert listing(data) == [[DOMAIN, "next", "rsa-sha256", "2048", "yes"], [DOMAIN, SELECTOR, "rsa-sha256", "2048", "no"]]
    _, out, _ = cli(data, "dkim", "retire", DOMAIN, SELECTOR)
    assert txt_lines(out) == {f"{SELECTOR}._domainkey.{DOMAIN}.": b"v=DKIM1; p="}
    assert not (data.path / "dkim" / DOMAIN / f"{SELECTOR}.pem").exists()
    assert listing(data) == [[DOMAIN, "next", "rsa-sha256", "2048", "yes"]]
    # The slot is free again.
    cli(data, "dkim", "keygen", DOMAIN, "--selector", "after")


def test_a_key_others_can_read_is_refused(data):
    key = data.path / "dkim" / DOMAIN / f"{SELECTOR}.pem"
    key.chmod(0o644)
    rc, _, err = cli(data, "dkim", "list", check=False)
    assert rc != 0 and "readable by others" in err and "chmod 600" in err
