"""Crash consistency: SIGKILL the server while clients deliver mail.

Four client threads send small unique messages without pause and record
which ones got 250 at the end of DATA.  The server is killed at a random
moment (0.3-2 s after the round's first acknowledgement), restarted on the
same data directory, and then:
  * every acknowledged message is in exactly one complete file in each of
    its recipients' new/ (multi-recipient ones: one inode),
  * every file in any new/ is complete: its message equals one that was
    sent, and its S=/W= sizes are right.
"""

import hashlib
import os
import random
import re
import threading
import time
from collections import Counter

from conftest import (ConnectionClosed, SMTPClient, Server, check_name,
                      split_stored)

ROUNDS = 5
CLIENTS = 4
RCPT_SETS = [
    ("alice@test.example",),
    ("bob@test.example",),
    ("carol@test.example",),
    ("alice@test.example", "bob@test.example"),
]
ID_RE = re.compile(rb"\nX-Crash-Id: ([0-9a-z-]+)\n")


def make_message(msg_id, rng):
    lines = [b"From: crash@example.net", b"To: test@test.example",
             b"Subject: crash " + msg_id.encode(),
             b"X-Crash-Id: " + msg_id.encode(), b""]
    for i in range(rng.randrange(1, 600)):
        lines.append(hashlib.sha256(f"{msg_id}/{i}".encode()).hexdigest().encode()
                     * rng.randrange(1, 3))
    lines.append(b"end " + msg_id.encode())
    return b"\r\n".join(lines) + b"\r\n"


class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = {}          # id -> (rcpts, stored form of the message)
        self.acked = set()
        self.errors = []

    def record(self, msg_id, rcpts, message):
        with self.lock:
            self.sent[msg_id] = (rcpts, message.replace(b"\r\n", b"\n"))

    def ack(self, msg_id):
        with self.lock:
            self.acked.add(msg_id)


def client_worker(port, rnd, worker, ledger, killed, seed):
    rng = random.Random(f"{seed}/{rnd}/{worker}")
    n = 0
    try:
        c = SMTPClient(port, timeout=30)
        c.ehlo()
        while True:
            msg_id = f"r{rnd}-w{worker}-{n}"
            n += 1
            rcpts = RCPT_SETS[rng.randrange(len(RCPT_SETS))]
            message = make_message(msg_id, rng)
            ledger.record(msg_id, rcpts, message)
            r = c.transaction("crash@example.net", rcpts, message, ehlo=False)
            if r.code != 250:
                raise AssertionError(f"{msg_id}: end of data got {r}")
            ledger.ack(msg_id)
    except (OSError, ConnectionClosed, AssertionError) as e:
        if not killed.is_set():
            with ledger.lock:
                ledger.errors.append(f"worker {worker} round {rnd}: {e!r}")


def verify(datadir, ledger):
    counts = Counter()
    inodes = {}
    for f in datadir.all_files("new"):
        mailbox = f"{f.parent.parent.name}@{f.parent.parent.parent.name}"
        content = f.read_bytes()
        _, message = split_stored(content)
        m = ID_RE.search(b"\n" + message)
        assert m, f"{f}: no X-Crash-Id: incomplete or foreign file: {content[:300]!r}"
        msg_id = m.group(1).decode()
        assert msg_id in ledger.sent, f"{f}: unknown id {msg_id}"
        rcpts, want = ledger.sent[msg_id]
        assert message == want, f"{f}: incomplete or damaged message {msg_id} " \
                                f"({len(message)} bytes, want {len(want)})"
        assert mailbox in rcpts, f"{f}: {msg_id} delivered to {mailbox}, not in {rcpts}"
        check_name(f, content)
        counts[(mailbox, msg_id)] += 1
        inodes.setdefault(msg_id, set()).add(f.stat().st_ino)
    dups = {k: v for k, v in counts.items() if v > 1}
    assert not dups, f"messages stored more than once: {dups}"
    lost = [(r, i) for i in sorted(ledger.acked) for r in ledger.sent[i][0]
            if counts[(r, i)] != 1]
    assert not lost, f"acknowledged but not in new/: {lost[:20]} ({len(lost)} in all)"
    for i in ledger.acked:
        assert len(inodes[i]) == 1, f"{i}: recipients do not share one file"


def test_sigkill_during_delivery(datadir):
    seed = os.environ.get("TSUBAME_CRASH_SEED", str(random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f"crash test seed {seed} (set TSUBAME_CRASH_SEED to repeat)")
    ledger = Ledger()
    datadir.set_smtp(max_connections_per_ip=32)     # 4 clients, whatever the default
    server = Server(datadir).start()
    try:
        for rnd in range(ROUNDS):
            killed = threading.Event()
            acked_before = len(ledger.acked)
            workers = [threading.Thread(target=client_worker, daemon=True,
                                        args=(server.port, rnd, w, ledger, killed, seed))
                       for w in range(CLIENTS)]
            for t in workers:
                t.start()
            deadline = time.monotonic() + 60
            while len(ledger.acked) == acked_before and not ledger.errors:
                assert time.monotonic() < deadline, \
                    f"round {rnd}: no message acknowledged within 60 s\n{server.log()}"
                time.sleep(0.01)
            assert not ledger.errors, ledger.errors
            time.sleep(rng.uniform(0.3, 2.0))     # the random moment of the crash
            killed.set()
            server.kill()
            for t in workers:
                t.join(60)
                assert not t.is_alive(), "client thread hangs after the kill"
            assert not ledger.errors, ledger.errors

            server = Server(datadir).start()       # same data dir, new port
            verify(datadir, ledger)
            print(f"round {rnd}: {len(ledger.acked) - acked_before} acknowledged, "
                  f"{len(ledger.sent)} sent in all")
        # the restarted server still takes mail
        with server.connect() as c:
            r = c.transaction("crash@example.net", ["carol@test.example"],
                              b"Subject: after\r\nX-Crash-Id: after\r\n\r\nafter\r\n")
            assert r.code == 250, r
    finally:
        rc = server.stop()
    assert rc == 0, f"exit code {rc} after SIGTERM\n{server.log()}"

