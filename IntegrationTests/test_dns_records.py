"""`tsubame dns records DOMAIN` (zone-file lines, parsed back by dnslib) and `tsubame dns check
DOMAIN` against a fake DNS server (dnslib) holding exactly those lines, then broken ones."""

import datetime
import ipaddress

import pytest
from dnslib import PTR, QTYPE, RR, TXT

from conftest import DOMAIN, HOSTNAME, DataDir, run_cli
from outbound_peers import fake_dns, set_config  # noqa: F401 - fake_dns is a fixture

SELECTOR = "t" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m")
DKIM_NAME = f"{SELECTOR}._domainkey.{DOMAIN}."


@pytest.fixture
def data(tmp_path):
    d = DataDir(tmp_path / "data")
    d.init()
    return d


def cli(data, *args, check=True):
    proc = run_cli(*args, "--data", data.path, check=check)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def records(output):
    """Every non-comment line parsed by dnslib (one RR each); comments returned apart."""
    parsed, comments = [], []
    for line in output.splitlines():
        if line.startswith(";"):
            comments.append(line)
            continue
        rrs = RR.fromZone(line)
        assert len(rrs) == 1, line
        parsed.append(rrs[0])
    return parsed, comments


def by_type(rrs):
    return {(str(rr.rname), QTYPE[rr.rtype]): rr for rr in rrs}


def text(rr):
    return b"".join(rr.rdata.data).decode()


def test_records_are_zone_lines_for_every_record_the_domain_needs(data):
    _, out, _ = cli(data, "dns", "records", DOMAIN, "--ip", "192.0.2.25", "--ip", "2001:db8::25")
    rrs, comments = records(out)
    found = by_type(rrs)
    assert len(rrs) == 6
    assert all(rr.ttl == 3600 for rr in rrs)
    assert str(found[(f"{DOMAIN}.", "MX")].rdata) == f"10 {HOSTNAME}."
    assert text(found[(f"{DOMAIN}.", "TXT")]) == "v=spf1 mx -all"
    assert text(found[(DKIM_NAME, "TXT")]).startswith("v=DKIM1; k=rsa; p=")
    assert all(len(part) <= 255 for part in found[(DKIM_NAME, "TXT")].rdata.data)
    assert text(found[(f"_dmarc.{DOMAIN}.", "TXT")]) == f"v=DMARC1; p=quarantine; rua=mailto:postmaster@{DOMAIN}"
    assert str(found[(f"{HOSTNAME}.", "A")].rdata) == "192.0.2.25"
    assert str(found[(f"{HOSTNAME}.", "AAAA")].rdata) == "2001:db8::25"
    # The DKIM record is the one `dkim show` prints.
    _, shown, _ = cli(data, "dkim", "show", DOMAIN)
    assert text(by_type(records(shown)[0])[(DKIM_NAME, "TXT")]) == text(found[(DKIM_NAME, "TXT")])
    # Reverse DNS, which the provider sets, as comments.
    ptr = [line for line in comments if line.startswith("; PTR:")]
    assert len(ptr) == 2
    assert ptr[0].startswith(f"; PTR: 25.2.0.192.in-addr.arpa. → {HOSTNAME}.") and "ask your provider" in ptr[0]
    v6 = ipaddress.ip_address("2001:db8::25").reverse_pointer
    assert ptr[1].startswith(f"; PTR: {v6}. → {HOSTNAME}.")


def test_without_addresses_the_records_ask_for_them(data):
    _, out, _ = cli(data, "dns", "records", DOMAIN)
    rrs, comments = records(out)
    assert {QTYPE[rr.rtype] for rr in rrs} == {"MX", "TXT"}
    assert any("--ip ADDRESS" in line for line in comments)
    rc, _, err = cli(data, "dns", "records", DOMAIN, "--ip", "not-an-ip", check=False)
    assert rc != 0 and "not an IPv4 or IPv6 address" in err


