"""Email attachments: the size rules (pure), and sending through the outbox to a real SMTP server
with the files fetched from the fake Slack."""

from __future__ import annotations

import logging
import socket
import threading
from contextlib import contextmanager
from datetime import timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from slack_sdk import WebClient
from sqlmodel import Session

from slackbot.devtools.slack_api import Failure
from slackbot.domain.attachments import (
    MAX_FILE_BYTES,
    MAX_FILES,
    MAX_TOTAL_BYTES,
    MB,
    attachment_problems,
    clean_filename,
)
from slackbot.effects import PermanentFailure, RetryLater
from slackbot.outbound.attachments import SlackFiles, token_may_go_to
from slackbot.usecases.emails import queue_email
from storage.models import OutboxItem
from tests.support.env import services_with_smtp

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3
PDF = b"%PDF-1.7\n" + b"\x00\xff" * 500 + b"\n%%EOF\n"


def descriptor(file_id: str, name: str, size: int, mimetype: str = "image/png") -> dict:
    return {
        "id": file_id,
        "name": name,
        "mimetype": mimetype,
        "size": size,
        # A stored URL must never be used: the download URL comes from files.info.
        "url_private": "https://files.example.com/steal-the-token",
    }


# --- the rules, no fakes ---------------------------------------------------------------------


