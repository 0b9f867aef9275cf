"""Real IMAP clients against the real binary: mbsync (isync) two-way sync of 1,000 messages in 5
folders with flag changes and expunges on both sides; offlineimap3; imapfilter searching and
moving; neomutt driven under tmux; Perl's Mail::IMAPClient. Each runs as a user would set it up:
plaintext LOGIN on loopback (allowed from 127.0.0.1 by default)."""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import PASSWORD, Server, apply_config_markers, sample_message
from imap_support import imap_client, imap_port, ok

ALICE = "alice@test.example"
FOLDERS = ["INBOX", "Archive", "Sent", "Lists", "Lists.Swift"]


@pytest.fixture
def imap_srv(request, datadir):
    apply_config_markers(request, datadir, pop3=True)
    srv = Server(datadir, pop3=True).start()
    yield srv
    srv.close_clients()
    rc = srv.stop()
    print(f"--- server log (last lines) ---\n{srv.log()}")
    assert rc == 0, f"server exit code {rc}\n{srv.log()}"


def need(tool):
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed (.ci/run installs it)")


def message(folder, n):
    return (f"From: list{n % 7}@example.net\r\nTo: {ALICE}\r\nSubject: {folder} message {n}\r\n"
            f"Message-ID: <{folder}.{n}@example.net>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\n"
            f"Body of {folder} {n}.\r\n").encode()


def fill_server(srv, per_folder):
    """APPEND messages to the server's folders (pipelined over one session)."""
    c = imap_client(srv, "alice")
    for folder in FOLDERS:
        if folder != "INBOX":
            c.create(folder)
        for n in range(per_folder):
            ok(c.append(folder, None, None, message(folder, n)))
    c.logout()


def local_maildir_message(path: Path, name: str, content: bytes):
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    (path / "new" / name).write_bytes(content.replace(b"\r\n", b"\n"))


def server_counts(srv):
    c = imap_client(srv, "alice")
    counts = {}
    for folder in FOLDERS:
        status = ok(c.status(folder, "(MESSAGES)"))[0]
        counts[folder] = int(re.search(rb"MESSAGES (\d+)", status).group(1))
    c.logout()
    return counts


# --------------------------------------------------------------------------
# mbsync


def mbsync_config(tmp_path, port):
    local = tmp_path / "mbsync-local"
    local.mkdir(exist_ok=True)
    config = tmp_path / "mbsyncrc"
    config.write_text(f"""IMAPAccount tsubame
Host 127.0.0.1
Port {port}
User {ALICE}
Pass "{PASSWORD}"
SSLType None
AuthMechs LOGIN
PipelineDepth 50

IMAPStore remote
Account tsubame

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel sync
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
Remove None
SyncState *
""")
    return config, local


def near(folder):
    """The local Maildir of a server folder: mbsync's `SubFolders Verbatim` nests with "/"."""
    return folder.replace(".", "/")


def local_files(local):
    return sorted(str(p.relative_to(local)) for p in local.rglob("*") if p.is_file() and p.parent.name in ("cur", "new"))


def server_state(srv):
    """Per folder: each message's UID and flags."""
    c = imap_client(srv, "alice")
    state = {}
    for folder in FOLDERS:
        ok(c.select(folder, readonly=True))
        state[folder] = sorted(ok(c.fetch("1:*", "(UID FLAGS)")))
    c.logout()
    return state