def publish(fake_dns, data, skip=(), ptr=HOSTNAME):
    """Put the lines `dns records --ip 127.0.0.1` prints into the fake DNS (all but the
    (name, type) pairs in SKIP), and a PTR for 127.0.0.1."""
    _, out, _ = cli(data, "dns", "records", DOMAIN, "--ip", "127.0.0.1")
    for rr in records(out)[0]:
        key = (str(rr.rname), QTYPE[rr.rtype])
        if key not in skip:
            fake_dns.add(key[0], key[1], rr.rdata, ttl=rr.ttl)
    fake_dns.add("1.0.0.127.in-addr.arpa", "PTR", PTR(ptr + "."))
    set_config(data, "dns", nameservers=[fake_dns.nameserver])


def check(data):
    rc, out, err = cli(data, "dns", "check", DOMAIN, check=False)
    return rc, out.splitlines(), err


def test_check_passes_when_everything_is_published(data, fake_dns):
    publish(fake_dns, data)
    rc, lines, err = check(data)
    assert rc == 0, (lines, err)
    assert lines == [
        f"ok   MX: 10 {HOSTNAME}.",
        f"ok   A: {HOSTNAME}. 127.0.0.1",
        f"ok   PTR 127.0.0.1: {HOSTNAME}. (forward-confirmed)",
        "ok   SPF: v=spf1 mx -all",
        f"ok   DKIM {DKIM_NAME}: p= matches the active {SELECTOR} key",
        f"ok   DMARC: v=DMARC1; p=quarantine; rua=mailto:postmaster@{DOMAIN}",
    ]
    # It asked the configured resolver, not the system's.
    assert fake_dns.asked(DKIM_NAME, "TXT")


def test_check_reports_a_missing_dkim_record_and_a_wrong_ptr(data, fake_dns):
    publish(fake_dns, data, skip={(DKIM_NAME, "TXT")}, ptr="host-127-0-0-1.isp.example")
    rc, lines, err = check(data)
    assert rc == 1, (lines, err)
    assert f"WRONG PTR 127.0.0.1: found host-127-0-0-1.isp.example., expected {HOSTNAME}. (ask your provider to set it)" in lines
    assert any(line.startswith(f"MISSING DKIM {DKIM_NAME}: no key record") for line in lines), lines
    # The rest is still checked and fine.
    assert f"ok   MX: 10 {HOSTNAME}." in lines and "ok   SPF: v=spf1 mx -all" in lines
    assert sum(line.startswith("ok ") for line in lines) == 4


def test_check_reports_a_stale_dkim_key_missing_records_and_warns_of_plus_all(data, fake_dns):
    # The record of another key at our selector (a key made again without republishing).
    cli(data, "dkim", "keygen", "other.example", "--selector", SELECTOR)
    _, shown, _ = cli(data, "dkim", "show", "other.example")
    stale = records(shown)[0][0].rdata
    publish(fake_dns, data, skip={(DKIM_NAME, "TXT"), (f"{DOMAIN}.", "TXT"), (f"_dmarc.{DOMAIN}.", "TXT"),
                                  (f"{DOMAIN}.", "MX")})
    fake_dns.add(DKIM_NAME, "TXT", stale)
    fake_dns.add(DOMAIN, "TXT", TXT("v=spf1 +all"))
    rc, lines, err = check(data)
    assert rc == 1, (lines, err)
    assert any(line.startswith(f"WRONG DKIM {DKIM_NAME}: found p=") and ", expected p=" in line for line in lines), lines
    assert any(line.startswith("WARN SPF: v=spf1 +all lets any server send") for line in lines), lines
    assert any(line.startswith(f"MISSING MX: {DOMAIN}. has none; expected 10 {HOSTNAME}.") for line in lines), lines
    assert any(line.startswith(f"MISSING DMARC: _dmarc.{DOMAIN}. has no v=DMARC1 record") for line in lines), lines
