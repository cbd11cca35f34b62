"""``khm weekly --mail`` against a real SMTP server on loopback (aiosmtpd), the dry run,
the SMTP settings (env, config.toml), and ``khm weekly -f html``."""

from __future__ import annotations

import email
import email.policy
import json
import socket
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from khm.errors import ExitCode
from khm.render.cells import md_cell

WEEK = "2026-W48"
MONDAY = "2026-11-23"
TRICKY = 'Ærø <script>alert("x")</script> [bold]Å[/bold] & "co"'
EMAILS = {"ola": "ola@example.com", "kari": "kari@example.com", "idle": "idle@example.com"}


def seed(store, *, nomail: bool = False) -> None:
    """ola and kari have overdue work, idle has nothing; ``nomail``: a rep with work and
    no e-mail address."""
    from khm.store.models import Account, Rep, Touch

    with store.transaction() as s:
        s.add(Rep(handle="ola", name="Ola Nordmann", email=EMAILS["ola"], capacity=12))
        s.add(Rep(handle="kari", name="Kari Sørensen", email=EMAILS["kari"], capacity=12))
        s.add(Rep(handle="idle", name="Idle Rep", email=EMAILS["idle"], capacity=12))
        if nomail:
            s.add(Rep(handle="nils", name="Nils", capacity=12))
        s.flush()
        rows = [
            ("ACME", "Acme AS", "expand", "A", "ola"),
            ("BOLT", TRICKY, "keep", "B", "ola"),
            ("CORE", "Core Kft", "keep", "C", "kari"),
        ]
        if nomail:
            rows.append(("NORD", "Nord AB", "expand", "B", "nils"))
        for key, name, typ, cat, owner in rows:
            acc = Account(
                key=key,
                name=name,
                type=typ,
                category=cat,
                owner=owner,
                country="NO",
                tagged_at=datetime(2026, 1, 5),
            )
            s.add(acc)
            s.flush()
            for kind in ("visit", "call", "email", "newsletter", "webinar", "review"):
                s.add(Touch(account_id=acc.id, rep=owner, kind=kind, date=date(2026, 6, 2)))


@pytest.fixture
def book(store):
    seed(store)
    return store


