"""The IMAP adapter against a real Dovecot on 127.0.0.1: each security mode, reading after the
last UID without marking anything seen, UIDVALIDITY changes, and how failures are classified."""

from __future__ import annotations

import socket
import ssl

import pytest

from slackbot.config import load_settings
from slackbot.domain.inbound import PollAction, plan_poll
from slackbot.outbound.imap import (
    ImapClient,
    ImapLoginRefused,
    ImapPermanent,
    ImapTransient,
)


def _mail(number: int, body: str = "Progress update.") -> bytes:
    return (
        f"From: Vendor support <support@vendor.example.com>\r\n"
        f"To: escalations@example.com\r\n"
        f"Subject: Re: ESC-{number}\r\n"
        f"Message-ID: <reply-{number}@vendor.example.com>\r\n"
        f"\r\n{body}\r\n"
    ).encode()


def _client(server, security: str = "none", **overrides) -> ImapClient:
    port = server.ssl_port if security == "ssl" else server.port
    options = {
        "host": server.host,
        "port": port,
        "username": server.user,
        "password": server.password,
        "security": security,
        "ssl_context": server.ssl_context(),
        "timeout": 5,
    }
    return ImapClient(**{**options, **overrides})


@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
def test_each_security_mode_reads_the_folder(dovecot, security):
    uid = dovecot.append(_mail(1))
    with _client(dovecot, security).open() as mailbox:
        assert mailbox.uidvalidity == dovecot.uidvalidity()
        assert mailbox.uidnext == uid + 1
        [message] = list(mailbox.fetch_after(0))
    assert message.uid == uid
    assert message.raw == _mail(1)
    assert not message.truncated


def test_fetch_after_last_uid_in_batches_without_marking_seen(dovecot):
    uids = [dovecot.append(_mail(number)) for number in range(1, 8)]
    with _client(dovecot, batch_size=3).open() as mailbox:
        assert [m.uid for m in mailbox.fetch_after(uids[3])] == uids[4:]
        # "UID n:*" names the highest UID even when it is below n: nothing new is nothing.
        assert list(mailbox.fetch_after(uids[-1])) == []
        assert mailbox.uids_after(0) == uids
    connection = dovecot.client()
    connection.select("INBOX")
    status, data = connection.uid("SEARCH", "UNSEEN")
    connection.logout()
    assert status == "OK" and len(data[0].split()) == len(uids)


def test_mark_seen_only_when_asked(dovecot):
    first, second = dovecot.append(_mail(1)), dovecot.append(_mail(2))
    with _client(dovecot).open() as mailbox:
        mailbox.mark_seen([first])
    connection = dovecot.client()
    connection.select("INBOX")
    _, data = connection.uid("SEARCH", "UNSEEN")
    connection.logout()
    assert data[0].split() == [str(second).encode()]


def test_oversized_messages_are_read_only_so_far(dovecot):
    uid = dovecot.append(_mail(1, body="x" * 5000))
    with _client(dovecot).open() as mailbox:
        [message] = mailbox.fetch([uid], max_bytes=1000)
    assert message.truncated and len(message.raw) == 1000
    assert message.size == len(_mail(1, body="x" * 5000))
    assert message.raw.startswith(b"From: Vendor support")


def test_uidvalidity_change_is_detected_and_means_rescan(dovecot):
    dovecot.create_folder("Vendor")
    dovecot.append(_mail(1), folder="Vendor")
    last = dovecot.append(_mail(2), folder="Vendor")
    client = _client(dovecot, folder="Vendor")
    with client.open() as mailbox:
        before = mailbox.uidvalidity
        assert plan_poll((before, last), before, mailbox.uidnext).action is PollAction.CONTINUE
    after = dovecot.recreate_folder("Vendor")
    uid = dovecot.append(_mail(1), folder="Vendor")
    with client.open() as mailbox:
        assert mailbox.uidvalidity == after != before
        plan = plan_poll((before, last), mailbox.uidvalidity, mailbox.uidnext)
        assert plan.action is PollAction.RESCAN
        assert [m.uid for m in mailbox.fetch_after(plan.after_uid)] == [uid]


def test_login_refused_is_permanent(dovecot):
    with pytest.raises(ImapLoginRefused) as error:
        _client(dovecot, password="wrong-password").open()
    assert not error.value.transient
    assert "wrong-password" not in str(error.value)


def test_missing_folder_is_permanent(dovecot):
    with pytest.raises(ImapPermanent, match="'Nope'"):
        _client(dovecot, folder="Nope").open()


def test_untrusted_certificate_is_permanent(dovecot):
    with pytest.raises(ImapPermanent, match="certificate"):
        _client(dovecot, "ssl", ssl_context=ssl.create_default_context()).open()


def test_server_stopped_is_transient_and_back_again_works(dovecot):
    dovecot.append(_mail(1))
    mailbox = _client(dovecot).open()
    dovecot.stop()
    with pytest.raises(ImapTransient):
        list(mailbox.fetch_after(0))
    mailbox.close()  # harmless on a dead connection
    with pytest.raises(ImapTransient) as error:
        _client(dovecot).open()
    assert error.value.transient
    dovecot.start()
    with _client(dovecot).open() as mailbox:
        assert len(list(mailbox.fetch_after(0))) == 1


def test_a_server_that_never_greets_times_out_as_transient():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        client = ImapClient("127.0.0.1", port, "user", "pass", security="none", timeout=0.5)
        with pytest.raises(ImapTransient, match="timed out"):
            client.open()


def test_from_settings():
    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    assert ImapClient.from_settings(load_settings(base, dotenv=False)) is None
    env = {
        **base,
        "IMAP_HOST": "imap.example.com",
        "IMAP_USERNAME": "escalations@example.com",
        "IMAP_PASSWORD": "pw",
        "IMAP_SECURITY": "starttls",
        "IMAP_FOLDER": "Vendor replies",
        "INBOUND_UNMATCHED_CHANNEL": "#escalations-inbox",
    }
    client = ImapClient.from_settings(load_settings(env, dotenv=False))
    assert (client.host, client.port, client.security) == ("imap.example.com", 143, "starttls")
    assert (client.username, client.folder) == ("escalations@example.com", "Vendor replies")
