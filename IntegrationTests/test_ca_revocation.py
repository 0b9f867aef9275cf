"""`tsubame ca revoke` and `tsubame ca crl`, driven through the real command line and
cross-checked with openssl: the CRL verifies against ca.pem, openssl refuses the revoked
certificate, the CRL number increases, and `cert show` reports the revocation."""

import re
import shutil
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest

from conftest import HOSTNAME, run_cli

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command line")

CRL_URL = "http://crl.test.example/tsubame.crl"


def openssl(*args):
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, timeout=60)


def crl_text(tls):
    out = openssl("crl", "-in", tls / "crl.pem", "-noout", "-text")
    assert out.returncode == 0, out.stderr
    return out.stdout


def crl_number(tls):
    out = openssl("crl", "-in", tls / "crl.pem", "-noout", "-crlnumber").stdout
    return int(out.strip().split("=", 1)[1], 16)


def next_update(tls):
    out = openssl("crl", "-in", tls / "crl.pem", "-noout", "-nextupdate").stdout.strip()
    return datetime.strptime(out.split("=", 1)[1], "%b %d %H:%M:%S %Y %Z").replace(tzinfo=timezone.utc)


def serial_of(path):
    out = openssl("x509", "-in", path, "-noout", "-serial").stdout
    return out.strip().split("=", 1)[1].upper()


def issue_with_crl_url(datadir):
    datadir.set_table("tls", crl_url=CRL_URL)
    run_cli("cert", "issue", HOSTNAME, "--data", datadir.path)
    return datadir.path / "tls"


def test_revoke_writes_a_crl_that_openssl_verifies_and_uses_to_refuse_the_certificate(datadir):
    tls = issue_with_crl_url(datadir)
    text = openssl("x509", "-in", tls / "server.pem", "-noout", "-text").stdout
    assert "X509v3 CRL Distribution Points" in text and f"URI:{CRL_URL}" in text
    serial = serial_of(tls / "server.pem")
    # the certificate verifies with the (empty) CRL check before it is revoked
    run_cli("ca", "crl", "--data", datadir.path)
    ok = openssl("verify", "-crl_check", "-CAfile", tls / "ca.pem", "-CRLfile", tls / "crl.pem", tls / "server.pem")
    assert ok.returncode == 0, ok.stdout + ok.stderr

    out = run_cli("ca", "revoke", tls / "server.pem", "--reason", "keyCompromise", "--data", datadir.path).stdout.decode()
    assert HOSTNAME in out and serial.lower() in out and "keyCompromise" in out
    assert str(tls / "crl.pem") in out and "number 2" in out
    assert "The server still sends this certificate" in out and f"tsubame cert issue {HOSTNAME}" in out, out

    verify = openssl("crl", "-in", tls / "crl.pem", "-CAfile", tls / "ca.pem", "-verify", "-noout")
    assert verify.returncode == 0 and "verify OK" in verify.stdout + verify.stderr
    listed = crl_text(tls)
    assert f"Serial Number: {serial}" in listed and "Key Compromise" in listed
    der = openssl("crl", "-in", tls / "crl.der", "-inform", "DER", "-noout", "-text")
    assert der.returncode == 0 and der.stdout == listed
    assert oct((tls / "crl.pem").stat().st_mode & 0o777) == "0o644"

    refused = openssl("verify", "-crl_check", "-CAfile", tls / "ca.pem", "-CRLfile", tls / "crl.pem", tls / "server.pem")
    assert refused.returncode != 0
    assert "certificate revoked" in refused.stdout + refused.stderr

    revoked = (tls / "revoked.txt").read_text()
    assert re.search(rf"(?m)^{serial.lower()} \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ keyCompromise$", revoked), revoked
    assert "crl-number 2" in revoked


def test_revoking_twice_is_refused_with_the_date(datadir):
    tls = issue_with_crl_url(datadir)
    run_cli("ca", "revoke", tls / "server.pem", "--data", datadir.path)
    serial = serial_of(tls / "server.pem")
    colons = ":".join(re.findall("..", serial))
    again = run_cli("ca", "revoke", colons, "--data", datadir.path, check=False)
    assert again.returncode != 0
    assert re.search(r"already revoked on \d{4}-\d\d-\d\dT", again.stderr.decode()), again.stderr
    assert crl_number(tls) == 1, "a refused revocation writes no CRL"


def test_crl_days_bumps_the_number_and_next_update(datadir):
    tls = issue_with_crl_url(datadir)
    run_cli("ca", "revoke", tls / "server.pem", "--reason", "superseded", "--data", datadir.path)
    first_number, first_next = crl_number(tls), next_update(tls)
    assert first_next - datetime.now(timezone.utc) > timedelta(days=29)

    out = run_cli("ca", "crl", "--days", "7", "--data", datadir.path).stdout.decode()
    assert crl_number(tls) == first_number + 1
    assert f"number {first_number + 1}" in out and "1 revoked certificate" in out
    remaining = next_update(tls) - datetime.now(timezone.utc)
    assert timedelta(days=6, hours=23) < remaining <= timedelta(days=7)
    assert "Superseded" in crl_text(tls), "the revocation is still listed"

    bad = run_cli("ca", "crl", "--days", "367", "--data", datadir.path, check=False)
    assert bad.returncode != 0 and "between 1 and 366" in bad.stderr.decode()
    assert crl_number(tls) == first_number + 1


