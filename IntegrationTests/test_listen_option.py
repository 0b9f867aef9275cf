"""`serve --listen NAME=HOST:PORT`: only the named listeners run, at those addresses; and an
IPv6 listener, whose clients appear as [IPv6:...] address literals (RFC 5321 §4.1.3)."""

import os
import re
import subprocess
import threading
import time

from conftest import BIN, CLIENT_HELO, SMTPClient, STARTUP_TIMEOUT, Server, split_stored


class ServerWithListeners(Server):
    """`tsubame serve` with exactly the --listen options given (conftest's Server names all five)."""

    def __init__(self, datadir, *listen):
        super().__init__(datadir)
        self.listen = listen

    def start(self):
        self.lines = []
        options = [part for item in self.listen for part in ("--listen", item)]
        self.proc = subprocess.Popen([str(BIN), "serve", "--data", str(self.datadir.path), *options],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.threads = [threading.Thread(target=self._drain, args=(s, name), daemon=True)
                        for s, name in ((self.proc.stderr, "stderr"), (self.proc.stdout, "stdout"))]
        for t in self.threads:
            t.start()
        return self


def listening_ports(pid):
    """The TCP ports process PID listens on, from /proc (IPv4 and IPv6)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        m = re.fullmatch(r"socket:\[(\d+)\]", target)
        if m:
            inodes.add(m.group(1))
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for row in f.readlines()[1:]:
                fields = row.split()
                if fields[3] == "0A" and fields[9] in inodes:     # 0A: LISTEN
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_only_the_named_listeners_run(datadir):
    config = datadir.config.read_text()
    assert re.search(r'(?m)^pop3s = "0\.0\.0\.0:995"$', config), config    # init configured pop3 and pop3s
    server = ServerWithListeners(datadir, "smtp=127.0.0.1:0").start()
    try:
        port = int(server.wait_for_line(r"listening smtp 127\.0\.0\.1:(\d+)", STARTUP_TIMEOUT).group(1))
        time.sleep(1)      # the listeners bind one after another: give the others a chance
        assert listening_ports(server.pid) == {port}
        with SMTPClient(port) as c:
            c.ehlo()
    finally:
        assert server.stop() == 0, server.log()
    listening = [line for name, line in server.lines if name == "stderr" and "listening" in line]
    assert len(listening) == 1 and "listening smtp 127.0.0.1:" in listening[0], listening


def test_an_ipv6_client_is_an_ipv6_address_literal(datadir):
    server = ServerWithListeners(datadir, "smtp=[::1]:0").start()
    try:
        port = int(server.wait_for_line(r"listening smtp \[::1\]:(\d+)", STARTUP_TIMEOUT).group(1))
        with SMTPClient(port, host="::1") as c:
            reply = c.transaction("sender@example.net", ["alice@test.example"], b"Subject: v6\r\n\r\nhello\r\n")
            assert reply.code == 250, reply
        [stored] = datadir.wait_new("alice@test.example")
        trace, _ = split_stored(stored.read_bytes())
        assert f"Received: from {CLIENT_HELO} ([IPv6:::1])\n".encode() in trace, trace
        server.wait_for_line(r"smtp: accepted .*client=\[::1\]", 30)
    finally:
        assert server.stop() == 0, server.log()
