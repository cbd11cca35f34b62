"""``khm weekly --mail``: the SMTP settings, and each rep's list sent as one message.

Settings come from the environment (``KHM_SMTP_HOST``, ``KHM_SMTP_PORT``,
``KHM_SMTP_FROM``, ``KHM_SMTP_USER``, ``KHM_SMTP_PASSWORD``, ``KHM_SMTP_TLS``) or from the
``[smtp]`` table of ``config.toml`` in the config dir (the same keys without the prefix,
never the password); a variable that is set and not empty wins over the file. They are
checked before anything is sent. :func:`mail_weekly` builds every rep's message
(:mod:`khm.render.mail`) and sends them over one SMTP connection, or writes them as
``.eml`` files for a dry run; one rep's failure is that rep's :class:`MailOutcome` with a
one-line reason, and the others are still sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from khm.core.mailresult import MailOutcome
from khm.errors import InputError, UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime
    from email.message import EmailMessage
    from pathlib import Path

    from khm.core.planner import WeeklyPlan

ENV = {
    "host": "KHM_SMTP_HOST",
    "port": "KHM_SMTP_PORT",
    "from": "KHM_SMTP_FROM",
    "user": "KHM_SMTP_USER",
    "password": "KHM_SMTP_PASSWORD",
    "tls": "KHM_SMTP_TLS",
}
FILE_KEYS = ("host", "port", "from", "user", "tls")  # never "password"
TLS_MODES = ("none", "starttls", "ssl")
DEFAULT_PORT = {"none": 25, "starttls": 587, "ssl": 465}
TIMEOUT = 30.0  # seconds for connecting and for each SMTP reply


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None  # None only for a dry run
    port: int
    sender: str  # the From header as written: "khm <khm@example.com>"
    tls: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def envelope_from(self) -> str:
        from email.utils import parseaddr

        return parseaddr(self.sender)[1]

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


# --------------------------------------------------------------------------- settings


def _read_file(path: Path | None) -> dict[str, Any]:
    """The ``[smtp]`` table of ``path`` (empty when there is no file or no table)."""
    import tomllib

    if path is None or not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the config file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    table = data.get("smtp", {})
    if not isinstance(table, dict):
        raise InputError(f"{path}: smtp: expected a table ([smtp]), got {table!r}")
    if "password" in table:
        raise InputError(
            f"{path}: [smtp] password: the SMTP password is never read from the config "
            "file; remove the key and set KHM_SMTP_PASSWORD in the job's environment "
            "(e.g. a systemd EnvironmentFile= readable only by the job's user)"
        )
    unknown = sorted(set(table) - set(FILE_KEYS))
    if unknown:
        raise InputError(
            f"{path}: [smtp] {unknown[0]}: unknown key (known: {', '.join(FILE_KEYS)})"
        )
    for key, value in table.items():
        if key == "port" and isinstance(value, int) and not isinstance(value, bool):
            continue
        if not isinstance(value, str):
            raise InputError(f"{path}: [smtp] {key}: expected text, got {value!r}")
    return table


def load_settings(
    env: Mapping[str, str], config_path: Path | None, *, need_host: bool = True
) -> SmtpSettings:
    """The settings, env over file, checked: a missing host (when ``need_host``) or
    sender, a bad port or TLS mode, a user without a password is a clean error naming
    the variable or the file and key. A dry run needs no host."""
    table = _read_file(config_path)
    values: dict[str, str] = {}
    where: dict[str, str] = {}
    for key, var in ENV.items():
        raw = (env.get(var) or "").strip()
        if raw:
            values[key], where[key] = raw, var
        elif key in table and str(table[key]).strip():
            values[key], where[key] = str(table[key]).strip(), f"[smtp] {key}"

    def fail(key: str, problem: str) -> UsageError | InputError:
        if where[key].startswith("["):
            return InputError(f"{config_path}: {where[key]}: {problem}")
        return UsageError(f"{where[key]}: {problem}")

    for key in ("host", "from") if need_host else ("from",):
        if key not in values:
            hint = f" (or {key} in the [smtp] table of {config_path})" if config_path else ""
            what = "server" if key == "host" else "sender"
            raise UsageError(f"mail: no SMTP {what}: set {ENV[key]}{hint}")
    tls = values.get("tls", "starttls").lower()
    if tls not in TLS_MODES:
        raise fail("tls", f"{values['tls']!r} is not one of {', '.join(TLS_MODES)}")
    port = DEFAULT_PORT[tls]
    if "port" in values:
        try:
            port = int(values["port"])
        except ValueError:
            port = 0
        if not 0 < port < 65536:
            raise fail("port", f"{values['port']!r} is not a port number (1-65535)")
    sender = values["from"]
    if "\n" in sender or "@" not in _addr(sender):
        raise fail("from", f"{sender!r} is not an e-mail address (e.g. khm@example.com)")
    user, password = values.get("user"), values.get("password")
    if user and not password:
        raise UsageError(f"mail: {where['user']} is set but {ENV['password']} is not")
    if password and not user:
        raise UsageError(f"mail: {ENV['password']} is set but {ENV['user']} is not")
    return SmtpSettings(
        host=values.get("host"), port=port, sender=sender, tls=tls, user=user, password=password
    )


def _addr(text: str) -> str:
    from email.utils import parseaddr

    return parseaddr(text)[1]


def address_problem(handle: str, email: str | None) -> str | None:
    """Why a rep's e-mail cannot be used, or None."""
    import re

    if not email or not email.strip():
        return f"no e-mail address: set one with `khm rep edit {handle} --email ADDRESS`"
    if not re.fullmatch(r"[^@\s<>,]+@[^@\s<>,]+", email.strip()):
        return f"e-mail address {email!r} is not valid: fix it with `khm rep edit {handle}`"
    return None


