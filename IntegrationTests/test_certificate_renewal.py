"""The running server renews the certificates its private CA issued when 30 days are left,
and says in the log which others expire soon."""

import socket
import ssl
import time

from conftest import HOSTNAME, run_cli


def served_not_after(port, datadir, server_name=HOSTNAME):
    context = ssl.create_default_context(cafile=str(datadir.path / "tls" / "ca.pem"))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            return ssl.cert_time_to_seconds(tls.getpeercert()["notAfter"])


def test_a_certificate_close_to_expiry_is_renewed_and_served(datadir, start_server):
    run_cli("cert", "issue", HOSTNAME, "localhost", "--ip", "127.0.0.1", "--days", "10", "--data", datadir.path)
    run_cli("cert", "issue", "short.example", "--sni", "--days", "20", "--key", "ecdsa-p384", "--data", datadir.path)
    run_cli("cert", "self-signed", "alone.example", "--sni", "--days", "5", "--data", datadir.path)
    server = start_server(pop3=True)
    server.wait_for_line(rf"renewed the certificate for {HOSTNAME}, localhost, 127\.0\.0\.1 in .*server-chain\.pem", 30)
    server.wait_for_line(r"renewed the certificate for short\.example in .*sni/short\.example/chain\.pem", 30)
    server.wait_for_line(r"the certificate for alone\.example .* is not renewed: it was not issued by the private CA", 30)
    server.wait_for_line(r"TLS certificates reloaded", 30)
    year = time.time() + 390 * 86400
    assert served_not_after(server.pop3s_port, datadir) > year
    assert served_not_after(server.pop3s_port, datadir, "short.example") > year
    out = run_cli("cert", "show", datadir.path / "tls" / "sni" / "short.example" / "chain.pem",
                  "--host", "short.example", "--data", datadir.path).stdout.decode()
    assert "ECDSA P-384" in out, out


def test_nothing_is_renewed_early(datadir, start_server):
    chain = datadir.path / "tls" / "server-chain.pem"
    before = chain.read_bytes()
    server = start_server(pop3=True)
    server.wait_for_line(r"listening pop3s", 30)
    time.sleep(1)    # the check runs right after the start
    assert "renewed" not in server.log()
    assert chain.read_bytes() == before
