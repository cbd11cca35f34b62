"""Category A-D and type expand/keep from the method's rules (khm.core.classify)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khm.core.classify import (
    AccountFacts,
    categorise,
    check_rules,
    classify,
    skipped_rules,
    type_for,
)
from khm.errors import MethodError
from khm.method import CategoryRule, default_method, parse_method


def acc(key, revenue=None, country="SE", lines=("Widgets",), **kw):
    return AccountFacts(key=key, revenue=revenue, country=country, product_lines=tuple(lines), **kw)


# --------------------------------------------------------------------------- share


def test_share_rule_cuts_at_50_80_95_within_each_group():
    rule = CategoryRule(min_group=1)  # groups of 4: ranked alone
    # one group: 50, 30, 15, 5 → A (0% before), B (50% before), C (80%), D (95%)
    accounts = [acc("a", 50), acc("b", 30), acc("c", 15), acc("d", 5)]
    cats = categorise(accounts, rule)
    assert {k: d.value for k, d in cats.items()} == {"a": "A", "b": "B", "c": "C", "d": "D"}
    assert cats["a"].rule == "share: top 50% of SE/Widgets revenue"
    assert cats["b"].rule == "share: 50%–80% of SE/Widgets revenue"
    assert cats["d"].rule == "share: beyond 95% of SE/Widgets revenue"


def test_share_groups_are_separate_per_country_and_product_line():
    rule = CategoryRule(min_group=1)  # groups of 4: ranked alone
    accounts = [
        acc("se1", 1000),
        acc("se2", 1),
        acc("no1", 5, country="NO"),
        acc("w1", 3, lines=("Gadgets", "Widgets")),  # primary line Gadgets: its own group
    ]
    cats = categorise(accounts, rule)
    assert cats["no1"].value == "A" and "NO/Widgets" in cats["no1"].rule
    assert cats["w1"].value == "A" and "SE/Gadgets" in cats["w1"].rule
    assert cats["se2"].value == "D"


def test_share_group_by_country_only_and_no_grouping():
    by_country = CategoryRule(group_by=["country"], min_group=1)
    accounts = [acc("a", 90, lines=("X",)), acc("b", 10, lines=("Y",))]
    cats = categorise(accounts, by_country)
    assert cats["a"].value == "A" and cats["b"].value == "C"
    assert "of SE revenue" in cats["a"].rule
    everyone = CategoryRule(group_by=[])
    assert "of all revenue" in categorise(accounts, everyone)["a"].rule


def test_missing_metric_gets_the_fallback_and_says_so():
    rule = CategoryRule(fallback="C")
    cats = categorise([acc("a", 10), acc("nometric", None)], rule)
    assert cats["nometric"].value == "C"
    assert cats["nometric"].rule == "fallback C: no revenue"


def test_zero_or_negative_metric_is_d_not_a():
    cats = categorise([acc("z1", 0), acc("z2", -5)], CategoryRule())
    assert cats["z1"].value == "D" and cats["z2"].value == "D"


def test_metric_from_employees_and_from_a_custom_field():
    emp = CategoryRule(metric="employees")
    cats = categorise([acc("a", employees=1000), acc("b", employees=10)], emp)
    assert cats["a"].value == "A" and "employees" in cats["a"].rule
    custom = CategoryRule(metric="arr")
    accounts = [
        acc("a", custom={"arr": 900}),
        acc("b", custom={"arr": "100"}),  # numeric text is read
        acc("c", custom={"arr": "n/a"}),  # not a number: fallback
    ]
    cats = categorise(accounts, custom)
    assert cats["a"].value == "A" and cats["b"].value == "C" and cats["c"].value == "D"
    assert cats["c"].rule.startswith("fallback")


# --------------------------------------------------------------------------- thresholds


def thresholds_rule(**kw):
    return CategoryRule.model_validate(
        {
            "rule": "thresholds",
            "thresholds": {"A": 1_000_000, "B": 250_000, "C": 50_000},
            "overrides": [
                {"country": "NO", "thresholds": {"A": 2_000_000, "B": 500_000, "C": 100_000}},
                {"product_line": "Gadgets", "thresholds": {"A": 10, "B": 5, "C": 1}},
                {
                    "country": "NO",
                    "product_line": "Gadgets",
                    "thresholds": {"A": 100, "B": 50, "C": 10},
                },
            ],
            **kw,
        }
    )


def test_thresholds_with_country_and_product_line_overrides():
    rule = thresholds_rule()
    accounts = [
        acc("se", 1_500_000),
        acc("no", 1_500_000, country="NO"),
        acc("no-big", 2_000_000, country="NO"),
        acc("gadget", 7, lines=("Gadgets",)),
        acc("no-gadget", 70, country="no", lines=("gadgets",)),
        acc("small", 10),
    ]
    cats = categorise(accounts, rule)
    got = {k: d.value for k, d in cats.items()}
    assert got == {
        "se": "A",
        "no": "B",
        "no-big": "A",
        "gadget": "B",
        "no-gadget": "B",
        "small": "D",
    }
    assert cats["no-big"].rule == "thresholds NO override: revenue ≥ 2,000,000"
    assert cats["se"].rule == "thresholds: revenue ≥ 1,000,000"
    assert cats["no-gadget"].rule == "thresholds NO/Gadgets override: revenue ≥ 50"
    assert cats["small"].rule == "thresholds: revenue 10 < 50,000"


# --------------------------------------------------------------------------- types


def test_type_rules_first_match_decides_else_default():
    m = default_method()
    assert type_for(acc("a", custom={"open_pipeline": 5}), m).value == "expand"
    d = type_for(acc("a", custom={"open_pipeline": 5}), m)
    assert d.rule == "rule 'open pipeline': open_pipeline > 0"
    d = type_for(acc("b", lifecycle_stage="Onboarding"), m)
    assert d.value == "expand" and d.rule.startswith("rule 'open opportunity'")
    d = type_for(acc("c", custom={"open_pipeline": 0}), m)
    assert (d.value, d.rule) == ("keep", "default keep")


def test_type_rule_can_use_the_new_category_and_product_lines():
    m = parse_method(
        DEFAULT_TOML_WITH_TYPES(
            """
