"""A private Dovecot 2.3 (Debian's dovecot-imapd and dovecot-pop3d) serving IMAP and POP3 on
loopback with its own config file, for the tests that move a Maildir between Tsubame and
Dovecot. Same passwords as Tsubame's directory (its yescrypt hashes in a passwd-file), the
Maildir++ layout with "." as separator, the special-use folders Tsubame creates, Dovecot's
default POP3 UIDL format (so only the uidlist's `P` field can make it answer Tsubame's UIDLs).
Mail is owned by `nobody`; the tests copy Maildirs in and out."""

import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

CONF = """\
instance_name = dovecot-tsubame-test-{tag}
base_dir = {base}
state_dir = {state}
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {log}
info_log_path = {log}
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
shutdown_clients = yes
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
mail_location = maildir:{mail}/%d/%n
namespace inbox {{
  inbox = yes
  separator = .
  mailbox Sent {{
    special_use = \\Sent
  }}
  mailbox Drafts {{
    special_use = \\Drafts
  }}
  mailbox Trash {{
    special_use = \\Trash
  }}
  mailbox Junk {{
    special_use = \\Junk
  }}
  mailbox Archive {{
    special_use = \\Archive
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=CRYPT username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={mail}/%d/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chown_tree(root: Path, uid: int, gid: int):
    os.chown(root, uid, gid)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)


class DovecotIMAP:
    def __init__(self, workdir: Path, directory_sqlite: Path):
        self.root = workdir / "dovecot"
        self.mail = self.root / "mail"
        self.log = self.root / "dovecot.log"
        self.user = pwd.getpwnam("nobody")
        self.imap_port = free_port()
        self.pop3_port = free_port()
        self.proc = None
        os.chmod(workdir, 0o755)
        for d in (self.root, self.root / "state", self.mail):
            d.mkdir(mode=0o755, parents=True, exist_ok=True)
        db = sqlite3.connect(f"file:{directory_sqlite}?mode=ro", uri=True)
        rows = db.execute("SELECT local_part, domain, password_hash FROM users").fetchall()
        db.close()
        passwd = self.root / "passwd"
        passwd.write_text("".join(f"{lp}@{dom}:{h}\n" for lp, dom, h in rows))
        os.chmod(passwd, 0o644)
        self.log.touch()
        self.conf = self.root / "dovecot.conf"
        self.conf.write_text(CONF.format(
            tag=os.getpid(), base=self.root / "run", state=self.root / "state", log=self.log, mail=self.mail,
            passwd=passwd, uid=self.user.pw_uid, gid=self.user.pw_gid, imap_port=self.imap_port,
            pop3_port=self.pop3_port))

    def maildir(self, address):
        local, domain = address.rsplit("@", 1)
        return self.mail / domain / local

    def take_maildir(self, address, source: Path):
        """A copy of SOURCE becomes ADDRESS's Maildir here (as a site moving to Dovecot would copy it)."""
        target = self.maildir(address)
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, target, symlinks=True)
        chown_tree(self.mail, self.user.pw_uid, self.user.pw_gid)

    def give_maildir(self, address, target: Path):
        """ADDRESS's Maildir here, copied back over TARGET (Dovecot's index files left behind)."""
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.maildir(address), target, symlinks=True,
                        ignore=shutil.ignore_patterns("dovecot.index*", "dovecot.list.index*"))

    def start(self):
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=open(self.root / "stderr", "wb"),
                                     start_new_session=True)
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited: {(self.root / 'stderr').read_text()}\n{self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.imap_port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot does not answer:\n{self.log.read_text()}")
            time.sleep(0.1)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def problems(self):
        return [line for line in self.log.read_text(errors="replace").splitlines()
                if any(word in line for word in (" Error: ", " Panic: ", " Fatal: "))]