# --------------------------------------------------------------------------- sending


def _smtp_reason(exc: Exception, settings: SmtpSettings, to: str) -> str:
    """One line for what went wrong with ``exc``."""
    import smtplib
    import socket
    import ssl

    def said(e: smtplib.SMTPResponseException) -> str:
        text = (
            e.smtp_error.decode("utf-8", "replace")
            if isinstance(e.smtp_error, bytes)
            else e.smtp_error
        )
        return f"{e.smtp_code} {' '.join(str(text).split())}"

    where = settings.server
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (0, b""))
        return f"recipient {to} refused: " + said(smtplib.SMTPResponseException(code, text))
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"sender {settings.envelope_from} refused: {said(exc)}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"login as {settings.user} refused by {where}: {said(exc)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{where} said {said(exc)}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        if "STARTTLS" in str(exc).upper():
            return f"{where} does not offer STARTTLS (set KHM_SMTP_TLS to ssl or none)"
        return f"{where}: {exc} (check KHM_SMTP_USER and KHM_SMTP_TLS)"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"{where} closed the connection: {exc or 'no reason given'}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS with {where} failed: {exc.reason or exc} (check KHM_SMTP_TLS and the port)"
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot connect to {where}: connection refused"
    if isinstance(exc, socket.gaierror):
        return f"cannot connect to {where}: unknown host"
    if isinstance(exc, TimeoutError):
        return f"cannot reach {where}: timed out after {TIMEOUT:g} s"
    if isinstance(exc, OSError):
        return f"cannot connect to {where}: {exc.strerror or exc}"
    return f"{where}: {exc}"


class _Connection:
    """One SMTP connection for the run, opened on first use. When it cannot be opened
    (refused, TLS, login) every message fails with that reason; when the server drops an
    open connection, the next message opens a new one once."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.smtp: Any = None
        self.broken: str | None = None

    def _open(self) -> Any:
        import smtplib
        import ssl

        s = self.settings
        assert s.host is not None
        context = ssl.create_default_context()
        if s.tls == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT)
        try:
            smtp.ehlo()
            if s.tls == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, s.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, msg: EmailMessage, to: str) -> str | None:
        """None when the server accepted ``msg`` for ``to``, else the reason."""
        import smtplib

        for attempt in (1, 2):
            if self.broken is not None:
                return self.broken
            if self.smtp is None:
                try:
                    self.smtp = self._open()
                except (OSError, smtplib.SMTPException) as exc:
                    self.broken = _smtp_reason(exc, self.settings, to)
                    return self.broken
            try:
                self.smtp.send_message(msg, from_addr=self.settings.envelope_from, to_addrs=[to])
                return None
            except smtplib.SMTPServerDisconnected as exc:
                self.smtp = None
                if attempt == 2:
                    return _smtp_reason(exc, self.settings, to)
            except smtplib.SMTPException as exc:  # refused: the connection is still usable
                return _smtp_reason(exc, self.settings, to)
            except OSError as exc:
                self.close()
                return _smtp_reason(exc, self.settings, to)
        return None  # pragma: no cover - the loop always returns

    def close(self) -> None:
        import contextlib
        import smtplib

        if self.smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.smtp.quit()
            self.smtp = None


def mail_weekly(
    plan: WeeklyPlan,
    settings: SmtpSettings,
    *,
    include_empty: bool,
    now: datetime,
    out_dir: Path | None = None,
) -> list[MailOutcome]:
    """Each rep of ``plan`` gets their list as one message, in the plan's rep order.
    Reps with nothing due are ``skipped`` unless ``include_empty``; a rep without a
    usable e-mail address is ``failed`` (their list did not reach them). ``out_dir``
    given: a dry run, each message written as ``<handle>-<week>.eml`` and nothing sent."""
    from email.utils import format_datetime, make_msgid

    from khm.render.mail import weekly_message
    from khm.render.weekly_html import counts

    domain = settings.envelope_from.rpartition("@")[2] or "khm.invalid"
    outcomes: list[MailOutcome] = []
    jobs: list[tuple[int, EmailMessage]] = []
    for rep in plan.reps:
        n, overdue = counts(rep)
        outcome = MailOutcome(rep.handle, rep.email, n, overdue, "skipped")
        if not n and not include_empty:
            outcomes.append(outcome)
            continue
        problem = address_problem(rep.handle, rep.email)
        if problem is not None:
            outcomes.append(replace(outcome, status="failed", reason=problem))
            continue
        assert rep.email is not None
        msg = weekly_message(
            plan,
            rep,
            sender=settings.sender,
            to=rep.email.strip(),
            date=format_datetime(now),
            msgid=make_msgid("khm", domain=domain),
        )
        jobs.append((len(outcomes), msg))
        outcomes.append(replace(outcome, address=rep.email.strip()))
    if out_dir is not None:
        _write(plan, outcomes, jobs, out_dir)
    elif jobs:
        _send(settings, outcomes, jobs)
    return outcomes


def _write(
    plan: WeeklyPlan,
    outcomes: list[MailOutcome],
    jobs: Sequence[tuple[int, EmailMessage]],
    out_dir: Path,
) -> None:
    from khm.render.files import OutDir, atomic_write_text

    out = OutDir(out_dir)
    for i, msg in jobs:
        o = outcomes[i]
        path = out.file(o.rep, f"-{plan.week}.eml")
        try:
            atomic_write_text(path, msg.as_string())
        except OSError as exc:
            outcomes[i] = replace(o, status="failed", reason=f"cannot write {path}: {exc.strerror}")
        else:
            outcomes[i] = replace(o, status="written", path=str(path))


def _send(
    settings: SmtpSettings,
    outcomes: list[MailOutcome],
    jobs: Sequence[tuple[int, EmailMessage]],
) -> None:
    conn = _Connection(settings)
    try:
        for i, msg in jobs:
            o = outcomes[i]
            assert o.address is not None
            reason = conn.send(msg, o.address)
            outcomes[i] = replace(
                o, status="sent" if reason is None else "failed", reason=reason or ""
            )
    finally:
        conn.close()