def test_files_within_the_limits_have_no_problems():
    files = [descriptor(f"F{i}", f"s{i}.png", MAX_TOTAL_BYTES // MAX_FILES) for i in range(10)]
    assert attachment_problems(files) == []
    assert attachment_problems([]) == []


def test_an_oversized_file_is_named_with_its_size_and_what_to_do():
    big = descriptor("F1", "scan.png", int(12.3 * MB))
    assert attachment_problems([big]) == [
        "“scan.png” is 12.3 MB; attachments may be at most 10 MB each: "
        "remove it or attach a smaller one"
    ]
    assert attachment_problems([descriptor("F1", "ok.png", MAX_FILE_BYTES)]) == []


def test_too_many_files_and_too_much_in_total_are_refused():
    eleven = [descriptor(f"F{i}", f"s{i}.png", 1000) for i in range(11)]
    assert attachment_problems(eleven) == [
        "11 files are attached; at most 10 can be sent with one email: remove 1"
    ]
    two = [descriptor("F1", "a.png", 9 * MB), descriptor("F2", "b.png", 9 * MB)]
    assert attachment_problems(two) == [
        "the attachments add up to 18.0 MB; one email can carry at most 17 MB: "
        "remove some or attach smaller ones"
    ]


def test_names_with_line_breaks_or_paths_are_cleaned_not_refused():
    weird = descriptor("F1", "../etc/pass\r\nBcc: x@example.com.png", 10)
    assert attachment_problems([weird]) == []
    assert (
        clean_filename("../etc/pass\r\nBcc: x@example.com.png")
        == "_etc_pass Bcc: x@example.com.png"
    )
    assert clean_filename("C:\\Users\\me\\trace.har") == "C:_Users_me_trace.har"
    assert clean_filename("..") == "attachment"
    assert clean_filename(None) == "attachment"
    long = clean_filename("x" * 300 + ".png")
    assert len(long) == 150
    assert long.endswith("x.png")


def test_the_total_limit_keeps_the_encoded_email_under_25_mb():
    message = EmailMessage()
    message["Subject"] = "Screenshots"
    message.set_content("Body " * 2000)
    message.add_alternative("<p>" + "Body " * 2000 + "</p>", subtype="html")
    first = bytes(range(256)) * (MAX_FILE_BYTES // 256)
    second = bytes(range(256)) * ((MAX_TOTAL_BYTES - MAX_FILE_BYTES) // 256)
    message.add_attachment(first, "image", "png", filename="a.png")
    message.add_attachment(second, "image", "png", filename="b.png")
    assert len(first) + len(second) == MAX_TOTAL_BYTES
    assert len(message.as_bytes()) < 25_000_000


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://files.slack.com/files-pri/T1-F1/download/scan.png", True),
        ("https://a.slack-edge.com/x.png", True),
        ("https://slack.com/x", True),
        ("http://files.slack.com/files-pri/T1-F1/scan.png", False),  # not over https
        ("https://files.slack.com.example.com/scan.png", False),
        ("https://notslack.com/scan.png", False),
        ("https://files.slack.com@example.com/scan.png", False),
        ("http://127.0.0.1:8123/files/scan.png", True),  # SLACK_API_URL's origin
        ("http://127.0.0.1:8124/files/scan.png", False),
        ("https://127.0.0.1:8123/files/scan.png", False),
        ("file:///etc/passwd", False),
        ("https://[::1/scan.png", False),  # malformed
    ],
)
def test_the_token_goes_only_to_slack_or_to_slack_api_url(url, allowed):
    assert token_may_go_to(url, api_url="http://127.0.0.1:8123/api/") is allowed


# --- the fetcher against the fake Slack ------------------------------------------------------


def _files(fake_slack, **kwargs) -> SlackFiles:
    client = WebClient(token="xoxb-test-token", base_url=fake_slack.url)
    return SlackFiles(client, token="xoxb-test-token", api_url=fake_slack.url, **kwargs)


def test_a_file_larger_than_the_limit_is_not_downloaded_past_it(fake_slack):
    fake_slack.files["scan.png"] = PNG
    fake_slack.file_infos["F1"] = {"name": "scan.png", "size": 10}  # Slack's size was wrong
    with pytest.raises(PermanentFailure, match="“scan.png” is larger than"):
        _files(fake_slack).download("F1", label="scan.png", limit=len(PNG) - 1)
    assert _files(fake_slack).download("F1", label="scan.png", limit=len(PNG)).data == PNG


def test_a_download_url_off_slack_is_refused_and_gets_no_token(fake_slack):
    fake_slack.file_infos["F1"] = {
        "name": "scan.png",
        "url_private_download": "https://files.example.com/scan.png",
    }
    with pytest.raises(PermanentFailure, match="“scan.png” is served from files.example.com"):
        _files(fake_slack).download("F1", label="scan.png")


def test_slack_errors_are_classified(fake_slack):
    fake_slack.fail("files.info", Failure(error="missing_scope"))
    with pytest.raises(PermanentFailure, match="“scan.png” .*files:read"):
        _files(fake_slack).download("F1", label="scan.png")
    fake_slack.fail("files.info", Failure(error="file_deleted"))
    with pytest.raises(PermanentFailure, match="“scan.png” was deleted"):
        _files(fake_slack).download("F1", label="scan.png")
    fake_slack.fail("files.info", Failure(error="ratelimited"))
    with pytest.raises(RetryLater, match="ratelimited"):
        _files(fake_slack).download("F1", label="scan.png")


def test_an_unreachable_file_host_is_retried(fake_slack):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    fake_slack.file_infos["F1"] = {"name": "scan.png", "url_private_download": closed + "/f"}
    files = SlackFiles(
        WebClient(token="xoxb-test-token", base_url=fake_slack.url),
        token="xoxb-test-token",
        api_url=closed + "/api/",
    )
    with pytest.raises(RetryLater, match="could not download the attachment “scan.png”"):
        files.download("F1", label="scan.png")


@contextmanager
def file_host(
    fake_slack, body: bytes, content_type: str, *, length: bool = True, redirect: str = ""
):
    """A SlackFiles whose file F1 is served by a tiny host that is SLACK_API_URL's origin;
    with `redirect`, the file's URL answers 302 to it."""

    class Host(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802 - http.server's naming
            if redirect and self.path == "/f":
                self.send_response(302)
                self.send_header("Location", redirect)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            if length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()  # HTTP/1.0 without a length: the body ends when the socket does
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Host)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    fake_slack.file_infos["F1"] = {"name": "scan.png", "url_private_download": origin + "/f"}
    try:
        yield SlackFiles(
            WebClient(token="xoxb-test-token", base_url=fake_slack.url),
            token="xoxb-test-token",
            api_url=origin + "/api/",
        )
    finally:
        server.shutdown()
        server.server_close()


def test_a_login_page_instead_of_the_file_is_refused(fake_slack):
    page = b"<html>Sign in to Slack</html>"
    with (
        file_host(fake_slack, page, "text/html; charset=utf-8") as files,
        pytest.raises(PermanentFailure, match="web page instead of the attachment “scan.png”"),
    ):
        files.download("F1", label="scan.png")


def test_a_file_without_a_length_is_cut_off_at_the_limit(fake_slack):
    with file_host(fake_slack, PNG, "image/png", length=False) as files:
        assert files.download("F1", label="scan.png", limit=len(PNG)).data == PNG
        with pytest.raises(PermanentFailure, match="“scan.png” is larger than"):
            files.download("F1", label="scan.png", limit=len(PNG) - 1)


def test_redirects_are_followed_only_where_the_token_may_go(fake_slack):
    with file_host(fake_slack, PNG, "image/png", redirect="/download/scan.png") as files:
        assert files.download("F1", label="scan.png").data == PNG
    elsewhere = "https://cdn.example.com/scan.png"
    with (
        file_host(fake_slack, PNG, "image/png", redirect=elsewhere) as files,
        pytest.raises(PermanentFailure, match="“scan.png” is served from cdn.example.com"),
    ):
        files.download("F1", label="scan.png")


# --- through the outbox to a real SMTP server ------------------------------------------------


def _queue(services, clock, attachments) -> int:
    with Session(services.engine) as session:
        item_id = queue_email(
            session,
            to=["vendor@example.com"],
            subject="[ESC-7] Login fails",
            text="Screenshots attached.",
            now=clock.now(),
            email_from="escalations@example.com",
            attachments=attachments,
        ).id
        session.commit()
    return item_id


def _row(services, item_id) -> OutboxItem:
    with Session(services.engine) as session:
        return session.get(OutboxItem, item_id)


def _put(fake_slack, file_id, name, data, mimetype):
    fake_slack.files[name] = data
    fake_slack.file_infos[file_id] = {"name": name, "mimetype": mimetype}


def test_files_are_fetched_with_the_bot_token_and_attached(fake_slack, database, clock, smtp):
    services = services_with_smtp(fake_slack, database, clock, smtp)
    _put(fake_slack, "F0SCAN", "scan.png", PNG, "image/png")
    _put(fake_slack, "F0SPEC", "spec.pdf", PDF, "application/pdf")
    item_id = _queue(
        services,
        clock,
        [
            descriptor("F0SCAN", "scan.png", len(PNG)),
            descriptor("F0SPEC", "a/spec\r\n.pdf", len(PDF), mimetype="application/pdf"),
        ],
    )

    services.outbox.deliver_due()

    [received] = smtp.messages
    assert received.message.get_body(("plain",)).get_content().rstrip() == "Screenshots attached."
    parts = [
        (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
        for part in received.message.iter_attachments()
    ]
    assert parts == [
        ("scan.png", "image/png", PNG),
        ("a_spec .pdf", "application/pdf", PDF),
    ]
    assert [call.body["file"] for call in fake_slack.calls_to("files.info")] == [
        "F0SCAN",
        "F0SPEC",
    ]
    for path in ("GET /files/scan.png", "GET /files/spec.pdf"):
        [get] = fake_slack.calls_to(path)
        assert get.headers["Authorization"] == "Bearer xoxb-test-token"
    assert _row(services, item_id).state == "done"


def test_an_oversized_file_fails_the_email_and_nothing_is_sent(fake_slack, database, clock, smtp):
    services = services_with_smtp(fake_slack, database, clock, smtp)
    _put(fake_slack, "F0SCAN", "scan.png", PNG, "image/png")
    item_id = _queue(services, clock, [descriptor("F0BIG", "big.png", int(12.3 * MB))])

    services.outbox.deliver_due()

    row = _row(services, item_id)
    assert row.state == "failed"
    assert row.last_error == (
        "“big.png” is 12.3 MB; attachments may be at most 10 MB each: "
        "remove it or attach a smaller one"
    )
    assert smtp.messages == []
    assert fake_slack.calls_to("files.info") == []


def test_a_file_gone_from_slack_fails_the_email_naming_it(fake_slack, database, clock, smtp):
    services = services_with_smtp(fake_slack, database, clock, smtp)
    item_id = _queue(services, clock, [descriptor("F0GONE", "gone.png", len(PNG))])

    services.outbox.deliver_due()

    row = _row(services, item_id)
    assert row.state == "failed"
    assert row.last_error == (
        "the attachment “gone.png” is no longer in Slack (file_not_found): attach it again"
    )
    assert smtp.messages == []


def test_a_failed_download_is_retried_and_the_email_sent_once(
    fake_slack, database, clock, smtp, caplog
):
    caplog.set_level(logging.DEBUG)
    services = services_with_smtp(fake_slack, database, clock, smtp)
    _put(fake_slack, "F0SCAN", "scan.png", PNG, "image/png")
    fake_slack.fail("GET /files/scan.png", Failure(status=500, error="internal_error"))
    item_id = _queue(services, clock, [descriptor("F0SCAN", "scan.png", len(PNG))])

    services.outbox.deliver_due()
    row = _row(services, item_id)
    assert row.state == "pending"
    assert "HTTP 500" in row.last_error
    assert smtp.messages == []
    services.outbox.deliver_due()  # not due yet: backoff
    assert len(fake_slack.calls_to("GET /files/scan.png")) == 1

    clock.advance(timedelta(minutes=1))
    services.outbox.deliver_due()
    services.outbox.deliver_due()

    [received] = smtp.messages
    [part] = received.message.iter_attachments()
    assert part.get_payload(decode=True) == PNG
    assert len(fake_slack.calls_to("GET /files/scan.png")) == 2
    row = _row(services, item_id)
    assert (row.state, row.attempts) == ("done", 2)
    assert "xoxb-test-token" not in caplog.text
    assert repr(PNG[:16])[2:-1] not in caplog.text
