"""The progress bar moves page by page during one big pull, not once per user at the end."""

from __future__ import annotations

import threading

import pytest

import scdata
import scdata._client
import scdata._collect
from scdata.sandbox import Sandbox

USER = "big-catalog"  # 10,000 tracks: 50 pages of 200


class RecordingBar:
    """Records each update with how many track pages SoundCloud had served by then."""

    def __init__(self, sandbox: Sandbox, total: int | None) -> None:
        self.sandbox, self.total = sandbox, total
        self.updates: list[tuple[int, int]] = []
        self.closed = False
        self._lock = threading.Lock()

    def update(self, n: int = 1) -> None:
        with self._lock:
            self.updates.append((n, self.sandbox.count("/users/*/tracks")))

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def client(sandbox, cache_dir):
    """Pacing is not what these tests are about: the emulator's app limit is raised to 60/s and
    the client paces at 50/s, below it, so 50 pages take a second, not six."""
    sandbox.request_rate = 60
    with scdata.Client(**sandbox.client_settings, cache_dir=cache_dir, rate_limit=50) as c:
        yield c


@pytest.fixture
def bars(monkeypatch, sandbox):
    made: list[RecordingBar] = []

    def progress_bar(total, desc, enabled):
        bar = RecordingBar(sandbox, total)
        if enabled:
            made.append(bar)
        return bar

    monkeypatch.setattr(scdata._client, "progress_bar", progress_bar)  # iter_tracks
    monkeypatch.setattr(scdata._collect, "progress_bar", progress_bar)  # every frame function
    return made


@pytest.mark.slow  # 10,000 tracks, cold
@pytest.mark.parametrize("raw", [False, True], ids=["frame", "raw"])
def test_tracks_df_moves_the_bar_per_page(client, sandbox, bars, raw):
    result = client.tracks_df(USER, raw=raw, progress=True)
    [bar] = bars
    pages = sandbox.count("/users/*/tracks")
    assert bar.total == len(result) == 10_000 and bar.closed
    assert len(bar.updates) >= 50 and sum(n for n, _ in bar.updates) == len(result)
    served_at_first_update = bar.updates[0][1]
    assert served_at_first_update < pages  # it moved before the last page had come in


def test_iter_tracks_moves_the_bar_per_page(client, sandbox, bars):
    walk = client.iter_tracks(USER, limit=1000, progress=True)
    first = [next(walk) for _ in range(200)]
    [bar] = bars
    assert [n for n, _ in bar.updates] == [200] and len(first) == 200
    assert len(list(walk)) == 800
    assert [n for n, _ in bar.updates] == [200] * 5 and bar.closed


@pytest.mark.slow  # 10,000 tracks, cold then warm
def test_a_warm_pull_fills_the_bar_from_the_walk_copy(client, sandbox, bars):
    client.tracks_df(USER, progress=False)
    sandbox.clear_log()
    client.tracks_df(USER, progress=True)  # one typed copy of the whole walk: milliseconds
    [bar] = bars
    assert bar.total == 10_000 and sum(n for n, _ in bar.updates) == 10_000 and bar.closed
    assert sandbox.count("/users/*/tracks") == 0
