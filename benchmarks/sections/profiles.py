"""``--profile``: pyinstrument the warm pull and the normalisation (not a table section)."""

from __future__ import annotations

from pathlib import Path

import normalise
from _common import Bench, say
from _profile import profile


def profile_hot_paths(bench: Bench, warm_cache: Path, out_dir: Path) -> str:
    """Profiles of a warm ``tracks_df`` on ``warm_cache`` and of ``normalise.scdata_frame``."""
    user = bench.sizes.user
    say(f"profile: warm tracks_df({user!r})")
    warm = profile("warm-pull", lambda: bench.tracks_df(warm_cache, user), out_dir, repeat=5)
    n = bench.sizes.normalise_n
    say(f"profile: normalisation of {n:,} tracks (normalise.scdata_frame)")
    pages = normalise.make_pages(n, 42)
    frame = profile("normalisation", lambda: normalise.scdata_frame(pages), out_dir, repeat=3)
    return "\n".join([warm, frame])
