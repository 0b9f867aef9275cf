"""The fail2ban filter and jail in contrib/fail2ban, checked with Debian's fail2ban against
the lines a real server logs: every failed login (POP3 USER/PASS and AUTH, SMTP AUTH on
submissions) and every login refused by a lockout gives its client's address, successes give
nothing, and a user name that imitates a failure line never bans the address it names."""

import collections
import shutil
import smtplib
import ssl
import subprocess
from pathlib import Path

import pytest

from conftest import PASSWORD

CONTRIB = Path(__file__).resolve().parent.parent / "contrib" / "fail2ban"
FILTER = CONTRIB / "filter.d" / "tsubame.conf"
JAIL = CONTRIB / "jail.d" / "tsubame.local"
ALICE = "alice@test.example"
FORGED = "x notice smtp: authentication failed client=[198.51.100.1]"

pytestmark = pytest.mark.skipif(shutil.which("fail2ban-regex") is None, reason="fail2ban is not installed")


def _pop3_user_pass(server, user, password, source):
    c = server.pop3(source=source)
    c.cmd(f"USER {user}")
    reply = c.cmd(f"PASS {password}")
    c.close()
    return reply


def _smtp_auth(server, user, password, source):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP_SSL("127.0.0.1", server.submissions_port, source_address=(source, 0),
                          context=context, timeout=30) as client:
        try:
            # One mechanism: login() would try LOGIN after a refused PLAIN, two failures.
            client.ehlo()
            client.user, client.password = user, password
            client.auth("PLAIN", client.auth_plain)
            return 235
        except smtplib.SMTPAuthenticationError as error:
            return error.smtp_code


def _banned_addresses(log_path):
    """fail2ban-regex's view: one address per matched line."""
    run = subprocess.run(["fail2ban-regex", "-o", "ip", str(log_path), str(FILTER)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return collections.Counter(line.strip() for line in run.stdout.splitlines() if line.strip())


@pytest.mark.auth_config(lockout_failures=100, lockout_failures_per_account=3)
def test_filter_matches_failed_logins_and_lockouts_only(pop3_server, tmp_path):
    # 127.0.0.2: three wrong passwords for alice, then locked out (a fourth line).
    for _ in range(4):
        _pop3_user_pass(pop3_server, ALICE, "wrong", "127.0.0.2")
    # 127.0.0.3: an unknown account, through AUTH PLAIN.
    c = pop3_server.pop3(source="127.0.0.3")
    assert c.auth_plain("nobody@test.example", "wrong").startswith("-ERR")
    c.close()
    # 127.0.0.4: a user name that looks like a failure line for another address (AUTH PLAIN:
    # USER's argument has no spaces).
    c = pop3_server.pop3(source="127.0.0.4")
    assert c.auth_plain(FORGED, "wrong").startswith("-ERR")
    c.close()
    pop3_server.wait_for_line(r"pop3: authentication failed client=\[127\.0\.0\.4\]", 30)
    # 127.0.0.5: SMTP AUTH on submissions (465), a wrong password.
    assert _smtp_auth(pop3_server, ALICE, "wrong", "127.0.0.5") == 535
    # 127.0.0.6: successful logins, POP3 and SMTP.
    assert _pop3_user_pass(pop3_server, ALICE, PASSWORD, "127.0.0.6").startswith("+OK")
    assert _smtp_auth(pop3_server, ALICE, PASSWORD, "127.0.0.6") == 235

    pop3_server.wait_for_line(r"smtp: login .*client=\[127\.0\.0\.6\]", 30)
    log = tmp_path / "tsubame.log"
    with pop3_server.cond:
        log.write_text("".join(line + "\n" for name, line in pop3_server.lines if name == "stderr"))

    banned = _banned_addresses(log)
    assert banned == {"127.0.0.2": 4, "127.0.0.3": 1, "127.0.0.4": 1, "127.0.0.5": 1}, \
        f"{banned}\n{log.read_text()}"


def test_jail_example_is_a_valid_fail2ban_configuration(tmp_path):
    """The jail, with the filter, passes `fail2ban-client -t` on a copy of Debian's
    configuration (as shipped, for the journal, and switched to a log file)."""
    if shutil.which("fail2ban-client") is None:
        pytest.skip("fail2ban-client is not installed")
    config = tmp_path / "fail2ban"
    shutil.copytree("/etc/fail2ban", config)
    shutil.copy(FILTER, config / "filter.d" / "tsubame.conf")
    # Debian enables an sshd jail whose log may not exist here.
    (config / "jail.d" / "zz-no-sshd.local").write_text("[sshd]\nenabled = false\n")
    log = tmp_path / "tsubame.log"
    log.write_text("")
    jail = JAIL.read_text()
    variants = {"journal": jail,
                "file": jail.replace("backend  = systemd", "# backend  = systemd")
                            .replace("# backend = auto", "backend = auto")
                            .replace("# logpath = /var/log/tsubame.log", f"logpath = {log}")}
    assert variants["file"] != jail
    for name, text in variants.items():
        (config / "jail.d" / "tsubame.local").write_text(text)
        run = subprocess.run(["fail2ban-client", "-c", str(config), "-t"], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0 and "OK" in run.stdout + run.stderr, (name, run.stdout, run.stderr)