def test_cert_show_reports_the_revoked_certificate(datadir):
    tls = issue_with_crl_url(datadir)
    before = run_cli("cert", "show", "--data", datadir.path)
    assert "not revoked (CRL" not in before.stdout.decode(), "no CRL yet"
    assert f"CRLDistributionPoints: {CRL_URL}" in before.stdout.decode()
    run_cli("ca", "crl", "--data", datadir.path)
    clean = run_cli("cert", "show", "--data", datadir.path).stdout.decode()
    assert "Revocation:   not revoked (CRL 1" in clean

    run_cli("ca", "revoke", tls / "server.pem", "--reason", "keyCompromise", "--data", datadir.path)
    shown = run_cli("cert", "show", "--data", datadir.path, check=False)
    text = shown.stdout.decode()
    assert shown.returncode == 1, text
    assert re.search(r"Unusable: revoked on \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(keyCompromise\)", text), text
    assert "Result: NOT usable" in text


def test_bad_serials_and_foreign_certificates_are_refused(datadir, tmp_path):
    for bad in ["5a1g", "0x5a1b", "::", "00"]:
        proc = run_cli("ca", "revoke", bad, "--data", datadir.path, check=False)
        assert proc.returncode != 0, bad
        assert "serial" in proc.stderr.decode(), proc.stderr
    missing = run_cli("ca", "revoke", tmp_path / "nowhere.pem", "--data", datadir.path, check=False)
    assert missing.returncode != 0 and "no such file" in missing.stderr.decode()
    reason = run_cli("ca", "revoke", "5a1b", "--reason", "cACompromise", "--data", datadir.path, check=False)
    assert reason.returncode != 0 and "keyCompromise" in reason.stderr.decode()

    # a certificate from another data folder's CA, even one of the same name
    other = tmp_path / "other"
    run_cli("init", "--data", other, "--hostname", HOSTNAME, "--domain", "test.example")
    foreign = run_cli("ca", "revoke", other / "tls" / "server.pem", "--data", datadir.path, check=False)
    assert foreign.returncode != 0
    assert "does not verify with this CA's key" in foreign.stderr.decode(), foreign.stderr
    assert not (datadir.path / "tls" / "revoked.txt").exists(), "nothing was recorded"

    # a well-formed but unknown serial is accepted with a warning; the CRL lists it
    accepted = run_cli("ca", "revoke", "5A:1B:9C", "--data", datadir.path).stdout.decode()
    assert "serial 5a1b9c" in accepted and "Warning: no certificate with that serial is known" in accepted
    assert "Serial Number: 5A1B9C" in crl_text(datadir.path / "tls")


def test_ca_sign_names_the_crl_url_and_a_broken_config_only_warns(datadir, tmp_path):
    datadir.set_table("tls", crl_url=CRL_URL)
    request = tmp_path / "req.pem"
    key = tmp_path / "req-key.pem"
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", request, "-subj", "/CN=smtp.test.example",
                    "-addext", "subjectAltName=DNS:smtp.test.example"], check=True, capture_output=True)
    run_cli("ca", "sign", request, "--data", datadir.path)
    signed = openssl("x509", "-in", tmp_path / "req.crt.pem", "-noout", "-text").stdout
    assert f"URI:{CRL_URL}" in signed

    # issued.txt lets revoke-by-serial name the certificate
    serial = serial_of(tmp_path / "req.crt.pem")
    revoked = run_cli("ca", "revoke", serial.lower(), "--reason", "cessationOfOperation", "--data", datadir.path)
    out = revoked.stdout.decode()
    assert f"Revoked smtp.test.example (serial {serial.lower()})" in out and "Warning" not in out

    datadir.config.write_text(datadir.config.read_text() + "\n[nonsense\n")
    issued = run_cli("cert", "issue", HOSTNAME, "--data", datadir.path)
    assert "crl_url is not known" in issued.stderr.decode()
    text = openssl("x509", "-in", datadir.path / "tls" / "server.pem", "-noout", "-text").stdout
    assert "CRL Distribution Points" not in text


def test_the_server_publishes_a_first_crl_when_a_url_is_configured(datadir, start_server):
    tls = datadir.path / "tls"
    datadir.set_table("tls", crl_url=CRL_URL)
    assert not (tls / "crl.pem").exists()
    server = start_server()
    server.wait_for_line(r"CRL 1 issued to .*crl\.pem", 30)
    verify = openssl("crl", "-in", tls / "crl.pem", "-CAfile", tls / "ca.pem", "-verify", "-noout")
    assert "verify OK" in verify.stdout + verify.stderr
    der = openssl("crl", "-inform", "DER", "-in", tls / "crl.der", "-noout", "-crlnumber")
    assert "crlNumber=0x01" in der.stdout, der.stdout
    # a fresh CRL is left alone at the next start
    server.stop()
    again = start_server()
    again.wait_for_line(r"listening pop3s", 30)
    time.sleep(1)    # the check runs right after the start
    assert crl_number(tls) == 1
    assert "CRL 2" not in again.log()
