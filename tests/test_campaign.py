"""Campaigns: ``campaign = true`` kinds leave the weekly list and are counted, ``khm log
--campaign KIND`` logs them for many accounts in one transaction, ``khm touch delete
--campaign ID`` undoes it."""

from __future__ import annotations

import json
from datetime import date

import pytest

from khm.core.planner import PlanAccount, PlanRep, plan_week
from khm.errors import MethodError
from khm.method import DEFAULT_METHOD_TOML, default_method, parse_method

TODAY = "2026-11-23"
MONDAY = date(2026, 11, 23)


def _json(result) -> dict:
    return json.loads(result.stdout)


def _campaigns(cli) -> dict[str, dict[str, int]]:
    """rep -> campaign kind -> accounts due, from ``khm weekly -f json``."""
    doc = _json(cli("weekly", "-f", "json", "--today", TODAY))
    return {r["rep"]: {c["activity"]: c["due"] for c in r["campaigns"]} for r in doc["reps"]}


def _listed_kinds(cli) -> set[str]:
    doc = _json(cli("weekly", "-f", "json", "--today", TODAY))
    return {i["activity"] for r in doc["reps"] for i in r["items"]}


@pytest.fixture
def demo(cli):
    cli("demo", "--accounts", "120", "--today", TODAY, "--seed", "3")


# --------------------------------------------------------------------------- method


def test_the_default_method_marks_newsletter_and_webinar_as_campaigns():
    m = default_method()
    assert m.campaign_kinds == ("newsletter", "webinar")
    assert not m.activities["email"].campaign  # personal e-mail stays on the list


def test_a_human_campaign_is_a_method_error_naming_the_file_and_key():
    text = DEFAULT_METHOD_TOML.replace(
        '[activities.call]\nmode = "human"', '[activities.call]\nmode = "human"\ncampaign = true'
    )
    with pytest.raises(MethodError) as err:
        parse_method(text, "team.toml")
    assert str(err.value).startswith("team.toml: activities.call: campaign = true needs")


# --------------------------------------------------------------------------- planner (plain values)


def _plan(method, touches):
    acc = PlanAccount("K1", "Kappa", "keep", "B", "ola", None, date(2025, 1, 1))
    return plan_week(
        accounts=[acc],
        last_touches={"K1": touches},
        reps=[PlanRep("ola", capacity=12)],
        method=method,
        monday=MONDAY,
        today=MONDAY,
    ).rep("ola")


def test_a_due_newsletter_is_counted_not_listed_and_a_personal_email_stays():
    old = date(2025, 6, 1)
    rep = _plan(default_method(), {"newsletter": old, "email": old, "call": old, "visit": old})
    assert {i.kind for i in rep.items} >= {"email"}
    assert "newsletter" not in {i.kind for i in rep.items}
    assert [i.kind for i in rep.campaign_items] == ["newsletter"]
    counts = {c.kind: (c.due, c.overdue) for c in rep.campaigns}
    assert counts == {"newsletter": (1, 1), "webinar": (0, 0)}


def test_a_newsletter_sent_recently_is_not_counted():
    rep = _plan(default_method(), {"newsletter": date(2026, 11, 20)})
    assert {c.kind: c.due for c in rep.campaigns}["newsletter"] == 0
    assert rep.campaign_items == ()


# --------------------------------------------------------------------------- CLI


def test_on_the_demo_no_list_holds_campaign_items_and_logging_due_clears_the_count(cli, demo):
    assert not _listed_kinds(cli) & {"newsletter", "webinar"}
    before = _campaigns(cli)
    due = sum(c["newsletter"] for c in before.values())
    assert due > 0
    touches_before = len(_json(cli("touch", "list", "-f", "json"))["items"])
    got = _json(cli("log", "--campaign", "newsletter", "--due", "--today", TODAY, "-f", "json"))
    assert got["kind"] == "campaign_logged"
    c = got["campaign"]
    assert (c["activity"], c["date"], c["selection"]) == ("newsletter", TODAY, "--due")
    assert c["count"] >= due  # the reps' accounts, and any unassigned ones
    assert isinstance(c["id"], int)
    after = _campaigns(cli)
    assert all(kinds["newsletter"] == 0 for kinds in after.values())
    assert {r: k["webinar"] for r, k in after.items()} == {
        r: k["webinar"] for r, k in before.items()
    }
    listed = _json(cli("touch", "list", "--campaign", str(c["id"]), "-f", "json"))["items"]
    assert len(listed) == c["count"] and {t["kind"] for t in listed} == {"newsletter"}
    assert len(_json(cli("touch", "list", "-f", "json"))["items"]) == touches_before + c["count"]
    # undo: every touch of it, in one go
    gone = _json(cli("touch", "delete", "--campaign", str(c["id"]), "--yes", "-f", "json"))
    assert gone["kind"] == "campaign_deleted" and gone["campaign"]["count"] == c["count"]
    assert _campaigns(cli) == before
    assert len(_json(cli("touch", "list", "-f", "json"))["items"]) == touches_before


def test_the_header_counts_campaign_work_in_the_terminal_and_markdown(cli, demo):
    rep, kinds = next((r, k) for r, k in _campaigns(cli).items() if k["newsletter"])
    n = kinds["newsletter"]
    line = f"newsletter: {n} of your accounts due"
    table = cli("weekly", "--rep", rep, "--today", TODAY).stdout
    assert line in table and "— campaign" in table
    assert line in cli("weekly", "--rep", rep, "--today", TODAY, "-f", "markdown").stdout


