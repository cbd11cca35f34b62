"""``khm``: the root command, the global options and the single exit point.

Each command group lives in its own module (``khm.cli.accounts``, ``khm.cli.weekly``, ...)
and registers itself through ``register(app)``. Expected errors (:class:`khm.errors.KhmError`)
become one clean line on stderr, or a JSON error envelope on stdout when ``--format json``
was asked for, and their named exit code. Set ``KHM_RAISE_ERRORS=1`` to get tracebacks.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from khm import __version__
from khm.cli.commands import COMMANDS
from khm.cli.common import output_format, set_output_format
from khm.errors import ExitCode, KhmError


def report_error(exc: KhmError) -> None:
    """Print an expected error: JSON envelope when JSON was asked for, else one line on stderr."""
    if output_format() == "json":
        from khm.render import error_envelope, json_dumps

        sys.stdout.write(
            json_dumps(error_envelope(exc.kind, exc.message, int(exc.exit_code), exc.details))
            + "\n"
        )
    from khm.render.problems import problem_lines

    msg = f"Error: {exc.message}"
    extra = problem_lines([d for d in exc.details if d not in exc.message])
    if extra:
        msg += "\n" + "\n".join(f"  {d}" for d in extra)
    typer.echo(msg, err=True)


def _database_failure(ctx: Any, exc: Exception) -> KhmError | None:
    """The clean error for a database failure a command raised (locked, disk full,
    read-only, a table missing), or None: see :mod:`khm.store.failures`."""
    from khm.store.failures import known_failure

    try:
        from khm.store.db import where

        place = where(ctx.obj.url)
    except Exception:
        place = "(the database)"
    return known_failure(exc, place)


class KhmGroup(TyperGroup):
    """The root group: the one place where expected errors turn into exit codes."""

    def invoke(self, ctx: Any) -> Any:
        set_output_format("table")
        try:
            return super().invoke(ctx)
        except KhmError as exc:
            if os.environ.get("KHM_RAISE_ERRORS"):
                raise
            report_error(exc)
            raise SystemExit(int(exc.exit_code)) from None
        except BrokenPipeError:  # `khm ... | head`
            sys.stderr.close()
            raise SystemExit(int(ExitCode.OK)) from None
        except Exception as exc:  # a known database failure is one line; the rest, bugs
            known = _database_failure(ctx, exc)
            if known is None or os.environ.get("KHM_RAISE_ERRORS"):
                raise
            report_error(known)
            raise SystemExit(int(known.exit_code)) from None

    # -- lazy command loading (see COMMANDS below)

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self.commands, *(n for n in COMMANDS if n not in self.commands)]

    def get_command(self, ctx: Any, name: str) -> Any:
        if name in self.commands:
            return self.commands[name]
        if name not in COMMANDS:
            return None
        if self._listing:  # help and completion only need the name and the short help
            from typer.core import TyperCommand

            return TyperCommand(name=name, help=COMMANDS[name][1], callback=None)
        from khm.cli.helptext import reflow_command

        cmd = reflow_command(load_command(name))
        self.commands[name] = cmd
        return cmd

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="khm",
    cls=KhmGroup,
    help=(
        "khm runs a structured customer-handling method: tag accounts expand/keep and A-D, "
        "assign them to reps, print each rep's Monday follow-up list, report whether the "
        "team kept the method."
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"khm {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="KHM_DATABASE_URL",
            help="Database: a SQLite file path or any SQLAlchemy URL (postgresql://...). "
            "Default: khm.db in the user data dir. Env: KHM_DATABASE_URL.",
            show_default=False,
        ),
    ] = None,
    method: Annotated[
        Path | None,
        typer.Option(
            "--method",
            envvar="KHM_METHOD",
            help="Method file (TOML). Default: method.toml in the config dir if present, "
            "else the built-in default. Env: KHM_METHOD.",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    from khm.cli.common import KhmContext

    ctx.obj = KhmContext(db=db, method_path=method)
    ctx.call_on_close(ctx.obj.close)


def load_command(name: str) -> Any:
    """Import the module behind ``name`` and return its click command."""
    import importlib

    import typer.main

    module, _ = COMMANDS[name]
    sub = typer.Typer()
    importlib.import_module(f"khm.cli.{module}").register(sub)
    return typer.main.get_group(sub).commands[name]


def run(argv: list[str] | None = None) -> None:
    """Console-script entry point, and the one place that sets the garbage-collector policy.

    A command is a short process that builds hundreds of thousands of small objects (a
    plan, a report, an import) which live until its output is written and form no
    cycles: reference counting frees them, and automatic cyclic collections would only
    walk them again and again. So the cyclic collector is off for the whole process;
    at exit, ``gc.freeze()`` spares the interpreter a last full collection of everything
    the command built. (Tests call the typer app directly and keep the default policy.)
    """
    import gc

    gc.disable()
    try:
        app(args=argv, prog_name="khm")
    finally:
        gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    run()