# --------------------------------------------------------------------------- the server


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it receives and refuses some recipients."""

    refuse: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "session": id(session),
                "message": email.message_from_bytes(envelope.content, policy=email.policy.default),
            }
        )
        return "250 Message accepted"

    def to(self, address: str) -> Any:
        got = [m["message"] for m in self.messages if m["to"] == [address]]
        assert len(got) == 1, f"{len(got)} messages to {address}"
        return got[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _authenticate(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"khm"
        and auth_data.password == b"s3cret"
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@pytest.fixture
def smtp(monkeypatch):
    """A running SMTP server on 127.0.0.1 (login khm / s3cret offered, not required), and
    the KHM_SMTP_* environment pointing at it without TLS."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticate,
        auth_require_tls=False,
    )
    controller.start()
    for var in ("KHM_SMTP_USER", "KHM_SMTP_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("KHM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KHM_SMTP_PORT", str(port))
    monkeypatch.setenv("KHM_SMTP_FROM", "khm <khm@example.com>")
    monkeypatch.setenv("KHM_SMTP_TLS", "none")
    inbox.port = port  # type: ignore[attr-defined]
    yield inbox
    controller.stop()


@pytest.fixture(autouse=True)
def _no_smtp_env(monkeypatch):
    for var in ("HOST", "PORT", "FROM", "USER", "PASSWORD", "TLS"):
        monkeypatch.delenv(f"KHM_SMTP_{var}", raising=False)


def weekly(cli, *args, code=0):
    return cli("weekly", "--week", WEEK, "--today", MONDAY, *args, code=code)


def rep_json(cli, handle: str) -> dict[str, Any]:
    return json.loads(weekly(cli, "-f", "json", "--rep", handle).stdout)["reps"][0]


def parts(msg) -> dict[str, str]:
    """content type → decoded text of each leaf part (with the line ends of a file: SMTP
    carries CRLF)."""
    return {
        p.get_content_type(): p.get_content().replace("\r\n", "\n")
        for p in msg.walk()
        if not p.is_multipart()
    }


class Text(HTMLParser):
    """The text of an HTML document, and its start tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse_html(doc: str) -> Text:
    p = Text()
    p.feed(doc)
    p.close()
    return p


# --------------------------------------------------------------------------- sending


def test_mail_sends_one_message_per_rep_with_items_over_one_connection(cli, book, smtp):
    out = weekly(cli, "--mail").stdout
    assert sorted(m["to"][0] for m in smtp.messages) == ["kari@example.com", "ola@example.com"]
    assert len({m["session"] for m in smtp.messages}) == 1  # one SMTP connection
    assert all(m["from"] == "khm@example.com" for m in smtp.messages)
    for handle in ("ola", "kari"):
        rep = rep_json(cli, handle)
        overdue = sum(1 for i in rep["items"] if i["status"] == "overdue")
        assert rep["count"] > 0 and overdue > 0
        msg = smtp.to(EMAILS[handle])
        assert msg["Subject"] == f"khm {WEEK}: {rep['count']} items, {overdue} overdue"
        assert msg["To"].addresses[0].addr_spec == EMAILS[handle]
        assert msg["To"].addresses[0].display_name == rep["name"]
        assert msg["From"].addresses[0].addr_spec == "khm@example.com"
        assert msg["Date"] and msg["Message-ID"]
        assert msg.get_content_type() == "multipart/alternative"
        assert set(parts(msg)) == {"text/plain", "text/html"}
        assert f"sent to {EMAILS[handle]} ({handle}, {rep['count']} items" in out
    assert "skipped 1 rep(s) with nothing due: idle" in out


def test_mail_parts_keep_user_text_and_the_html_escapes_it(cli, book, smtp, tmp_path):
    weekly(cli, "--mail", "--rep", "ola")
    msg = smtp.to("ola@example.com")
    body = parts(msg)
    assert "Ærø" in body["text/plain"] and md_cell("[bold]Å[/bold]") in body["text/plain"]
    html = body["text/html"]
    assert "<script>" not in html and "&lt;script&gt;" in html
    page = parse_html(html)
    assert TRICKY in "".join(page.text)  # the name reads exactly as written
    assert "script" not in {t for t, _ in page.tags}
    # the parts are the rep's pages of `--out-dir -f html` and `-f markdown`
    for fmt, ext, part in (("html", "html", html), ("markdown", "md", body["text/plain"])):
        weekly(cli, "-f", fmt, "--out-dir", str(tmp_path))
        assert part == (tmp_path / f"ola-{WEEK}.{ext}").read_text(encoding="utf-8")


def test_mail_with_rep_sends_only_that_rep(cli, book, smtp):
    out = weekly(cli, "--mail", "--rep", "kari").stdout
    assert [m["to"] for m in smtp.messages] == [["kari@example.com"]]
    assert "ola" not in out


def test_a_refused_recipient_is_reported_and_the_others_are_still_sent(cli, book, smtp):
    smtp.refuse.add("kari@example.com")
    r = weekly(cli, "--mail", code=ExitCode.MAIL_FAILED)
    assert [m["to"] for m in smtp.messages] == [["ola@example.com"]]  # ola after kari
    failed = [line for line in r.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and failed[0].startswith("FAILED kari: recipient kari@example.com")
    assert "550" in failed[0]
    assert "sent to ola@example.com" in r.stdout
    assert "1 of 2 message(s) not sent: kari" in r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_a_rep_without_an_email_address_is_a_failure_the_others_are_sent(cli, store, smtp):
    seed(store, nomail=True)
    r = weekly(cli, "--mail", code=ExitCode.MAIL_FAILED)
    assert sorted(m["to"][0] for m in smtp.messages) == ["kari@example.com", "ola@example.com"]
    assert "FAILED nils: no e-mail address: set one with `khm rep edit nils --email" in r.stdout


def test_include_empty_mails_reps_with_nothing_due(cli, book, smtp):
    out = weekly(cli, "--mail", "--include-empty").stdout
    assert len(smtp.messages) == 3
    msg = smtp.to("idle@example.com")
    assert msg["Subject"] == f"khm {WEEK}: nothing due"
    assert "Nothing due this week." in parts(msg)["text/plain"]
    assert "skipped" not in out


def test_connection_refused_fails_every_rep_with_one_line_each(cli, book, smtp, monkeypatch):
    monkeypatch.setenv("KHM_SMTP_PORT", str(free_port()))  # nothing listens there
    r = weekly(cli, "--mail", code=ExitCode.MAIL_FAILED)
    failed = [line for line in r.stdout.splitlines() if line.startswith("FAILED")]
    assert [f.split(":")[0] for f in failed] == ["FAILED kari", "FAILED ola"]
    assert all("connection refused" in f for f in failed)
    assert not smtp.messages


def test_login_is_used_and_a_refused_login_is_reported(cli, book, smtp, monkeypatch):
    monkeypatch.setenv("KHM_SMTP_USER", "khm")
    monkeypatch.setenv("KHM_SMTP_PASSWORD", "wrong")
    r = weekly(cli, "--mail", code=ExitCode.MAIL_FAILED)
    assert not smtp.messages
    assert r.stdout.count("FAILED") == 2 and "login as khm refused" in r.stdout
    assert "535" in r.stdout
    monkeypatch.setenv("KHM_SMTP_PASSWORD", "s3cret")
    weekly(cli, "--mail")
    assert len(smtp.messages) == 2


def test_starttls_against_a_server_without_it_is_a_clear_failure(cli, book, smtp, monkeypatch):
    monkeypatch.delenv("KHM_SMTP_TLS")  # default: starttls
    r = weekly(cli, "--mail", code=ExitCode.MAIL_FAILED)
    assert "does not offer STARTTLS" in r.stdout and not smtp.messages


# --------------------------------------------------------------------------- dry run


def test_dry_run_writes_parseable_eml_files_and_connects_to_nothing(cli, book, smtp, tmp_path):
    out_dir = tmp_path / "mail"
    out = weekly(cli, "--mail-dry-run", "--out-dir", str(out_dir)).stdout
    assert not smtp.messages
    files = sorted(p.name for p in out_dir.iterdir())
    assert files == [f"kari-{WEEK}.eml", f"ola-{WEEK}.eml"]
    msg = email.message_from_bytes(
        (out_dir / f"ola-{WEEK}.eml").read_bytes(), policy=email.policy.default
    )
    assert msg["To"].addresses[0].addr_spec == "ola@example.com"
    assert msg["Subject"].startswith(f"khm {WEEK}: ")
    assert "Ærø" in parts(msg)["text/plain"] and "&lt;script&gt;" in parts(msg)["text/html"]
    assert f"wrote {out_dir / f'ola-{WEEK}.eml'} (to ola@example.com" in out


def test_dry_run_needs_no_smtp_server_only_a_sender(cli, book, tmp_path, monkeypatch):
    r = weekly(cli, "--mail-dry-run", "--out-dir", str(tmp_path), code=ExitCode.USAGE)
    assert "KHM_SMTP_FROM" in r.stderr
    monkeypatch.setenv("KHM_SMTP_FROM", "khm@example.com")
    weekly(cli, "--mail-dry-run", "--out-dir", str(tmp_path))
    assert (tmp_path / f"ola-{WEEK}.eml").is_file()


# --------------------------------------------------------------------------- settings


def write_config(text: str) -> Path:
    import os

    path = Path(os.environ["KHM_CONFIG_DIR"]) / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_settings_from_the_config_file_and_env_wins(cli, book, smtp, monkeypatch):
    for var in ("HOST", "PORT", "FROM", "TLS"):
        monkeypatch.delenv(f"KHM_SMTP_{var}")
    write_config(
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nfrom = "Team <lead@example.com>"\n'
        'tls = "none"\n'
    )
    weekly(cli, "--mail", "--rep", "ola")
    assert smtp.messages[-1]["from"] == "lead@example.com"
    monkeypatch.setenv("KHM_SMTP_FROM", "other@example.com")
    weekly(cli, "--mail", "--rep", "ola")
    assert smtp.messages[-1]["from"] == "other@example.com"
    # a wrong port in the file does not matter when the variable is set
    write_config('[smtp]\nhost = "127.0.0.1"\nport = 1\nfrom = "x@example.com"\ntls = "none"\n')
    monkeypatch.setenv("KHM_SMTP_PORT", str(smtp.port))
    weekly(cli, "--mail", "--rep", "ola")
    assert len(smtp.messages) == 3


def test_a_password_in_the_config_file_is_refused_before_sending(cli, book, smtp):
    path = write_config('[smtp]\nuser = "khm"\npassword = "s3cret"\n')
    r = weekly(cli, "--mail", code=ExitCode.BAD_INPUT)
    assert str(path) in r.stderr and "[smtp] password" in r.stderr
    assert "KHM_SMTP_PASSWORD" in r.stderr
    assert not smtp.messages and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("var", "value", "expect"),
    [
        ("KHM_SMTP_HOST", "", "KHM_SMTP_HOST"),
        ("KHM_SMTP_FROM", "", "KHM_SMTP_FROM"),
        ("KHM_SMTP_PORT", "smtp", "KHM_SMTP_PORT: 'smtp' is not a port number"),
        ("KHM_SMTP_PORT", "70000", "KHM_SMTP_PORT: '70000' is not a port number"),
        ("KHM_SMTP_TLS", "yes", "KHM_SMTP_TLS: 'yes' is not one of none, starttls, ssl"),
        ("KHM_SMTP_FROM", "nobody", "KHM_SMTP_FROM: 'nobody' is not an e-mail address"),
        ("KHM_SMTP_USER", "khm", "KHM_SMTP_USER is set but KHM_SMTP_PASSWORD is not"),
    ],
)
def test_bad_or_missing_settings_are_a_clean_error_before_anything_is_sent(
    cli, book, smtp, monkeypatch, var, value, expect
):
    monkeypatch.setenv(var, value)
    r = weekly(cli, "--mail", code=ExitCode.USAGE)
    assert expect in r.stderr and r.stderr.count("\n") == 1
    assert not smtp.messages


def test_a_bad_value_in_the_config_file_names_the_file_and_key(cli, book, monkeypatch):
    monkeypatch.setenv("KHM_SMTP_HOST", "127.0.0.1")
    path = write_config('[smtp]\nfrom = "khm@example.com"\ntls = "always"\n')
    r = weekly(cli, "--mail", code=ExitCode.BAD_INPUT)
    assert f"{path}: [smtp] tls: 'always' is not one of none, starttls, ssl" in r.stderr
    write_config('[smtp]\nhots = "x"\n')
    r = weekly(cli, "--mail", code=ExitCode.BAD_INPUT)
    assert "[smtp] hots: unknown key" in r.stderr


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (("--mail", "-f", "markdown"), "drop --format"),
        (("--mail-dry-run",), "--out-dir"),
        (("--mail", "--out-dir", "x"), "--mail-dry-run"),
    ],
)
def test_mail_options_that_cannot_work_are_refused(cli, book, smtp, args, expect):
    r = weekly(cli, *args, code=ExitCode.USAGE)
    assert expect in r.stderr and not smtp.messages


# --------------------------------------------------------------------------- -f html


def test_html_page_lists_every_rep_escaped_and_self_contained(cli, book):
    doc = weekly(cli, "-f", "html").stdout
    page = parse_html(doc)
    text = " ".join(page.text)
    assert TRICKY in "".join(page.text)
    assert "<script>" not in doc and "&lt;script&gt;" in doc
    for name in ("Ola Nordmann", "Kari Sørensen", "Idle Rep", "Nothing due this week."):
        assert name in text
    tags = {t for t, _ in page.tags}
    assert {"html", "head", "body", "meta", "title"} <= tags
    assert not tags & {"script", "link", "img", "style", "iframe"}  # nothing external
    assert not any(k in ("src", "href") for _, a in page.tags for k in a)
    ola = rep_json(cli, "ola")
    for item in ola["items"]:  # the tactic and the reasons of every item
        assert item["tactic"] in text
        assert all(r in text for r in item["reasons"])
    assert any(a.get("name") == "viewport" for t, a in page.tags if t == "meta")


def test_html_out_dir_writes_one_page_per_rep(cli, book, tmp_path):
    weekly(cli, "-f", "html", "--out-dir", str(tmp_path))
    page = (tmp_path / f"ola-{WEEK}.html").read_text(encoding="utf-8")
    assert page == weekly(cli, "-f", "html", "--rep", "ola").stdout
    assert "Kari" not in page