[[types.rules]]
name = "big widget buyers"
type = "expand"
when = ["category in ['A', 'B']", "product_line == 'Widgets'"]
"""
        )
    )
    accounts = [acc("big", 100), acc("small", 1), acc("gad", 100, lines=("Gadgets",))]
    out = {c.key: c for c in classify(accounts, m)}
    assert out["big"].type == "expand" and out["small"].type == "keep"
    assert out["gad"].category == "A" and out["gad"].type == "keep"


def DEFAULT_TOML_WITH_TYPES(rules: str) -> str:
    from khm.method import DEFAULT_METHOD_TOML

    head, rest = DEFAULT_METHOD_TOML.split("[types]", 1)
    tail = rest.split("# ----", 1)[1]
    return head + '[types]\ndefault = "keep"\n' + rules + "\n# ----" + tail


# --------------------------------------------------------------------------- errors


def test_unknown_metric_field_is_a_method_error_naming_the_key():
    m = parse_method(
        DEFAULT_TOML_WITH_TYPES("").replace('metric = "revenue"', 'metric = "turnover"')
    )
    with pytest.raises(MethodError, match=r"categories\.metric.*turnover"):
        check_rules(m, [acc("a", 1)])
    m2 = parse_method(DEFAULT_TOML_WITH_TYPES("").replace('metric = "revenue"', 'metric = "name"'))
    with pytest.raises(MethodError, match="not a numeric field"):
        check_rules(m2, [acc("a", 1)])


def test_type_rule_on_a_field_no_account_has_names_the_condition():
    from khm.method import DEFAULT_METHOD_TOML, parse_method

    m = parse_method(
        DEFAULT_METHOD_TOML.replace('if_missing = "skip"', "")
    )  # rules[1]: deals_open > 0
    with pytest.raises(MethodError, match=r"types\.rules\[1\]\.when\[0\].*deals_open"):
        check_rules(m, [acc("a", 1)])
    check_rules(m, [acc("a", 1), acc("b", 2, custom={"open_pipeline": 0, "deals_open": 0})])


def test_a_rule_marked_if_missing_skip_is_skipped_with_a_note():
    m = default_method()  # the default marks the deal rules if_missing = "skip"
    check_rules(m, [acc("a", 1)])
    notes = skipped_rules(m, [acc("a", 1)])
    assert len(notes) == 2 and "deals_open" in notes[0] and "open_pipeline" in notes[1]
    assert "khm import deals FILE derives it" in notes[0]
    assert skipped_rules(m, [acc("b", 2, custom={"open_pipeline": 0, "deals_open": 0})]) == []
    custom = skipped_rules(m, [acc("b", 2, custom={"deals_open": 0})])
    assert custom == [
        "types.rules[2] (open pipeline) skipped: no account has 'open_pipeline' "
        "(khm import deals FILE derives it)"
    ]


# --------------------------------------------------------------------------- manual


def test_manual_tags_are_kept_and_report_what_the_rule_says():
    m = default_method()
    accounts = [
        acc("a", 100, custom={"open_pipeline": 0}),
        acc("b", 1, type="expand", category="A", type_manual=True, category_manual=True),
    ]
    out = {c.key: c for c in classify(accounts, m)}
    b = out["b"]
    assert (b.type, b.category) == ("expand", "A")
    assert b.type_manual and b.category_manual
    assert (b.type_rule.value, b.category_rule.value) == ("keep", "D")
    reset = {c.key: c for c in classify(accounts, m, reset_manual=True)}["b"]
    assert (reset.type, reset.category) == ("keep", "D")


# --------------------------------------------------------------------------- properties

metric_values = st.one_of(
    st.none(), st.floats(min_value=-10, max_value=1e7, allow_nan=False), st.integers(0, 10**6)
)
accounts_strategy = st.lists(
    st.tuples(
        metric_values,
        st.sampled_from(["SE", "NO", None]),
        st.sampled_from([("Widgets",), ("Gadgets",), ()]),
    ),
    min_size=1,
    max_size=60,
)
RANK = {"A": 0, "B": 1, "C": 2, "D": 3}


def _facts(spec):
    return [
        AccountFacts(key=f"k{i:03d}", revenue=v, country=c, product_lines=pl)
        for i, (v, c, pl) in enumerate(spec)
    ]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(accounts_strategy, st.sampled_from(["share", "thresholds"]))
def test_more_metric_never_means_a_lower_category_within_a_group(spec, rule_name):
    from khm.core.classify import group_key

    rule = thresholds_rule() if rule_name == "thresholds" else CategoryRule()
    facts = _facts(spec)
    cats = categorise(facts, rule)
    groups: dict = {}
    for f in facts:
        if f.revenue is None:
            continue
        key = group_key(f, rule) if rule_name == "share" else (f.country, f.product_line)
        groups.setdefault(key, []).append(f)
    for members in groups.values():
        for x in members:
            for y in members:
                if x.revenue > y.revenue:
                    assert RANK[cats[x.key].value] <= RANK[cats[y.key].value]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(min_value=0.01, max_value=1e6, allow_nan=False), min_size=1, max_size=80),
    st.sampled_from([(50, 80, 95), (20, 50, 70), (70, 90, 100)]),
)
def test_abc_cut_points_are_respected(values, cuts):
    rule = CategoryRule(share={"A": cuts[0], "B": cuts[1], "C": cuts[2]}, group_by=[])
    facts = [AccountFacts(key=f"k{i:03d}", revenue=v) for i, v in enumerate(values)]
    cats = categorise(facts, rule)
    total = sum(values)
    biggest = max(values)
    for letter, cut in zip("ABC", cuts, strict=True):
        upto = [f.revenue for f in facts if RANK[cats[f.key].value] <= RANK[letter]]
        share = 100 * sum(upto) / total
        # the accounts up to this letter hold at least the cut (unless a cut is 100%)...
        assert share >= min(cut, 100) - 1e-6 or cut >= 100
        # ...and at most the cut plus one account's share
        assert share <= cut + 100 * biggest / total + 1e-6
    # every account is classified, by key
    assert set(cats) == {f.key for f in facts}


@settings(max_examples=100, deadline=None)
@given(accounts_strategy, st.data())
def test_manual_tags_survive_rule_runs(spec, data):
    m = default_method()
    facts = _facts(spec)
    pinned = data.draw(st.sets(st.sampled_from([f.key for f in facts])))
    tags = {
        k: (data.draw(st.sampled_from(["expand", "keep"])), data.draw(st.sampled_from("ABCD")))
        for k in sorted(pinned)
    }
    from dataclasses import replace

    facts = [
        replace(
            f,
            custom={"open_pipeline": 0},
            type=tags[f.key][0],
            category=tags[f.key][1],
            type_manual=True,
            category_manual=True,
        )
        if f.key in tags
        else replace(f, custom={"open_pipeline": 1})
        for f in facts
    ]
    for c in classify(facts, m):
        if c.key in tags:
            assert (c.type, c.category) == tags[c.key]
        else:
            assert c.type == "expand"


# --------------------------------------------------------------------------- min_group


def test_a_group_under_min_group_is_ranked_within_its_country_then_all():
    from khm.core.classify import share_merges

    big = [acc(f"se{i:02d}", 100 - i, "SE", ("Widgets",)) for i in range(10)]
    small_se = [acc("se-g1", 5, "SE", ("Gadgets",)), acc("se-g2", 1000, "SE", ("Gadgets",))]
    lone_no = [acc("no-1", 1, "NO", ("Widgets",))]
    facts = big + small_se + lone_no
    rule = CategoryRule()
    assert rule.min_group == 10
    assert share_merges(facts, rule) == {"NO/Widgets": "all", "SE/Gadgets": "SE"}
    cats = categorise(facts, rule)
    # SE/Gadgets is ranked among all 12 SE accounts: 1000 is A, 5 is D there
    assert cats["se-g2"].value == "A" and "SE revenue" in cats["se-g2"].rule
    assert cats["se-g1"].value == "D"
    # the large group keeps its own ranking
    assert cats["se00"].value == "A" and "SE/Widgets revenue" in cats["se00"].rule
    # the lone Norwegian account is not A on its own: it is ranked among all accounts
    assert cats["no-1"].value == "D" and "all revenue" in cats["no-1"].rule
    assert categorise(facts, CategoryRule(min_group=1))["no-1"].value == "A"


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(accounts_strategy, st.sampled_from([["country", "product_line"], ["country"], []]))
def test_with_min_group_over_every_group_no_account_is_ranked_alone(spec, group_by):
    """min_group larger than any group: each account is ranked among all accounts, so the
    top account of all is A and no account is A merely for being alone in its group."""
    from khm.core.classify import share_merges

    facts = _facts(spec)
    with_metric = [f for f in facts if f.revenue is not None]
    rule = CategoryRule(group_by=group_by, min_group=len(facts) + 1)
    cats = categorise(facts, rule)
    assert set(share_merges(facts, rule).values()) <= {"all"}
    for f in with_metric:
        assert "all revenue" in cats[f.key].rule or "no revenue" in cats[f.key].rule
    positive = [f for f in with_metric if f.revenue > 0]
    if positive:
        top = max(positive, key=lambda f: (f.revenue, [-ord(c) for c in f.key]))
        assert cats[top.key].value == "A"
    # the same categories as ranking all accounts together
    flat = categorise(facts, CategoryRule(group_by=[]))
    assert {k: d.value for k, d in cats.items()} == {k: d.value for k, d in flat.items()}
