"""URLs in messages, logs and stats: shown without the secrets they may carry."""

import re
from urllib.parse import urlsplit

# `?password=…` (libpq, redis-py) and its spellings: a URL may carry its secret there too.
_SECRET_QUERY_PARAMETER = re.compile(r"(?i)(^|&)((?:ssl)?password|passwd|pwd)=[^&]*")


def redacted_url(url: str) -> str:
    """The URL with any password replaced by `***`, for messages, logs and stats."""
    parts = urlsplit(url)
    query = _SECRET_QUERY_PARAMETER.sub(r"\1\2=***", parts.query)
    if parts.password is None and query == parts.query:
        return url
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, hostinfo = netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}:***@{hostinfo}"
    return parts._replace(netloc=netloc, query=query).geturl()
