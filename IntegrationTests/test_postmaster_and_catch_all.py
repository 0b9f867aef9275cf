"""Who gets mail for an address without its own user or alias: <Postmaster> and postmaster@
(RFC 5321 §4.5.1), and a domain's catch-all alias (`tsubame alias add @DOMAIN TARGET`)."""

import pytest

from conftest import DataDir, Server, run_cli

MESSAGE = b"Subject: routing\r\n\r\nbody\r\n"


@pytest.fixture
def two_domains(tmp_path):
    """zeta.example from `init --domain` (the primary), then alpha.example, first by name."""
    d = DataDir(tmp_path / "data")
    d.init(domain="zeta.example")
    d.add_domain("alpha.example")
    d.add_user("admin@zeta.example")
    d.add_user("alice@alpha.example")
    d.add_alias("postmaster@zeta.example", "admin@zeta.example")
    return d


@pytest.fixture
def start(request):
    servers = []

    def started(datadir):
        srv = Server(datadir).start()
        servers.append(srv)
        return srv

    yield started
    for srv in servers:
        srv.close_clients()
        assert srv.stop() == 0, srv.log()


def test_init_records_the_primary_domain(two_domains):
    assert 'primary_domain = "zeta.example"' in two_domains.config.read_text()


def test_bare_postmaster_reaches_the_primary_domain(two_domains, start):
    server = start(two_domains)
    server.deliver("Postmaster", MESSAGE)
    two_domains.wait_new("admin@zeta.example")
    assert two_domains.new_files("alice@alpha.example") == []


def test_postmaster_of_another_local_domain_reaches_the_primary_postmaster(two_domains, start):
    server = start(two_domains)
    server.deliver("postmaster@alpha.example", MESSAGE)
    two_domains.wait_new("admin@zeta.example")
    with server.connect() as c:
        c.ehlo()
        c.expect("MAIL FROM:<s@example.net>", 250)
        c.expect("RCPT TO:<abuse@alpha.example>", 550, "5.1.1")
        c.expect("RCPT TO:<postmaster@elsewhere.example>", 554)


def test_a_domains_own_postmaster_wins(two_domains, start):
    two_domains.add_alias("postmaster@alpha.example", "alice@alpha.example")
    server = start(two_domains)
    server.deliver("POSTMASTER@alpha.example", MESSAGE)
    two_domains.wait_new("alice@alpha.example")
    assert two_domains.new_files("admin@zeta.example") == []


def test_a_data_folder_without_primary_domain_uses_the_domain_added_first(two_domains, start):
    text = two_domains.config.read_text()
    two_domains.config.write_text(text.replace('primary_domain = "zeta.example"\n', ""))
    assert "primary_domain" not in two_domains.config.read_text()
    server = start(two_domains)
    server.deliver("Postmaster", MESSAGE)
    two_domains.wait_new("admin@zeta.example")


def test_catch_all_takes_unknown_addresses_and_exact_ones_win(datadir, start):
    server = start(datadir)
    with server.connect() as c:
        c.ehlo()
        c.expect("MAIL FROM:<s@example.net>", 250)
        c.expect("RCPT TO:<nobody@test.example>", 550, "5.1.1")

    datadir.add_alias("@test.example", "carol@test.example")
    listed = run_cli("alias", "list", "--data", datadir.path).stdout.decode()
    assert "@test.example -> carol@test.example" in listed.splitlines()

    server.deliver("nobody@test.example", MESSAGE)
    server.deliver('"Odd Name"@test.example', MESSAGE)
    datadir.wait_new("carol@test.example", 2)
    server.deliver("alice@test.example", MESSAGE)          # a user
    server.deliver("info@test.example", MESSAGE)           # an alias (alice, bob)
    server.deliver("bob+news@test.example", MESSAGE)       # a user's plus-address
    datadir.wait_new("alice@test.example", 2)
    datadir.wait_new("bob@test.example", 2)
    assert len(datadir.new_files("carol@test.example")) == 2
    with server.connect() as c:                            # other domains are still not ours
        c.ehlo()
        c.expect("MAIL FROM:<s@example.net>", 250)
        c.expect("RCPT TO:<nobody@example.com>", 554)

    run_cli("alias", "remove", "@test.example", "--data", datadir.path)
    with server.connect() as c:
        c.ehlo()
        c.expect("MAIL FROM:<s@example.net>", 250)
        c.expect("RCPT TO:<nobody@test.example>", 550, "5.1.1")
