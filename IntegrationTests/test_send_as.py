"""`tsubame user send-as add|remove|list`: the addresses a user may send as after logging in,
besides its own, its plus-addresses and the aliases that deliver to it (issue 9)."""

from conftest import run_cli


def send_as(datadir, *args, check=True):
    return run_cli("user", "send-as", *args, "--data", datadir.path, check=check)


def listed(datadir, *account):
    return send_as(datadir, "list", *account).stdout.decode().splitlines()


def test_grants_are_added_listed_and_removed(datadir):
    result = send_as(datadir, "add", "Alice@test.example", "CEO@Other.Example")
    assert result.stdout.decode().strip() == "alice@test.example may send as CEO@Other.Example"
    send_as(datadir, "add", "alice@test.example", "@Partner.Example")
    send_as(datadir, "add", "bob@test.example", "Sales@TEST.example")
    # canonical like alias targets: a remote local part as written, local addresses lowercased
    assert listed(datadir, "alice@test.example") == [
        "alice@test.example @partner.example",
        "alice@test.example CEO@other.example",
    ]
    assert listed(datadir) == [
        "alice@test.example @partner.example",
        "alice@test.example CEO@other.example",
        "bob@test.example sales@test.example",
    ]
    removed = send_as(datadir, "remove", "alice@test.example", "ceo@other.example")
    assert removed.stdout.decode().strip() == "alice@test.example may no longer send as ceo@other.example"
    assert listed(datadir, "alice@test.example") == ["alice@test.example @partner.example"]


def test_mistakes_are_refused_with_a_message_and_a_failing_exit_code(datadir):
    send_as(datadir, "add", "alice@test.example", "ceo@other.example")
    cases = [
        (("add", "alice@test.example", "CEO@other.example"), "alice@test.example may already send as"),
        (("add", "nobody@test.example", "ceo@other.example"), "no such user nobody@test.example"),
        (("add", "info@test.example", "ceo@other.example"), "no such user info@test.example"),
        (("add", "alice@test.example", "not-an-address"), "invalid address: not-an-address"),
        (("add", "alice@test.example", "a b@other.example"), "invalid address"),
        (("remove", "alice@test.example", "cfo@other.example"),
         "alice@test.example has no send-as grant for cfo@other.example"),
        (("list", "nobody@test.example"), "no such user nobody@test.example"),
    ]
    for args, message in cases:
        result = send_as(datadir, *args, check=False)
        assert result.returncode != 0, args
        assert message in (result.stderr + result.stdout).decode(), (args, result)
    assert listed(datadir) == ["alice@test.example ceo@other.example"]


def test_removing_a_user_removes_its_grants(datadir):
    send_as(datadir, "add", "carol@test.example", "@other.example")
    send_as(datadir, "add", "dave@test.example", "x@other.example")
    run_cli("user", "remove", "carol@test.example", "--data", datadir.path)
    datadir.add_user("carol@test.example")
    assert listed(datadir, "carol@test.example") == []
    assert listed(datadir) == ["dave@test.example x@other.example"]
