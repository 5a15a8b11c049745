"""How the Redis cache store turns values into bytes and back."""

import json
from typing import Any, Final, NoReturn, Protocol


class ValueCodec(Protocol):
    """`encode` raises `TypeError` or `ValueError` for a value it cannot represent, `decode`
    `ValueError` for data it did not write."""

    def encode(self, value: Any) -> bytes: ...
    def decode(self, data: bytes) -> Any: ...


def _reject(value: Any) -> NoReturn:
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


class JsonCodec:
    """Compact UTF-8 JSON: readable in redis-cli and safe to decode, unlike pickle. JSON's rules
    apply: tuples come back as lists, and dict keys as strings."""

    def encode(self, value: Any) -> bytes:
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), default=_reject
        ).encode()

    def decode(self, data: bytes) -> Any:
        return json.loads(data)


JSON_CODEC: Final = JsonCodec()
