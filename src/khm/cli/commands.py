"""Every top-level command: name -> (the ``khm.cli`` module that registers it, its short
help). The root group lists these without importing them and imports a module only when
its command runs (:class:`khm.cli.main.KhmGroup`); a test holds each short help to the
command's own first sentence."""

from __future__ import annotations

# One module per command group; each exposes register(app). The root group loads a module
# only when one of its commands runs: `khm --help` and every command skip building the
# rest of the tree. The short help below is what `khm --help` lists (a test checks it
# equals each command's own help).
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("setup", "Create the database and a commented method file with the defaults."),
    "demo": (
        "demo",
        "Build a realistic demo team (5 reps, ~700 Nordic accounts, a year of touches), "
        "run the method on it and show a rep's weekly list.",
    ),
    "method": ("setup", "Check and show the method file."),
    "db": ("dbcmd", "Where the database is, its schema version, migrations."),
    "import": (
        "io",
        "Load CSV exports from another CRM: accounts, reps, touches, deals, NPS responses.",
    ),
    "export": (
        "export",
        "Write accounts, reps or touches as CSV, JSON or JSONL (formula-safe, re-importable).",
    ),
    "account": ("accounts", "Customer accounts: add, show, list, edit, archive."),
    "rep": ("reps", "Reps: add, show, list, edit, away."),
    "log": ("touches", "Record a touch with an account; prints when that activity is due next."),
    "touch": ("touches", "Logged touches: list and delete."),
    "deal": ("deals", "Imported deals (CRM opportunities): list them."),
    "nps": ("nps", "Record an NPS response (0-10) of an account."),
    "stage": (
        "stage",
        "Record a lifecycle stage change: the account is in STAGE from --date on.",
    ),
    "tag": (
        "tag",
        "Tag accounts expand/keep and A-D by the method's rules, or one account by hand.",
    ),
    "assign": (
        "assign",
        "Give owners to accounts, balanced by the weekly human load the cadence implies.",
    ),
    "capacity": (
        "assign",
        "Can this team keep this method? Weekly human load per rep against capacity.",
    ),
    "weekly": (
        "weekly",
        "The week's follow-up list per rep: what to do with which account, and why.",
    ),
    "report": (
        "report",
        "Did the team keep the method? Coverage, neglected accounts, portfolio, workload, "
        "tag movements, the lifecycle funnel; for cron.",
    ),
    "simulate": ("simulate", "If the team does X % of its list, what happens over N weeks?"),
}
