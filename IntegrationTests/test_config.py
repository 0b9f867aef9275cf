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
