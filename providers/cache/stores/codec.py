"""How the Redis cache store turns values into bytes and back."""

import json
from typing import Any, Final, NoReturn, Protocol


class ValueCodec(Protocol):
    """Turns cached values into the bytes Redis keeps, and back."""

    def encode(self, value: Any) -> bytes:
        """Raise `TypeError` or `ValueError` for a value this codec cannot represent."""
        ...

    def decode(self, data: bytes) -> Any:
        """Raise `ValueError` for data this codec did not write."""
        ...


def _reject(value: Any) -> NoReturn:
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


class JsonCodec:
    """UTF-8 JSON: readable in redis-cli and safe to decode, unlike pickle.

    JSON's rules apply: tuples come back as lists, and dict keys as strings.
    """

    def encode(self, value: Any) -> bytes:
        """Compact JSON text; `TypeError` names the first type JSON cannot hold."""
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_reject)
        return text.encode()

    def decode(self, data: bytes) -> Any:
        """The value `encode` wrote; `ValueError` for anything that is not JSON."""
        return json.loads(data)


JSON_CODEC: Final = JsonCodec()

__all__ = ["JSON_CODEC", "JsonCodec", "ValueCodec"]
