"""`:name` to `$n`: parameters are numbered, everything that only looks like one is left alone."""

import pytest

from providers.database.pools.named_params import bind, to_numbered


@pytest.mark.parametrize(
    ("sql", "numbered", "names"),
    [
        ("SELECT :a, :b, :a", "SELECT $1, $2, $1", ("a", "b")),
        ("SELECT ':not_a_param', :real", "SELECT ':not_a_param', $1", ("real",)),
        ("SELECT 'it''s :quoted', :x", "SELECT 'it''s :quoted', $1", ("x",)),
        (
            'SELECT "odd:column" FROM t WHERE id = :id',
            'SELECT "odd:column" FROM t WHERE id = $1',
            ("id",),
        ),
        ("SELECT :v::int", "SELECT $1::int", ("v",)),
        ("SELECT 1 -- :comment\n, :after", "SELECT 1 -- :comment\n, $1", ("after",)),
        ("SELECT /* :block */ :after", "SELECT /* :block */ $1", ("after",)),
        (
            "SELECT $$ :dollar $$, $t$ :tagged $t$, :x",
            "SELECT $$ :dollar $$, $t$ :tagged $t$, $1",
            ("x",),
        ),
        ("SELECT now()::timestamp", "SELECT now()::timestamp", ()),
    ],
)
def test_only_real_parameters_are_numbered(sql: str, numbered: str, names: tuple[str, ...]) -> None:
    assert to_numbered(sql) == (numbered, names)


def test_bind_orders_values_by_number() -> None:
    assert bind("SELECT :b, :a, :b", {"a": 1, "b": "x'); DROP TABLE users; --"}) == (
        "SELECT $1, $2, $1",
        ["x'); DROP TABLE users; --", 1],
    )


def test_positional_values_pass_through() -> None:
    assert bind("SELECT $1", [5]) == ("SELECT $1", [5])
    assert bind("SELECT 1", None) == ("SELECT 1", [])


def test_a_missing_or_unused_name_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"no value given for parameter.*: b"):
        bind("SELECT :a, :b", {"a": 1})
    with pytest.raises(ValueError, match="not used by the statement: c"):
        bind("SELECT :a", {"a": 1, "c": 2})
