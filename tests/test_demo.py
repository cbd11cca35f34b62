"""The demo generator (``khm.demo``), the bulk loader (``khm.store.loading``) and ``khm demo``."""

from __future__ import annotations

import itertools
import json
import statistics
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from khm.demo import (
    BEHIND_REP,
    COUNTRIES,
    PRODUCT_LINES,
    TRICKY_ACCOUNTS,
    DemoData,
    expected_categories,
    generate,
    slugify,
)
from khm.demo_names import PARTS, NameGenerator
from khm.errors import ConflictError, InputError
from khm.method import default_method

TODAY = date(2026, 11, 23)
METHOD = default_method()


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate(seed=42, today=TODAY)


def _human(kind: str) -> bool:
    return METHOD.is_human(kind)


def _in_no_human_period(d: date) -> bool:
    return d.month == 7 or (d.month == 12 and d.day >= 20) or (d.month == 1 and d.day <= 6)


# --------------------------------------------------------------------------- generator


def test_same_seed_and_today_give_the_same_records(demo):
    again = generate(seed=42, today=TODAY)
    assert again.reps == demo.reps
    assert again.accounts == demo.accounts
    assert again.touches == demo.touches


def test_another_seed_gives_another_book(demo):
    other = generate(seed=7, today=TODAY, accounts=200)
    assert [a.name for a in other.accounts[:50]] != [a.name for a in demo.accounts[:50]]


def test_team_has_expand_any_and_keep_reps_with_nordic_names(demo):
    assert len(demo.reps) == 5
    assert Counter(r.role for r in demo.reps) == {"expand": 1, "any": 2, "keep": 2}
    assert len({r.capacity for r in demo.reps}) >= 4  # capacities differ
    names = " ".join(r.name for r in demo.reps)
    for letter in "åøæ":
        assert letter in names.lower()
    assert len({r.handle for r in demo.reps}) == 5


def test_book_has_about_700_accounts_with_unique_keys(demo):
    assert len(demo.accounts) == 700
    keys = [a.key for a in demo.accounts]
    assert len(set(keys)) == len(keys)
    assert all(k == k.strip() and k for k in keys)


def test_every_country_and_product_line_is_present(demo):
    countries = Counter(a.country for a in demo.accounts)
    assert set(countries) == {c.code for c in COUNTRIES}
    lines = Counter(line for a in demo.accounts for line in a.product_lines)
    assert set(lines) == set(PRODUCT_LINES)
    # every (country, product line) group large enough for an ABC analysis
    groups = Counter((a.country, a.product_lines[0]) for a in demo.accounts)
    assert min(groups.values()) >= 3


