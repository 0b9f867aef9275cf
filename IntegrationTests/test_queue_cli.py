"""`tsubame queue flush` and `tsubame queue bounce`: they change the queue database beside a
running server and wake its scheduler through DATA/queue/wake; the scheduler acts on it at
once."""

import json
import os
import re
import sqlite3
import stat
import time
from datetime import datetime, timezone

from conftest import run_cli


def queue_remote_message(datadir, start_server):
    """A message for far@remote.example, queued through an alias; returns (server, id)."""
    datadir.add_alias("fwd@test.example", "far@remote.example")
    datadir.suspend_delivery()  # remote.example does not exist: a live scheduler would bounce it
    server = start_server()
    with server.connect() as client:
        client.transaction("a@example.net", ["fwd@test.example"], b"Subject: q\r\n\r\nqueued\r\n")
    [entry] = datadir.queue_list()
    return server, entry["id"]


def show(datadir, qid):
    return json.loads(run_cli("queue", "show", qid, "--json", "--data", datadir.path).stdout)


def held_and_pending(datadir, qid):
    """Holds the message and waits until no attempt is in flight, so that no delivery attempt
    (a scheduler dialling remote.example) moves its times while the test looks at them."""
    run_cli("queue", "hold", qid, "--data", datadir.path)
    deadline = time.monotonic() + 30
    while show(datadir, qid)["recipients"][0]["status"] != "pending":
        assert time.monotonic() < deadline, show(datadir, qid)
        time.sleep(0.2)


def postpone(datadir, qid, seconds):
    """Moves the next attempt later, as a deferral would."""
    with sqlite3.connect(datadir.path / "queue.sqlite", timeout=10) as db:
        db.execute("UPDATE queue_recipients SET next_attempt_at = next_attempt_at + ? WHERE message_id = ?",
                   (seconds, qid))
    db.close()


def parse_time(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def test_queue_flush_makes_a_postponed_recipient_due_now_while_the_server_runs(datadir, start_server):
    server, qid = queue_remote_message(datadir, start_server)
    held_and_pending(datadir, qid)
    postpone(datadir, qid, 7200)
    assert parse_time(show(datadir, qid)["recipients"][0]["next_attempt"]) > time.time() + 3600

    before = time.time()
    flushed = run_cli("queue", "flush", qid, "--data", datadir.path).stdout.decode()
    # Held: nothing is due until it is released, and flush says so rather than releasing it.
    assert "0 recipients due now" in flushed and f"{qid} is held" in flushed
    entry = show(datadir, qid)
    assert entry["held"] is True
    assert before - 1 <= parse_time(entry["recipients"][0]["next_attempt"]) <= time.time()

    postpone(datadir, qid, 7200)
    everything = run_cli("queue", "flush", "--data", datadir.path).stdout.decode()
    assert re.search(r"^0 recipients due now$", everything, re.M)
    assert parse_time(show(datadir, qid)["recipients"][0]["next_attempt"]) <= time.time()

    missing = run_cli("queue", "flush", "NOSUCHID", "--data", datadir.path, check=False)
    assert missing.returncode != 0 and b"no queued message NOSUCHID" in missing.stderr
    assert server.running()


def test_queue_bounce_marks_the_message_for_the_scheduler(datadir, start_server):
    server, qid = queue_remote_message(datadir, start_server)
    # Stopped, so that a scheduler cannot act on the mark before the test reads it.
    assert server.stop() == 0
    assert show(datadir, qid)["bounce_requested"] is False
    said = run_cli("queue", "bounce", qid, "--data", datadir.path).stdout.decode()
    assert f"{qid} will be returned to its sender at the server's next look at the queue" in said
    assert show(datadir, qid)["bounce_requested"] is True
    assert "bounce requested: yes" in run_cli("queue", "show", qid, "--data", datadir.path).stdout.decode()
    assert "bounce-requested" in run_cli("queue", "list", "--data", datadir.path).stdout.decode()
    missing = run_cli("queue", "bounce", "NOSUCHID", "--data", datadir.path, check=False)
    assert missing.returncode != 0 and b"no queued message NOSUCHID" in missing.stderr


def test_queue_commands_wake_the_running_scheduler_through_its_fifo(datadir, start_server):
    server, qid = queue_remote_message(datadir, start_server)
    wake = datadir.path / "queue" / "wake"
    mode = os.lstat(wake).st_mode
    assert stat.S_ISFIFO(mode) and stat.S_IMODE(mode) == 0o600
    # The command found a reader on the FIFO: the running scheduler looks now.
    said = run_cli("queue", "bounce", qid, "--data", datadir.path).stdout.decode()
    assert f"{qid} will be returned to its sender now" in said
    assert server.running()
