"""Translate `:name` parameters to PostgreSQL's `$n`, leaving literals and casts alone; the
values travel apart from the SQL text, so a quote in a value can do no harm."""

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

# One alternation, scanned left to right: the first five branches are skipped verbatim,
# only the last one (a `:name` not preceded by another colon) is a parameter.
_TOKENS = re.compile(
    r"""
      '(?:[^']|'')*'                     # 'string literal' with '' escapes
    | "(?:[^"]|"")*"                     # "quoted identifier"
    | --[^\n]*                           # -- line comment
    | /\*.*?\*/                          # /* block comment */
    | \$(?P<tag>(?:[A-Za-z_]\w*)?)\$.*?\$(?P=tag)\$  # $tag$ dollar-quoted $tag$
    | ::                                 # a cast, never a parameter
    | :(?P<name>[A-Za-z_]\w*)            # :name
    """,
    re.VERBOSE | re.DOTALL,
)


@functools.lru_cache(maxsize=1024)
def to_numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """Return the statement with `$1, $2, …` and the parameter names in number order."""
    numbers: dict[str, int] = {}  # name -> its number, in the order names first appear

    def replace(match: re.Match[str]) -> str:
        if (name := match.group("name")) is None:
            return match.group(0)
        return f"${numbers.setdefault(name, len(numbers) + 1)}"

    return _TOKENS.sub(replace, sql), tuple(numbers)


def bind(sql: str, params: Mapping[str, Any] | Sequence[Any] | None) -> tuple[str, list[Any]]:
    """Statement and argument list for asyncpg; a missing or extra name is a `ValueError`."""
    if not isinstance(params, Mapping):
        return sql, list(params or ())
    numbered, names = to_numbered(sql)
    if missing := [name for name in names if name not in params]:
        raise ValueError(f"no value given for parameter(s): {', '.join(missing)}")
    if len(params) != len(names):  # every name was found, so the rest are extra
        unused = sorted(set(params) - set(names))
        raise ValueError(f"parameter(s) not used by the statement: {', '.join(unused)}")
    return numbered, [params[name] for name in names]
