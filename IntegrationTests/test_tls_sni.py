"""Several certificates chosen by SNI (RFC 6066 §3), `cert issue|install --sni`, the
running server reloading after the certificate commands, and one server per data folder."""

import re
import signal
import smtplib
import socket
import ssl
import subprocess
import time

import pytest

from conftest import BIN, HOSTNAME, run_cli


def ca_context(datadir):
    return ssl.create_default_context(cafile=str(datadir.path / "tls" / "ca.pem"))


def peer_names(port, datadir, server_name):
    """The DNS names of the certificate the server sends for SNI `server_name` (None: no SNI)."""
    context = ca_context(datadir)
    if server_name is None:
        context.check_hostname = False
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            return sorted(value for kind, value in tls.getpeercert()["subjectAltName"] if kind == "DNS")


def issue(datadir, *hosts, sni=True):
    out = run_cli("cert", "issue", *hosts, *(["--sni"] if sni else []), "--data", datadir.path)
    return out.stdout.decode()


def test_sni_picks_the_certificate_for_the_name(datadir, start_server):
    issue(datadir, "other.example", "mail.other.example")
    issue(datadir, "*.wild.example")
    chain = datadir.path / "tls" / "sni" / "other.example" / "chain.pem"
    assert chain.is_file()
    assert (datadir.path / "tls" / "sni" / "other.example" / "key.pem").stat().st_mode & 0o777 == 0o600
    assert (datadir.path / "tls" / "sni" / "_wildcard.wild.example" / "chain.pem").is_file()
    server = start_server(pop3=True)
    assert server.wait_for_line(r"TLS certificates by SNI for .*other\.example", 10)
    listing = run_cli("cert", "list", "--data", datadir.path).stdout.decode()
    assert re.search(r"default: .*server-chain\.pem\n  names:   mx\.test\.example, localhost", listing), listing
    assert re.search(r"SNI: .*sni/other\.example/chain\.pem\n  names:   other\.example, mail\.other\.example", listing), listing
    assert "SNI: " + str(datadir.path / "tls" / "sni" / "_wildcard.wild.example" / "chain.pem") in listing, listing
    assert listing.count("renewed automatically") == 3, listing

    default = ["localhost", HOSTNAME]
    port = server.pop3s_port
    assert peer_names(port, datadir, "other.example") == ["mail.other.example", "other.example"]
    assert peer_names(port, datadir, "MAIL.Other.Example") == ["mail.other.example", "other.example"]
    assert peer_names(port, datadir, HOSTNAME) == default
    assert peer_names(port, datadir, None) == default
    # unknown names get the default certificate (which then fails the client's host check)
    with pytest.raises(ssl.SSLCertVerificationError):
        peer_names(port, datadir, "unknown.example")
    # a wildcard covers exactly one label (RFC 6125 §6.4.3)
    assert peer_names(port, datadir, "a.wild.example") == ["*.wild.example"]
    with pytest.raises(ssl.SSLCertVerificationError):
        peer_names(port, datadir, "wild.example")
    with pytest.raises(ssl.SSLCertVerificationError):
        peer_names(port, datadir, "a.b.wild.example")

    # the same on SMTP after STARTTLS
    with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as client:
        client._host = "other.example"     # smtplib sends this as SNI and checks it
        client.ehlo("client.example")
        client.starttls(context=ca_context(datadir))
        names = [v for k, v in client.sock.getpeercert()["subjectAltName"] if k == "DNS"]
        assert "other.example" in names
        assert client.ehlo("client.example")[0] == 250


def test_cert_issue_makes_the_running_server_reload(pop3_server, datadir):
    out = issue(datadir, "late.example")
    assert re.search(rf"running server \(pid {pop3_server.pid}\) was told to reload", out), out
    pop3_server.wait_for_line(r"TLS certificates reloaded \(by SNI for late\.example\)", 10)
    assert peer_names(pop3_server.pop3s_port, datadir, "late.example") == ["late.example"]

    def serial():
        with socket.create_connection(("127.0.0.1", pop3_server.pop3s_port), timeout=30) as raw:
            with ca_context(datadir).wrap_socket(raw, server_hostname=HOSTNAME) as tls:
                return tls.getpeercert()["serialNumber"]

    before = serial()
    reloads = len(re.findall(r"TLS certificates reloaded", pop3_server.log()))
    issue(datadir, HOSTNAME, "localhost", sni=False)
    deadline = time.monotonic() + 10
    while len(re.findall(r"TLS certificates reloaded", pop3_server.log())) == reloads:
        assert time.monotonic() < deadline, pop3_server.log()
        time.sleep(0.1)
    assert serial() != before


