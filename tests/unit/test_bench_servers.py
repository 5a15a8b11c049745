"""The HTTP benchmark starts a fresh server per round: each must start on an empty database."""

from pathlib import Path

from bench.http import fresh_database_url


def test_each_server_gets_a_new_database_file(tmp_path: Path) -> None:
    # The OS may hand a later server the port of an earlier one: the file must not follow the
    # port, or the new server finds the earlier one's users and seeding them again is a 409.
    first, second = fresh_database_url(tmp_path), fresh_database_url(tmp_path)
    assert first != second
    for url in (first, second):
        path = Path(url.removeprefix("sqlite:///"))
        assert path.parent == tmp_path
        assert not path.exists()