def test_a_segment_campaign_logs_each_active_account_of_the_segment(cli, demo):
    accounts = _json(cli("account", "list", "--type", "keep", "--category", "B", "-f", "json"))
    keys = {a["key"] for a in accounts["items"]}
    out = cli("log", "--campaign", "webinar", "--segment", "keep/B", "--today", TODAY)
    assert f"Logged webinar for {len(keys)} account(s)" in out.stdout
    cid = out.stdout.split("campaign ")[-1].split()[0]
    listed = _json(cli("touch", "list", "--campaign", cid, "-f", "json"))["items"]
    assert {t["account"] for t in listed} == keys


def test_country_and_rep_narrow_the_segment(cli, demo):
    reps = _json(cli("rep", "list", "-f", "json"))["items"]
    handle = reps[0]["handle"]
    got = _json(
        cli("log", "--campaign", "newsletter", "--segment", "*/*", "--rep", handle,
            "--country", "SE", "--date", "2026-11-20", "--note", "Nov issue",
            "--today", TODAY, "-f", "json")
    )["campaign"]  # fmt: skip
    listed = _json(cli("touch", "list", "--campaign", str(got["id"]), "-f", "json"))["items"]
    assert len(listed) == got["count"]
    assert all(t["rep"] == handle and t["date"] == "2026-11-20" for t in listed)
    assert all(t["note"] == "Nov issue" for t in listed)


def test_a_personal_email_blast_to_a_segment_is_allowed(cli, demo):
    got = _json(
        cli("log", "--campaign", "email", "--segment", "expand/A", "--today", TODAY, "-f", "json")
    )
    assert got["campaign"]["activity"] == "email" and got["campaign"]["count"] > 0


def test_an_empty_selection_writes_nothing_and_says_so(cli, demo, snapshot_db):
    before = snapshot_db()
    out = cli("log", "--campaign", "newsletter", "--segment", "keep/A", "--country", "JP",
              "--today", TODAY)  # fmt: skip
    assert "No accounts selected" in out.stdout
    assert snapshot_db() == before


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--campaign", "visit", "--due"], 2, "'visit' is a human activity"),
        (["--campaign", "fax", "--due"], 2, "--campaign: 'fax' is not an activity kind"),
        (["--campaign", "newsletter"], 2, "--due, --segment TYPE/CAT, or both"),
        (["--campaign", "newsletter", "--segment", "keep"], 2, "--segment: 'keep'"),
        (["--campaign", "newsletter", "--segment", "keep/E"], 2, "--segment: 'keep/E'"),
        (["--campaign", "newsletter", "--due", "--country", "Atlantis"], 2, "--country"),
        (["--campaign", "newsletter", "--due", "--rep", "nobody"], 5, "--rep: rep 'nobody'"),
        (["--campaign", "newsletter", "--due", "--date", "2027-01-01"], 2, "in the future"),
        (["ACME", "--campaign", "newsletter", "--due"], 2, "give no ACCOUNT or KIND"),
        (["--due"], 2, "--due selects the accounts of a campaign"),
        ([], 2, "give ACCOUNT and KIND"),
    ],
)
def test_bad_campaign_input_is_a_clean_error_and_changes_nothing(
    cli, demo, snapshot_db, args, code, message
):
    before = snapshot_db()
    out = cli("log", *args, "--today", TODAY, code=code)
    assert message in out.stderr
    assert snapshot_db() == before


def test_deleting_an_unknown_campaign_is_not_found(cli, demo, snapshot_db):
    before = snapshot_db()
    out = cli("touch", "delete", "--campaign", "999", "--yes", code=5)
    assert "campaign 999 not found" in out.stderr
    cli("touch", "list", "--campaign", "999", code=5)
    cli("touch", "delete", code=2)
    cli("touch", "delete", "1", "--campaign", "1", code=2)
    assert snapshot_db() == before


def test_deleting_a_campaign_asks_first(cli, demo):
    cid = _json(cli("log", "--campaign", "newsletter", "--due", "--today", TODAY, "-f", "json"))[
        "campaign"
    ]["id"]
    out = cli("touch", "delete", "--campaign", str(cid), input="n\n", code=1)
    assert f"Delete campaign {cid} (newsletter on {TODAY}" in out.stderr
    assert _json(cli("touch", "list", "--campaign", str(cid), "-f", "json"))["items"]
    out = cli("touch", "delete", "--campaign", str(cid), input="y\n")
    assert f"Deleted campaign {cid}" in out.stdout
    cli("touch", "list", "--campaign", str(cid), code=5)  # gone with its touches


def test_campaign_touches_count_in_the_coverage_report(cli, demo):
    def done() -> int:
        doc = _json(
            cli("report", "coverage", "--period", "2026-11", "--today", TODAY, "-f", "json")
        )
        t = doc["sections"]["coverage"]["totals"]
        return t["on_time"] + t["late"]

    before = done()
    got = _json(cli("log", "--campaign", "newsletter", "--due", "--today", TODAY, "-f", "json"))
    assert got["campaign"]["count"] > 0
    assert done() > before