def run_mbsync(config, *options):
    r = subprocess.run(["mbsync", *options, "-c", str(config), "-a"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout
    return r.stdout


def test_mbsync_two_way_sync_of_1000_messages_in_5_folders(imap_srv, datadir, tmp_path):
    need("mbsync")
    fill_server(imap_srv, 120)                  # 600 on the server
    config, local = mbsync_config(tmp_path, imap_port(imap_srv))
    for folder in FOLDERS:                       # 400 only on this device
        for n in range(80):
            local_maildir_message(local / near(folder), f"{1700000000 + n}.local{n}.{folder}.host", message(f"local-{folder}", n))
    run_mbsync(config)
    counts = server_counts(imap_srv)
    assert counts == {f: 200 for f in FOLDERS}, counts
    for folder in FOLDERS:
        files = list((local / near(folder) / "cur").iterdir()) + list((local / near(folder) / "new").iterdir())
        assert len(files) == 200, folder

    # Changes on both sides: flag and delete on the device, flag and expunge on the server.
    inbox_cur = sorted((local / "INBOX" / "cur").iterdir()) + sorted((local / "INBOX" / "new").iterdir())
    for path in inbox_cur[:10]:
        base = path.name.split(":2,")[0]
        path.rename(local / "INBOX" / "cur" / (base + ":2,FS"))
    for path in inbox_cur[10:15]:
        path.unlink()
    c = imap_client(imap_srv, "alice")
    ok(c.select("Archive"))
    ok(c.store("1:20", "+FLAGS", "(\\Answered)"))
    ok(c.store("21:25", "+FLAGS", "(\\Deleted)"))
    ok(c.expunge())
    c.logout()

    run_mbsync(config)
    counts = server_counts(imap_srv)
    assert counts["INBOX"] == 195 and counts["Archive"] == 195, counts
    c = imap_client(imap_srv, "alice")
    ok(c.select("INBOX"))
    assert len(ok(c.search(None, "FLAGGED"))[0].split()) == 10
    c.logout()
    archive = list((local / "Archive" / "cur").iterdir()) + list((local / "Archive" / "new").iterdir())
    assert len(archive) == 195
    assert sum(1 for p in archive if re.search(r":2,[A-Z]*R", p.name)) == 20

    # A third run finds nothing to do on either side: the same files here, the same UIDs and
    # flags there, and no changes in mbsync's own account of the run.
    local_before = local_files(local)
    server_before = server_state(imap_srv)
    out = run_mbsync(config, "-V")
    assert local_files(local) == local_before
    assert server_state(imap_srv) == server_before
    assert not re.search(r"(?m)^\s*(Adding|Uploading|Propagating|Expunging|Deleting|Storing)\b.*[1-9]", out), out


# --------------------------------------------------------------------------
# offlineimap3


def test_offlineimap3_syncs_both_ways(imap_srv, datadir, tmp_path):
    need("offlineimap")
    fill_server(imap_srv, 5)
    local = tmp_path / "offlineimap-local"
    config = tmp_path / "offlineimaprc"
    config.write_text(f"""[general]
accounts = tsubame
metadata = {tmp_path / 'offlineimap-meta'}

[Account tsubame]
localrepository = local
remoterepository = remote

[Repository local]
type = Maildir
localfolders = {local}

[Repository remote]
type = IMAP
remotehost = 127.0.0.1
remoteport = {imap_port(imap_srv)}
remoteuser = {ALICE}
remotepass = {PASSWORD}
ssl = no
starttls = no
""")
    run = lambda: subprocess.run(["offlineimap", "-c", str(config), "-o", "-u", "basic"], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, timeout=300)
    r = run()
    assert r.returncode == 0, r.stdout
    inbox = local / "INBOX"
    files = list((inbox / "cur").iterdir()) + list((inbox / "new").iterdir())
    assert len(files) == 5, r.stdout
    # Flag one locally; offlineimap carries it to the server.
    path = files[0]
    base = path.name.split(":2,")[0]
    path.rename(inbox / "cur" / (base + ":2,F"))
    r = run()
    assert r.returncode == 0, r.stdout
    c = imap_client(imap_srv, "alice")
    ok(c.select("INBOX"))
    assert len(ok(c.search(None, "FLAGGED"))[0].split()) == 1
    c.logout()


# --------------------------------------------------------------------------
# imapfilter


def test_imapfilter_searches_and_moves(imap_srv, datadir, tmp_path):
    need("imapfilter")
    c = imap_client(imap_srv, "alice")
    for n in range(6):
        subject = "invoice" if n % 2 == 0 else "hello"
        ok(c.append("INBOX", None, None, f"From: shop@example.net\r\nSubject: {subject} {n}\r\n\r\nbody {n}\r\n".encode()))
    c.logout()
    config = tmp_path / "imapfilter.lua"
    config.write_text(f"""
options.timeout = 30
options.starttls = false
account = IMAP {{
    server = '127.0.0.1',
    port = {imap_port(imap_srv)},
    username = '{ALICE}',
    password = '{PASSWORD}',
}}
results = account.INBOX:contain_subject('invoice')
results:move_messages(account['Archive'])
flagged = account.INBOX:contain_subject('hello 1')
flagged:mark_flagged()
""")
    r = subprocess.run(["imapfilter", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})
    assert r.returncode == 0, r.stdout
    c = imap_client(imap_srv, "alice")
    ok(c.select("Archive"))
    assert len(ok(c.search(None, "SUBJECT", "invoice"))[0].split()) == 3
    ok(c.select("INBOX"))
    assert len(ok(c.search(None, "ALL"))[0].split()) == 3
    assert len(ok(c.search(None, "FLAGGED"))[0].split()) == 1
    c.logout()


# --------------------------------------------------------------------------
# Perl Mail::IMAPClient


def test_perl_mail_imapclient(imap_srv, datadir, tmp_path):
    imap_srv.deliver(ALICE, sample_message(1))
    script = tmp_path / "client.pl"
    script.write_text(r"""
use strict; use warnings;
use Mail::IMAPClient;
my ($port, $user, $pass) = @ARGV;
my $imap = Mail::IMAPClient->new(Server => '127.0.0.1', Port => $port, User => $user, Password => $pass,
                                 Uid => 1, Timeout => 30) or die "connect/login: $@";
my @folders = $imap->folders or die "folders: " . $imap->LastError;
print "FOLDERS @folders\n";
$imap->select('INBOX') or die "select: " . $imap->LastError;
my @msgs = $imap->messages or die "messages: " . $imap->LastError;
print "COUNT " . scalar(@msgs) . "\n";
my $subject = $imap->get_header($msgs[0], 'Subject');
print "SUBJECT $subject\n";
my $body = $imap->message_string($msgs[0]) or die "fetch: " . $imap->LastError;
print "SIZE " . length($body) . "\n";
$imap->set_flag('Flagged', $msgs[0]) or die "store: " . $imap->LastError;
my $uid = $imap->append_string('Sent', "Subject: from perl\r\n\r\nhello\r\n", '\\Seen') or die "append: " . $imap->LastError;
print "APPENDED $uid\n";
$imap->select('Sent') or die;
my @found = $imap->search('SUBJECT', 'perl');
print "FOUND @found\n";
$imap->logout;
""")
    r = subprocess.run(["perl", str(script), str(imap_port(imap_srv)), ALICE, PASSWORD], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    assert r.returncode == 0, r.stdout
    out = r.stdout
    assert re.search(r"^FOLDERS .*INBOX.*Sent", out, re.M), out
    assert "COUNT 1" in out and re.search(r"^SUBJECT message 1$", out, re.M), out
    assert re.search(r"^APPENDED 1$", out, re.M) and re.search(r"^FOUND 1$", out, re.M), out
    c = imap_client(imap_srv, "alice")
    ok(c.select("INBOX"))
    assert ok(c.search(None, "FLAGGED")) == [b"1"]
    c.logout()


# --------------------------------------------------------------------------
# neomutt under tmux


def test_neomutt_reads_and_deletes_under_tmux(imap_srv, datadir, tmp_path):
    need("neomutt")
    need("tmux")
    for n in range(3):
        imap_srv.deliver(ALICE, f"From: friend{n}@example.net\r\nTo: {ALICE}\r\nSubject: neomutt check {n}\r\n\r\nhi {n}\r\n".encode())
    muttrc = tmp_path / "muttrc"
    port = imap_port(imap_srv)
    muttrc.write_text(f"""
set folder = "imap://127.0.0.1:{port}/"
set spoolfile = "+INBOX"
set imap_user = "{ALICE}"
set imap_pass = "{PASSWORD}"
set ssl_starttls = no
set ssl_force_tls = no
set imap_check_subscribed = no
set mail_check = 5
set timeout = 5
set delete = yes
set confirmappend = no
set header_cache = ""
set message_cachedir = ""
""")
    session = f"tsubame-neomutt-{os.getpid()}"
    env = {**os.environ, "HOME": str(tmp_path), "TERM": "xterm-256color"}
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "40",
                    f"neomutt -n -F {muttrc}"], check=True, env=env)
    try:
        def screen():
            return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], stdout=subprocess.PIPE,
                                  text=True, env=env).stdout

        def wait_screen(pattern, timeout=30):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                text = screen()
                if re.search(pattern, text):
                    return text
                time.sleep(0.3)
            raise AssertionError(f"no {pattern!r} on screen:\n{screen()}")

        wait_screen(r"neomutt check 2")
        text = screen()
        assert "neomutt check 0" in text and "neomutt check 1" in text
        # Open the first message, back to the index, delete it, sync ($).
        subprocess.run(["tmux", "send-keys", "-t", session, "Enter"], check=True, env=env)
        wait_screen(r"hi \d")
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=True, env=env)
        time.sleep(0.5)
        subprocess.run(["tmux", "send-keys", "-t", session, "d"], check=True, env=env)
        subprocess.run(["tmux", "send-keys", "-t", session, "$"], check=True, env=env)
        deadline = time.monotonic() + 20
        while True:
            c = imap_client(imap_srv, "alice")
            ok(c.select("INBOX", readonly=True))
            remaining = ok(c.search(None, "ALL"))[0].split()
            seen = ok(c.search(None, "SEEN"))[0].split()
            c.logout()
            if len(remaining) == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert len(remaining) == 2, screen()
        assert len(seen) <= 2
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], env=env)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], env=env)
