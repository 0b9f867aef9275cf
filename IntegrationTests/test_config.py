"""tsubame.toml: `config check` with key and line, and SIGHUP reload."""

import signal

from conftest import run_cli


def test_config_check_accepts_the_init_file(datadir):
    result = run_cli("config", "check", "--data", datadir.path)
    assert result.returncode == 0
    assert b"OK" in result.stdout


def test_config_check_names_key_and_line(datadir):
    text = datadir.config.read_text()
    text = text.replace("max_recipients = 100", "max_recipients = -3")
    text += "\nunknown_setting = 1\n"
    datadir.config.write_text(text)
    bad_line = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("max_recipients"))
    result = run_cli("config", "check", "--data", datadir.path, check=False)
    assert result.returncode == 1
    out = result.stdout.decode()
    assert f"line {bad_line}: smtp.max_recipients: must be between" in out
    assert "unknown_setting: unknown key" in out


def test_config_check_reads_the_outbound_sections_of_the_init_file(datadir):
    """`init` writes [delivery], [queue] and [dns] with their defaults and commented examples;
    setting them is checked with key and line like the rest."""
    datadir.set_table("delivery", relay_host="smtp.isp.example:587", relay_username="me@isp.example",
                      relay_password_file="relay-password")
    datadir.set_table("queue", max_lifetime="3d", first_retry="90s")
    with datadir.config.open("a") as config:
        config.write('\n[delivery.routes]\n"example.org" = "[192.0.2.10]:25"\n')
    assert b"OK" in run_cli("config", "check", "--data", datadir.path).stdout

    datadir.set_table("delivery", relay_host="192.0.2.1:587")
    datadir.set_table("queue", delay_warning="4d")
    text = datadir.config.read_text()
    result = run_cli("config", "check", "--data", datadir.path, check=False)
    assert result.returncode == 1
    out = result.stdout.decode()
    for key in ["delivery.relay_host", "queue.delay_warning"]:
        name = key.split(".")[-1]
        line = next(i for i, text_line in enumerate(text.splitlines(), 1) if text_line.startswith(f"{name} ="))
        assert f"line {line}: {key}: " in out, out


def test_sighup_reloads_settings_for_new_sessions(datadir, start_server):
    datadir.set_smtp(max_recipients=5)
    server = start_server()
    datadir.set_smtp(max_recipients=1)
    server.proc.send_signal(signal.SIGHUP)
    server.wait_for_line(r"configuration reloaded", 10)
    with server.connect() as client:
        client.ehlo()
        client.expect("MAIL FROM:<a@example.net>", 250)
        client.expect("RCPT TO:<alice@test.example>", 250)
        client.expect("RCPT TO:<bob@test.example>", 452, "4.5.3")


def test_sighup_with_a_broken_file_keeps_the_running_settings(datadir, start_server):
    datadir.set_smtp(max_recipients=1)
    server = start_server()
    datadir.config.write_text(datadir.config.read_text().replace("max_recipients = 1", "max_recipients = \"lots\""))
    server.proc.send_signal(signal.SIGHUP)
    server.wait_for_line(r"configuration reload refused", 10)
    with server.connect() as client:
        client.ehlo()
        client.expect("MAIL FROM:<a@example.net>", 250)
        client.expect("RCPT TO:<alice@test.example>", 250)
        client.expect("RCPT TO:<bob@test.example>", 452, "4.5.3")
    assert server.running
