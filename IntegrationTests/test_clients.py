"""Real SMTP clients: swaks and msmtp."""

import subprocess

from conftest import CLIENT_HELO, check_stored, split_stored


def test_swaks_plain_message(server, datadir):
    token = "swaks-body-7f3a9c"
    p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(server.port),
                        "--from", "x@example.net", "--to", "alice@test.example",
                        "--helo", CLIENT_HELO, "--header", "Subject: from swaks",
                        "--body", f"Hello from swaks\n{token}", "--timeout", "30"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    [f] = datadir.wait_new("alice@test.example")
    content = f.read_bytes()
    trace, message = split_stored(content)
    # the trace headers in their exact form; swaks writes its own Date etc.
    check_stored(f, "x@example.net", message.replace(b"\n", b"\r\n"), "ESMTP",
                 rcpt="alice@test.example")
    headers, body = message.split(b"\n\n", 1)
    assert b"\nSubject: from swaks" in b"\n" + headers
    assert b"\r" not in content
    # swaks appends blank lines of its own after --body
    assert body.rstrip(b"\n") == f"Hello from swaks\n{token}".encode()


def test_swaks_exact_data(server, datadir, tmp_path):
    msg = (b"From: x@example.net\r\nTo: bob@test.example\r\nSubject: exact\r\n\r\n"
           b"line 1\r\n.dot line\r\nline 3\r\n")
    src = tmp_path / "msg.eml"
    src.write_bytes(msg[:-2])      # swaks ends the data with CRLF . CRLF itself
    p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(server.port),
                        "--from", "x@example.net", "--to", "bob@test.example",
                        "--helo", CLIENT_HELO, "--data", f"@{src}", "--timeout", "30"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    [f] = datadir.wait_new("bob@test.example")
    check_stored(f, "x@example.net", msg, "ESMTP", rcpt="bob@test.example")


def test_swaks_pipelining_two_recipients(server, datadir):
    p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(server.port),
                        "--from", "x@example.net",
                        "--to", "alice@test.example,carol@test.example",
                        "--helo", CLIENT_HELO, "--pipeline", "--body", "pipelined\n",
                        "--timeout", "30"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    [a] = datadir.wait_new("alice@test.example")
    [c] = datadir.wait_new("carol@test.example")
    assert a.stat().st_ino == c.stat().st_ino
    trace, message = split_stored(a.read_bytes())
    check_stored(a, "x@example.net", message.replace(b"\n", b"\r\n"), "ESMTP", rcpt=None)


def test_msmtp(server, datadir):
    msg = (b"From: Sender <x@example.net>\r\n"
           b"To: carol@test.example\r\n"
           b"Subject: from msmtp\r\n"
           b"Date: Sun, 29 Nov 2026 19:30:00 +0000\r\n"
           b"Message-ID: <msmtp-1@example.net>\r\n"
           b"\r\n"
           b"Sent by msmtp.\r\n"
           b".\r\n"
           b"..\r\n"
           b"end\r\n")
    p = subprocess.run(["msmtp", "--file=/dev/null", "--host=127.0.0.1",
                        f"--port={server.port}", "--auth=off", "--tls=off",
                        f"--domain={CLIENT_HELO}", "--from=x@example.net",
                        "carol@test.example"],
                       input=msg, capture_output=True, timeout=60)
    assert p.returncode == 0, (p.stdout + p.stderr).decode(errors="replace")
    [f] = datadir.wait_new("carol@test.example")
    check_stored(f, "x@example.net", msg, "ESMTP", rcpt="carol@test.example")