def test_cert_install_sni_from_a_signed_request(pop3_server, datadir, tmp_path):
    run_cli("cert", "csr", "bought.example", "--data", datadir.path)
    request = datadir.path / "tls" / "request.pem"
    signed = tmp_path / "bought.crt.pem"
    run_cli("ca", "sign", request, "--out", signed, "--data", datadir.path)
    out = run_cli("cert", "install", signed, "--sni", "--data", datadir.path).stdout.decode()
    assert "sni/bought.example/chain.pem" in out, out
    pop3_server.wait_for_line(r"by SNI for bought\.example", 10)
    assert peer_names(pop3_server.pop3s_port, datadir, "bought.example") == ["bought.example"]
    # without --sni the default certificate must be for the configured hostname
    run_cli("cert", "csr", "bought2.example", "--data", datadir.path)
    run_cli("ca", "sign", request, "--out", signed, "--data", datadir.path)
    refused = run_cli("cert", "install", signed, "--data", datadir.path, check=False)
    assert refused.returncode != 0
    assert b"not for " + HOSTNAME.encode() in refused.stderr + refused.stdout


def test_a_broken_sni_certificate_is_refused(pop3_server, datadir):
    issue(datadir, "good.example")
    pop3_server.wait_for_line(r"by SNI for good\.example", 10)
    bad = datadir.path / "tls" / "sni" / "bad.example"
    bad.mkdir()
    (bad / "chain.pem").write_text("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n")
    (bad / "key.pem").write_text("")
    pop3_server.proc.send_signal(signal.SIGHUP)
    line = pop3_server.wait_for_line(r"TLS certificate reload refused.*", 10)
    assert "bad.example/chain.pem" in line.group(0), line.group(0)
    assert peer_names(pop3_server.pop3s_port, datadir, "good.example") == ["good.example"]


def test_a_broken_sni_certificate_stops_the_start(datadir):
    issue(datadir, "good.example")
    other = datadir.path / "tls" / "sni" / "mismatch.example"
    other.mkdir()
    # a real certificate with somebody else's key
    (other / "chain.pem").write_bytes((datadir.path / "tls" / "sni" / "good.example" / "chain.pem").read_bytes())
    (other / "key.pem").write_bytes((datadir.path / "tls" / "server-key.pem").read_bytes())
    proc = subprocess.run([str(BIN), "serve", "--data", str(datadir.path), "--listen", "smtp=127.0.0.1:0",
                           "--listen", "pop3=127.0.0.1:0", "--listen", "pop3s=127.0.0.1:0"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert "mismatch.example" in proc.stderr, proc.stderr


def test_one_server_per_data_folder(server, datadir):
    proc = subprocess.run([str(BIN), "serve", "--data", str(datadir.path), "--listen", "smtp=127.0.0.1:0",
                           "--listen", "pop3=127.0.0.1:0", "--listen", "pop3s=127.0.0.1:0"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert f"another tsubame serve (pid {server.pid}) is already running" in proc.stderr, proc.stderr
    assert (datadir.path / "tsubame.pid").read_text().strip() == str(server.pid)


def test_removing_an_sni_certificate_falls_back_to_the_default(pop3_server, datadir):
    issue(datadir, "gone.example")
    pop3_server.wait_for_line(r"by SNI for gone\.example", 10)
    assert peer_names(pop3_server.pop3s_port, datadir, "gone.example") == ["gone.example"]
    old = datadir.path / "tls" / "sni" / "gone.example"
    for f in old.iterdir():
        f.unlink()
    old.rmdir()
    pop3_server.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while pop3_server.log().count("TLS certificates reloaded") < 2:
        assert time.monotonic() < deadline, pop3_server.log()
        time.sleep(0.1)
    with pytest.raises(ssl.SSLCertVerificationError):   # the default certificate is not for it
        peer_names(pop3_server.pop3s_port, datadir, "gone.example")
    assert peer_names(pop3_server.pop3s_port, datadir, HOSTNAME) == ["localhost", HOSTNAME]