def test_revenue_is_skewed_top_fifth_holds_most_of_it(demo):
    revenue = sorted((a.revenue for a in demo.accounts), reverse=True)
    top = revenue[: len(revenue) // 5]
    assert sum(top) / sum(revenue) > 0.60
    assert all(r > 0 for r in revenue)


def test_employees_follow_revenue(demo):
    pairs = sorted((a.revenue, a.employees) for a in demo.accounts)
    half = len(pairs) // 2
    small = statistics.median(e for _, e in pairs[:half])
    large = statistics.median(e for _, e in pairs[half:])
    assert large > 3 * small


def test_fields_feed_the_default_type_rules(demo):
    active = [a for a in demo.accounts if not a.archived]
    pipeline = [a for a in active if a.custom.get("open_pipeline", 0) > 0]
    assert 0.15 <= len(pipeline) / len(active) <= 0.30
    assert all("open_pipeline" in a.custom for a in demo.accounts)
    stages = Counter(a.lifecycle_stage for a in demo.accounts)
    assert {"customer", "onboarding", "opportunity", "at-risk"} <= set(stages)
    nps = [a.custom["nps"] for a in demo.accounts if "nps" in a.custom]
    assert 0.2 * len(demo.accounts) < len(nps) < 0.8 * len(demo.accounts)
    assert all(0 <= v <= 10 for v in nps)
    expand = sum(1 for a in active if a.expected_type == "expand")
    assert 0.18 <= expand / len(active) <= 0.35
    archived = [a for a in demo.accounts if a.archived]
    assert archived and all(a.lifecycle_stage == "churned" for a in archived)


def test_tricky_names_are_in_the_book(demo):
    names = {a.key: a.name for a in demo.accounts}
    for key, name, _country, _line in TRICKY_ACCOUNTS:
        assert names[key] == name
    all_names = set(names.values())
    assert "[bold]Brackets[/bold] AB" in all_names
    assert '"Quoted, Inc."' in all_names
    assert "Ærø Øl & Å" in all_names
    assert "Õunapuu OÜ" in all_names
    assert any(any(ord(ch) > 0xFFFF for ch in n) for n in all_names)  # an emoji
    assert any(n.startswith("=") for n in all_names)  # a spreadsheet formula


def test_expected_categories_are_an_abc_analysis_per_country_and_product_line(demo):
    cats = expected_categories(demo.accounts, METHOD)
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for a in demo.accounts:
        if not a.archived:
            groups[(a.country, a.product_lines[0])].append(a)
    order = "ABCD"
    for members in groups.values():
        members.sort(key=lambda a: (-a.revenue, a.key))
        ranks = [order.index(cats[a.key]) for a in members]
        assert ranks == sorted(ranks)  # more revenue never a lower category
        if len(members) >= METHOD.categories.min_group:  # smaller: ranked in its country
            assert cats[members[0].key] == "A"
    counts = Counter(cats.values())
    assert counts["A"] < counts["B"] < counts["D"]


def test_a_custom_method_drives_the_generated_tags_and_touches():
    from khm.method import DEFAULT_METHOD_TOML, parse_method

    text = DEFAULT_METHOD_TOML.replace(
        'rule = "share"\nmetric = "revenue"', 'rule = "thresholds"\nmetric = "employees"'
    ).replace(
        "[categories.share]",
        "[categories.thresholds]\nA = 1000\nB = 200\nC = 50\n\n[categories.share]",
    )
    text = text.replace('when = ["open_pipeline > 0"]', 'when = ["nps >= 9"]')
    method = parse_method(text, "custom.toml")
    data = generate(seed=5, today=TODAY, accounts=150, method=method)
    for a in data.accounts:
        if a.archived or a.category_manual:
            continue
        th = method.categories.thresholds
        assert a.expected_category == th.category_for(a.employees)
        if a.type_manual:
            continue
        promoted = a.lifecycle_stage in ("opportunity", "onboarding") or a.custom.get("nps", 0) >= 9
        assert a.expected_type == ("expand" if promoted else "keep")
    assert {t.kind for t in data.touches} <= set(method.activities)


def test_reps_own_accounts_of_their_role_and_some_are_unowned(demo):
    roles = {r.handle: r.role for r in demo.reps}
    active = [a for a in demo.accounts if not a.archived]
    for a in active:
        if a.owner is not None:
            assert roles[a.owner] in (a.expected_type, "any")
    unowned = sum(1 for a in active if a.owner is None)
    assert 0.02 <= unowned / len(active) <= 0.09


def test_touches_lie_in_the_year_before_today(demo):
    dates = [t.date for t in demo.touches]
    assert min(dates) >= TODAY - timedelta(days=365)
    assert max(dates) < TODAY
    assert len(demo.touches) > 5 * len(demo.accounts)


def test_no_human_touch_in_july_at_christmas_or_on_weekends(demo):
    human = [t for t in demo.touches if _human(t.kind)]
    assert len(human) > 1000
    assert not [t for t in human if _in_no_human_period(t.date)]
    assert not [t for t in human if t.date.weekday() >= 5]
    digital_july = [t for t in demo.touches if not _human(t.kind) and t.date.month == 7]
    assert digital_july  # digital work runs all year


def test_no_human_touch_on_the_accounts_public_holidays(demo):
    import holidays

    by_country = {a.key: a.country for a in demo.accounts}
    cal = {c.code: holidays.country_holidays(c.code, years=[2025, 2026]) for c in COUNTRIES}
    bad = [t for t in demo.touches if _human(t.kind) and t.date in cal[by_country[t.account_key]]]
    assert not bad


def test_touch_kinds_come_from_the_method_and_follow_the_cadence(demo):
    kinds = Counter(t.kind for t in demo.touches)
    assert set(kinds) <= set(METHOD.activities)
    assert {"visit", "call", "email", "newsletter"} <= set(kinds)
    # keep A: a call every quarter, and a visit or review counts as a call: the median gap
    # between touches that reset the call timer is near the quarter
    acc = {a.key: a for a in demo.accounts}
    gaps = []
    by_account: dict[str, list[date]] = defaultdict(list)
    resets = METHOD.covering("call")
    assert resets > {"call"}
    for t in demo.touches:
        a = acc[t.account_key]
        if (a.expected_type, a.expected_category) == ("keep", "A") and t.kind in resets:
            by_account[t.account_key].append(t.date)
    for ds in by_account.values():
        ds.sort()
        gaps += [(b - a).days for a, b in itertools.pairwise(ds)]
    assert gaps
    assert 70 <= statistics.median(gaps) <= 110


def test_cadence_is_kept_imperfectly_some_accounts_neglected_for_months(demo):
    last: dict[str, date] = {}
    last_human: dict[str, date] = {}
    for t in demo.touches:
        last[t.account_key] = max(last.get(t.account_key, t.date), t.date)
        if _human(t.kind):
            last_human[t.account_key] = max(last_human.get(t.account_key, t.date), t.date)
    active = [a for a in demo.accounts if not a.archived]
    silent = [a for a in active if a.key not in last or (TODAY - last[a.key]).days > 90]
    assert 5 <= len(silent) <= 0.12 * len(active)
    cold = [
        a
        for a in active
        if a.expected_category in ("A", "B")
        and (a.key not in last_human or (TODAY - last_human[a.key]).days > 120)
    ]
    assert cold  # some important accounts had no human contact for months
    assert demo.neglected and len(demo.neglected) < 0.2 * len(active)


def test_touches_carry_the_owning_rep(demo):
    owner = {a.key: a.owner for a in demo.accounts}
    handles = {r.handle for r in demo.reps}
    human = [t for t in demo.touches if _human(t.kind)]
    assert all(t.rep in handles for t in human)
    owned = [t for t in human if owner[t.account_key] is not None]
    assert all(t.rep == owner[t.account_key] for t in owned)
    assert all(t.note for t in human)


def test_touch_count_can_be_capped_for_benchmarks():
    data = generate(seed=1, today=TODAY, accounts=300, reps=7, touches=2000)
    assert len(data.touches) == 2000
    assert len(data.reps) == 7
    assert {r.role for r in data.reps} == {"expand", "keep"}
    assert all(t.date < TODAY for t in data.touches)


def test_tag_history_replays_to_the_loaded_tags(demo):
    by_account: dict[str, list] = defaultdict(list)
    for c in demo.tag_changes:
        by_account[c.account_key].append(c)
    assert set(by_account) == {a.key for a in demo.accounts}
    for a in demo.accounts:
        state: dict[str, str | None] = {"type": None, "category": None}
        for c in sorted(by_account[a.key], key=lambda c: c.on):
            assert c.old == state[c.field], (a.key, c)
            assert c.on < TODAY
            state[c.field] = c.new
        assert (state["type"], state["category"]) == (a.type, a.category)
        assert a.tagged_on == max(c.on for c in by_account[a.key])
    moves = [c for c in demo.tag_changes if c.old is not None]
    assert {c.field for c in moves} == {"type", "category"}
    assert any(c.old == "keep" and c.new == "expand" for c in moves)


def test_current_tag_history_ends_at_the_current_tags(demo):
    state: dict[tuple[str, str], str | None] = {}
    rows = sorted(demo.tag_change_rows(tags="current"), key=lambda r: r["changed_at"])
    for r in rows:
        assert state.get((r["account_key"], r["field"])) == r["old"]
        state[(r["account_key"], r["field"])] = r["new"]
    for a in demo.accounts:
        assert state[(a.key, "type")] == a.expected_type
        assert state[(a.key, "category")] == a.expected_category
    today = [r for r in rows if r["changed_at"].date() == TODAY]
    assert today and all(r["old"] is not None for r in today)


def test_a_few_accounts_are_tagged_by_hand_with_a_reason(demo):
    manual = [a for a in demo.accounts if a.type_manual or a.category_manual]
    assert len(manual) == 3
    assert all(a.manual_reason for a in manual)
    hand = [c for c in demo.tag_changes if c.rule == "manual"]
    assert {c.account_key for c in hand} == {a.key for a in manual}


def test_the_rules_have_moved_some_tags_since_the_last_run(demo):
    active = [a for a in demo.accounts if not a.archived]
    stale = [a for a in active if (a.type, a.category) != (a.expected_type, a.expected_category)]
    assert 0.01 * len(active) < len(stale) < 0.10 * len(active)


def test_account_rows_give_loaded_current_or_no_tags(demo):
    hist = list(demo.account_rows())
    cur = list(demo.account_rows(tags="current"))
    none = list(demo.account_rows(tags="none"))
    assert [r["type"] for r in hist] == [a.type for a in demo.accounts]
    assert [r["category"] for r in cur] == [a.expected_category for a in demo.accounts]
    assert all(r["type"] is None and r["tagged_at"] is None for r in none)
    with pytest.raises(ValueError):
        list(demo.account_rows(tags="maybe"))


def test_lazy_generation_streams_the_same_touches():
    eager = generate(seed=9, today=TODAY, accounts=150, reps=6, touches=1500)
    lazy = generate(seed=9, today=TODAY, accounts=150, reps=6, touches=1500, lazy=True)
    assert lazy.touches == []
    assert lazy.touch_count == 1500
    assert list(lazy.iter_touches()) == eager.touches
    assert list(lazy.iter_touches()) == eager.touches  # and again, for a second load


def test_round_robin_owners_take_turns_within_each_role():
    data = generate(seed=2, today=TODAY, accounts=200, reps=6, owners="round-robin")
    roles = {r.handle: r.role for r in data.reps}
    owned = [a for a in data.accounts if a.owner and not a.archived]
    for role in ("expand", "keep"):
        counts = Counter(a.owner for a in owned if a.expected_type == role)
        assert all(roles[h] == role for h in counts)
        assert max(counts.values()) - min(counts.values()) <= 1
    with pytest.raises(ValueError, match="owners"):
        generate(seed=2, today=TODAY, accounts=10, owners="random")


def test_slugify_makes_ascii_keys():
    assert slugify("Bjørn Ærø A/S") == "bjorn-aero-a-s"
    assert slugify("Õunapuu OÜ") == "ounapuu-ou"
    assert slugify("[bold]x[/bold]") == "bold-x-bold"
    assert slugify("🚀") == "account"


# --------------------------------------------------------------------------- names

_TRICKY_KEYS = {key for key, *_ in TRICKY_ACCOUNTS}
_LETTERS = {
    "SE": "åäö",
    "NO": "æøå",
    "DK": "æøå",
    "FI": "äö",
    "IS": "áðéíóúýþæö",
    "EE": "õäöü",
}


def _generated(data: DemoData) -> list:
    return [a for a in data.accounts if a.key not in _TRICKY_KEYS]


def test_names_are_the_same_for_the_same_seed_and_differ_for_another():
    def names(seed: int) -> list[str]:
        g = NameGenerator(seed, slug=slugify)
        return [g.company(c.code) for c in COUNTRIES * 20] + [g.person("IS") for _ in range(5)]

    assert names(5) == names(5)
    assert len(set(names(5)) & set(names(6))) < len(names(5)) // 2


def test_seed_42_book_starts_with_the_same_names(demo):
    """The README's demo: a change to the name parts or their stream shows up here."""
    first = [(a.country, a.name) for a in demo.accounts[:4]]
    assert first == [
        ("NO", "Nesdal AS"),
        ("DK", "Pedersen Rådgivning A/S"),
        ("SE", "Ekström & Ström AB"),
        ("FI", "Lumivalo Oyj"),
    ]


@pytest.mark.parametrize("seed", [1, 42, 2024])
def test_account_names_are_unique_and_are_their_keys(seed):
    accounts = _generated(generate(seed=seed, today=TODAY))
    folded = [a.name.casefold() for a in accounts]
    assert len(set(folded)) == len(folded)
    # distinct as keys too: no key needed a "-2" to be unique
    assert [a.key for a in accounts] == [slugify(a.name) for a in accounts]


def test_company_names_carry_their_countrys_letters_and_legal_form(demo):
    by_country: dict[str, list[str]] = defaultdict(list)
    for a in _generated(demo):
        by_country[a.country].append(a.name)
    for code, names in by_country.items():
        parts = PARTS[code]
        assert all(n.rsplit(" ", 1)[1] in parts.suffixes for n in names), code
        letters = set("".join(names).lower()) & set(_LETTERS[code])
        assert letters, code
        non_ascii = sum(1 for n in names if not n.isascii())
        assert non_ascii / len(names) > 0.25, code
    # the book mixes the shapes: family firms, partners, coined names, town + trade
    all_names = [n for names in by_country.values() for n in names]
    assert sum(" & " in n for n in all_names) > 0.05 * len(all_names)
    assert sum(len(n.split()) == 2 for n in all_names) > 0.15 * len(all_names)
    assert len({n.split()[0] for n in all_names}) > 0.4 * len(all_names)


def test_generated_reps_have_unique_nordic_names_handles_and_ascii_emails():
    data = generate(seed=8, today=TODAY, accounts=60, reps=60)
    names = [r.name for r in data.reps]
    assert len(set(names)) == len(names)
    assert len({r.handle for r in data.reps}) == len(names)
    assert all(
        r.email and r.email.isascii() and r.email.endswith("@example.com") for r in data.reps
    )
    assert sum(not n.isascii() for n in names) > len(names) // 3
    icelandic = [n for r, n in zip(data.reps, names, strict=True) if n.endswith(("son", "dóttir"))]
    assert icelandic  # patronymics


def test_names_outgrow_the_parts_without_stopping():
    """A benchmark book is far larger than the parts: names then repeat (keys get a
    suffix), but every name still has its country's shape."""
    g = NameGenerator(1, slug=slugify)
    names = [g.company("IS") for _ in range(6_000)]
    assert len(set(names[:500])) == 500
    assert 2_000 < len(set(names)) < 6_000
    assert all(n.endswith(("ehf.", "hf.")) for n in names)


# --------------------------------------------------------------------------- loading


def _load(store, data: DemoData, **kw):
    from khm.store.loading import bulk_load

    return bulk_load(
        store,
        reps=data.rep_rows(),
        accounts=data.account_rows(),
        touches=data.touch_rows(),
        tag_changes=data.tag_change_rows(),
        **kw,
    )


@pytest.fixture(scope="module")
def small() -> DemoData:
    return generate(seed=3, today=TODAY, accounts=120)


def test_bulk_load_writes_every_record(store, small):
    from sqlalchemy import func, select

    from khm.store.loading import row_counts
    from khm.store.models import Account, Touch

    result = _load(store, small)
    assert (result.reps, result.accounts, result.touches) == (5, 120, len(small.touches))
    assert result.tag_changes == len(small.tag_changes)
    assert row_counts(store) == {
        "rep": 5,
        "account": 120,
        "touch": len(small.touches),
        "tag_change": len(small.tag_changes),
    }
    with store.engine.connect() as conn:
        names = set(conn.execute(select(Account.name)).scalars())
        per_account = dict(
            conn.execute(
                select(Account.key, func.count(Touch.id))
                .join(Touch, Touch.account_id == Account.id)
                .group_by(Account.key)
            ).all()
        )
    assert {n for _, n, *_ in TRICKY_ACCOUNTS} <= names
    expected = Counter(t.account_key for t in small.touches)
    assert per_account == dict(expected)


def test_bulk_load_of_a_duplicate_key_is_a_conflict_and_writes_nothing(store, small, snapshot_db):
    _load(store, small)
    before = snapshot_db()
    with pytest.raises(ConflictError):
        _load(store, small)
    assert snapshot_db() == before


def test_bulk_load_replace_swaps_the_data_in_one_go(store, small):
    from khm.store.loading import row_counts

    _load(store, small)
    other = generate(seed=4, today=TODAY, accounts=60)
    _load(store, other, replace=True)
    assert row_counts(store)["account"] == 60


def test_touch_for_an_unknown_account_is_an_input_error_and_nothing_is_written(store, snapshot_db):
    from khm.store.loading import bulk_load

    before = snapshot_db()
    with pytest.raises(InputError, match="account_key"):
        bulk_load(
            store,
            reps=[{"handle": "x", "name": "X", "role": "keep", "capacity": 5.0}],
            touches=[{"account_key": "nope", "kind": "call", "date": TODAY}],
        )
    assert snapshot_db() == before


def test_loaded_demo_lists_identically_for_the_same_seed(cli, tmp_path: Path, small):
    from khm.store.db import open_store, path_to_url

    outs = []
    for name in ("one.db", "two.db"):
        s = open_store(path_to_url(tmp_path / name))
        _load(s, generate(seed=3, today=TODAY, accounts=120))
        s.dispose()
        outs.append(cli("--db", str(tmp_path / name), "account", "list", "--format", "json").stdout)
    assert outs[0] == outs[1]
    items = json.loads(outs[0])["items"]
    assert len(items) >= 100


# --------------------------------------------------------------------------- khm demo


def test_demo_builds_its_data_in_the_configured_database(cli, store):
    from khm.store.loading import row_counts

    result = cli("demo", "--accounts", "150", "--today", "2026-11-23", "--seed", "5")
    assert "Demo team built" in result.stdout
    assert "Try next:" in result.stdout
    assert "weekly --rep asa" in result.stdout
    counts = row_counts(store)
    assert counts["rep"] == 5
    assert counts["account"] == 150
    assert counts["touch"] > 500


def test_demo_goes_to_demo_db_in_the_data_dir_by_default(cli, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("KHM_DATABASE_URL")
    result = cli("demo", "--accounts", "60", "--today", "2026-11-23")
    path = tmp_path / "data" / "demo.db"
    assert path.exists()
    assert not (tmp_path / "data" / "khm.db").exists()
    assert str(path) in result.stdout
    assert f"khm --db {path} weekly" in result.stdout


def test_demo_refuses_a_database_that_holds_data_unless_forced(cli, tmp_path: Path, snapshot_db):
    target = tmp_path / "mine.db"
    cli("demo", "--db", str(target), "--accounts", "60", "--today", "2026-11-23")
    from khm.store.db import open_store, path_to_url
    from khm.store.loading import row_counts

    result = cli("demo", "--db", str(target), "--accounts", "80", code=7)
    assert str(target) in result.stderr
    assert "--force" in result.stderr
    s = open_store(path_to_url(target))
    assert row_counts(s)["account"] == 60
    cli("demo", "--db", str(target), "--accounts", "80", "--today", "2026-11-23", "--force")
    assert row_counts(s)["account"] == 80
    s.dispose()


def test_demo_refuses_a_database_of_another_application(cli, tmp_path: Path):
    import sqlite3

    target = tmp_path / "other.db"
    con = sqlite3.connect(target)
    con.execute("CREATE TABLE notes (x TEXT)")
    con.execute("INSERT INTO notes VALUES ('keep me')")
    con.commit()
    con.close()
    result = cli("demo", "--db", str(target), "--accounts", "60", code=7)
    assert "not a khm database" in result.stderr
    assert str(target) in result.stderr
    con = sqlite3.connect(target)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    con.close()
    assert tables == ["notes"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--accounts", "0"), "--accounts"),
        (("--accounts", "-5"), "--accounts"),
        (("--rep", "nobody"), "--rep"),
        (("--today", "2026-13-01"), "--today"),
    ],
)
def test_demo_bad_options_are_clean_errors_and_write_nothing(cli, snapshot_db, args, needle):
    before = snapshot_db()
    result = cli("demo", *args, code=2)
    assert needle in result.stderr
    assert snapshot_db() == before


def test_current_tags_are_what_khm_tag_gives(store, small):
    """The generator's own estimate of the method's tags (used by the benchmark's
    --tagged) agrees with the tag service: a rule run right after changes nothing."""
    from khm.services.tag import tag_accounts
    from khm.store.loading import bulk_load

    bulk_load(
        store,
        reps=small.rep_rows(),
        accounts=small.account_rows(tags="current"),
        touches=small.touch_rows(),
    )
    result = tag_accounts(store, METHOD, today=TODAY, dry_run=True)
    assert result.changes == []


def test_history_tags_leave_khm_tag_a_few_moves(store, demo):
    from khm.services.tag import tag_accounts

    _load(store, demo)
    result = tag_accounts(store, METHOD, today=TODAY, dry_run=True)
    stale = {
        a.key
        for a in demo.accounts
        if not a.archived and (a.type, a.category) != (a.expected_type, a.expected_category)
    }
    assert {c.account for c in result.changes if c.old is not None} == stale
    assert len(result.manual_kept) == 3


@pytest.mark.slow
def test_demo_runs_the_method_and_shows_a_weekly_list(cli):
    result = cli("demo", "--today", "2026-11-23", "--rep", "mette")
    out = result.stdout
    assert "khm tag:" in out
    assert "khm assign:" in out
    assert "mette (Mette Kjær)" in out
    assert "week 2026-W48" in out
    listed = json.loads(cli("account", "list", "--format", "json").stdout)["items"]
    active = [a for a in listed if not a.get("archived")]
    assert len(active) > 600
    assert all(a["type"] in ("expand", "keep") for a in active)
    assert all(a["category"] in ("A", "B", "C", "D") for a in active)
    assert all(a["owner"] for a in active)
    reps = {
        r["handle"]: r["role"] for r in json.loads(cli("rep", "list", "-f", "json").stdout)["items"]
    }
    assert all(reps[a["owner"]] in (a["type"], "any") for a in active)


@pytest.mark.slow
def test_every_command_the_demo_suggests_works(cli, tmp_path: Path):
    import shlex

    db = tmp_path / "try.db"
    out = cli("demo", "--db", str(db), "--accounts", "120", "--today", "2026-11-23").stdout
    lines = [ln.strip() for ln in out.split("Try next:", 1)[1].strip().splitlines()]
    # each command under its comment, whole on one line (to copy it)
    comments, commands = lines[0::2], lines[1::2]
    assert len(commands) >= 6 and all(c.startswith("# ") for c in comments)
    for line in commands:
        args = shlex.split(line)
        assert args[:3] == ["khm", "--db", str(db)]
        cli(*args[1:])


@pytest.mark.slow
def test_same_seed_gives_byte_identical_account_and_history_listings(cli, tmp_path: Path):
    outs = []
    for name in ("a.db", "b.db"):
        db = str(tmp_path / name)
        cli("--db", db, "demo", "--today", "2026-11-23", "--seed", "11", "--accounts", "300")
        outs.append(
            (
                cli("--db", db, "account", "list", "--format", "json").stdout,
                cli("--db", db, "rep", "list", "--format", "json").stdout,
                cli("--db", db, "touch", "list", "--format", "json").stdout,
            )
        )
    assert outs[0] == outs[1]


def test_global_db_option_wins_over_the_demo_default(cli, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("KHM_DATABASE_URL")
    target = tmp_path / "team.db"
    cli("--db", str(target), "demo", "--accounts", "60", "--today", "2026-11-23")
    assert target.exists()
    assert not (tmp_path / "data" / "demo.db").exists()
    listed = json.loads(cli("--db", str(target), "rep", "list", "--format", "json").stdout)
    assert {r["handle"] for r in listed["items"]} == {"asa", "bjorn", "paivi", "mette", "sigga"}


def test_the_quick_start_can_be_run_twice(cli, monkeypatch, tmp_path: Path):
    """`pip install . && khm demo` twice: the demo's own database is rebuilt, not refused."""
    monkeypatch.delenv("KHM_DATABASE_URL")
    first = cli("demo", "--accounts", "60", "--today", "2026-11-23")
    second = cli("demo", "--accounts", "60", "--today", "2026-11-23")
    demo_db = tmp_path / "data" / "demo.db"
    assert str(demo_db) in first.stdout and str(demo_db) in second.stdout
    from khm.store.db import open_store, path_to_url
    from khm.store.loading import row_counts

    s = open_store(path_to_url(demo_db))
    assert row_counts(s)["account"] == 60
    s.dispose()


# --------------------------------------------------------------------------- a working team

CAMPAIGN_KINDS = ("newsletter", "webinar")


def _first_lists(tmp: Path, seed: int) -> tuple[dict[str, list], dict[str, int], dict[str, float]]:
    """The demo built for TODAY: per rep the listed items (campaign kinds left out), the
    carried count and capacity's utilisation."""
    from khm.services.capacity import capacity_report
    from khm.services.demo import build_demo
    from khm.services.weekly import build_weekly
    from khm.store.db import open_store, path_to_url

    url = path_to_url(tmp / f"team-{seed}.db")
    build_demo(url, METHOD, today=TODAY, seed=seed, accounts=700, rep="asa")
    store = open_store(url)
    try:
        plan = build_weekly(store, METHOD, today=TODAY)
        cap = capacity_report(store, METHOD, today=TODAY)
    finally:
        store.dispose()
    items = {r.handle: [i for i in r.items if i.kind not in CAMPAIGN_KINDS] for r in plan.reps}
    carried = {r.handle: r.carried_over for r in plan.reps}
    util = {r.handle: r.utilisation or 0.0 for r in cap.reps}
    return items, carried, util


@pytest.fixture(scope="module", params=[42, 7])
def team(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    return _first_lists(tmp_path_factory.mktemp("team"), request.param)


@pytest.mark.slow
def test_every_rep_gets_a_first_list_of_about_10_to_30_items(team):
    items, _carried, _util = team
    assert set(items) == {"asa", "bjorn", "paivi", "mette", "sigga"}
    # "about 10-30" (issue 10): categories.min_group merges the demo's small groups, which
    # gives the keep rep with the most accounts up to 34 items on seed 42
    for handle, listed in items.items():
        assert 10 <= len(listed) <= 35, (handle, len(listed))


@pytest.mark.slow
def test_reps_who_keep_up_are_overdue_by_days_or_weeks(team):
    items, _carried, _util = team
    for handle, listed in items.items():
        if handle == BEHIND_REP:
            continue
        late = [i.days_overdue for i in listed if i.days_overdue > 60]
        assert len(late) <= 3, (handle, late)
        assert any(i.status == "due" for i in listed)


@pytest.mark.slow
def test_one_rep_is_visibly_behind(team):
    items, carried, _util = team
    behind = items[BEHIND_REP]
    others = [h for h in items if h != BEHIND_REP]

    def long_overdue(h: str) -> int:
        return sum(1 for i in items[h] if i.days_overdue > 60)

    assert carried[BEHIND_REP] >= 12
    assert all(carried[BEHIND_REP] > 2 * carried[h] for h in others)
    assert long_overdue(BEHIND_REP) >= 3  # fewer since work that waited an interval is skipped
    assert all(long_overdue(BEHIND_REP) > long_overdue(h) for h in others)
    assert sum(1 for i in behind if i.status == "overdue") > 5


@pytest.mark.slow
def test_capacity_agrees_with_the_first_lists(team):
    """A rep capacity says fits (utilisation up to 100 %) carries little; the rep over
    capacity is the one who carries a lot."""
    _items, carried, util = team
    over = {h for h, u in util.items() if u > 1.0}
    assert over == {BEHIND_REP}
    assert all(0.6 <= util[h] <= 0.95 for h in util if h not in over)
    for handle in util:
        if handle in over:
            assert carried[handle] >= 12
        else:
            assert carried[handle] <= 8, (handle, carried[handle])


def test_the_rep_behind_owns_more_load_than_capacity_and_the_neglected_accounts(demo):
    from khm.core.capacity import LoadTable

    table = LoadTable(METHOD)
    load: Counter[str] = Counter()
    for a in demo.accounts:
        if not a.archived and a.owner:
            load[a.owner] += table.load(a.expected_type, a.expected_category, a.country)
    cap = {r.handle: r.capacity for r in demo.reps}
    assert load[BEHIND_REP] > 1.05 * cap[BEHIND_REP]
    assert all(load[h] < cap[h] for h in cap if h != BEHIND_REP)
    owners = {a.key: a.owner for a in demo.accounts}
    assert {owners[k] for k in demo.neglected} <= {BEHIND_REP, None}


def test_generated_teams_have_no_rep_behind_and_neglect_everywhere():
    data = generate(seed=3, today=TODAY, accounts=600, reps=6)
    owners = {a.key: a.owner for a in data.accounts}
    assert len({owners[k] for k in data.neglected} - {None}) >= 3
