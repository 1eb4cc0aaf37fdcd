"""Benchmark: raw API page bytes -> typed tracks DataFrame.

Compares, in the same run and on the same input:

- **scdata**: ``orjson.loads`` each page, ``scdata.frames.convert.tracks_frame`` over
  the pages (each page goes to Arrow as it arrives);
- **naive**: ``json.loads`` each page, accumulate all dicts,
  ``pd.json_normalize``, then fix every dtype to the same schema in pandas
  (same columns, same values: checked with ``assert_frame_equal``).

The input is synthetic but shaped like real responses (all Track and User
fields of the 2022 recording plus ``urn``, nulls, quoted and machine tags,
missing keys, a few unknown keys and duplicate tracks across pages), seeded,
as pages of 200 tracks: ``{"collection": [...], "next_href": ...}`` as bytes.

Each approach runs in its own fresh subprocess, which loads the page bytes,
warms up on one page, then converts everything 3 times. Time is the best of
the 3. Memory is the peak RSS of the first conversion (Linux ``VmHWM``, reset
just before it) minus the RSS just before it, so the interpreter, libraries
and input bytes are not counted; the absolute peak RSS is printed too.
Linux only (``/proc``).

Usage::

    python benchmarks/normalise.py            # 100,000 tracks
    python benchmarks/normalise.py --quick    # 20,000 tracks, for CI (about 7 s)
    python benchmarks/normalise.py --n 20000 --check   # exit 1 if a target fails
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import pandas as pd

from scdata.frames.convert import tracks_frame
from scdata.frames.schema import TIMESTAMP_FORMAT, TRACK_COLUMNS
from scdata.frames.tags import parse_tag_list

PAGE_SIZE = 200
# The targets hold from about 20,000 tracks. Below that, fixed costs dominate (measured:
# at 5,000 tracks 3.1x faster and 0.53x the memory; at 10,000 3.6x and 0.52x).
QUICK_N = 20_000
SPEED_TARGET = 4.0  # scdata at least this many times faster than naive
PEAK_TARGET_MIB = 300.0  # scdata peak memory below this
MEMORY_RATIO_TARGET = 0.5  # scdata peak at most this fraction of naive's

# --------------------------------------------------------------------------- synthetic input

_GENRES = ["Electronic", "Hip-hop & Rap", "Drum & Bass", "House", "Techno", "Ambient", "Pop"]
_GENRES += [f"Genre {i}" for i in range(30)]
_TAGS = ["rock", "chill", "lofi", '"hip hop"', "edm", '"deep house"', "remix", "trap"]
_TAGS += ["ambient", "jazz", '"drum and bass"', "pop", "berlin", '"live set"', "2024"]
_MACHINE = ["soundcloud:source=web-record", "soundcloud:source=iphone-record", "dj:bpm=128"]
_LICENSES = ["all-rights-reserved", "cc-by", "cc-by-nc", "cc-by-sa", "no-rights-reserved"]
_COUNTRIES = ["DE", "GB", "US", "FR", "BR", "NG", "JP", "NL"]


def _when(rng: random.Random, lo: int = 1_300_000_000, hi: int = 1_780_000_000) -> str:
    ts = rng.randint(lo, hi)
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y/%m/%d %H:%M:%S +0000")


def _maybe(rng: random.Random, p_null: float, value: object) -> object:
    return None if rng.random() < p_null else value


def _user(rng: random.Random, uid: int) -> dict:
    name = f"artist{uid}"
    return {
        "avatar_url": f"https://i1.sndcdn.com/avatars-{uid:012d}-jnf2pd-large.jpg",
        "id": uid,
        "urn": f"soundcloud:users:{uid}",
        "kind": "user",
        "permalink_url": f"https://soundcloud.com/{name}",
        "uri": f"https://api.soundcloud.com/users/{uid}",
        "username": f"Artist {uid}",
        "permalink": name,
        "created_at": _when(rng, 1_200_000_000, 1_400_000_000),
        "last_modified": _when(rng),
        "first_name": "",
        "last_name": "",
        "full_name": _maybe(rng, 0.5, f"Artist Number {uid}"),
        "city": rng.choice(["", "Berlin", "London", "São Paulo", "Lagos", None]),
        "description": _maybe(rng, 0.4, "Producer and DJ. Bookings: mail@example.com"),
        "country": _maybe(rng, 0.5, rng.choice(["Germany", "United Kingdom", "Brazil"])),
        "track_count": rng.randint(0, 800),
        "public_favorites_count": rng.randint(0, 5000),
        "reposts_count": rng.randint(0, 500),
        "followers_count": rng.randint(0, 2_000_000),
        "followings_count": rng.randint(0, 5000),
        "plan": rng.choice(["Free", "Pro Plus", "Pro Unlimited"]),
        "myspace_name": None,
        "discogs_name": _maybe(rng, 0.9, name),
        "website_title": None,
        "website": _maybe(rng, 0.7, f"https://{name}.example.com"),
        "comments_count": 0,
        "online": False,
        "likes_count": rng.randint(0, 5000),
        "playlist_count": rng.randint(0, 40),
        "subscriptions": [{"product": {"id": "free", "name": "Free"}}],
    }


def _tag_list(rng: random.Random) -> str:
    machine = rng.sample(_MACHINE, rng.choice([0, 0, 1, 1, 2]))
    user = rng.sample(_TAGS, rng.randint(0, 6))
    return " ".join(machine) + " " + " ".join(user) if machine else " ".join(user)


def _track(rng: random.Random, i: int, users: list[dict]) -> dict:
    tid = 2_100_000_000 + i * 7  # around and above 2**31, like today's ids
    user = rng.choice(users)
    created = _when(rng)
    codes = rng.random()
    countries = None if codes < 0.9 else rng.sample(_COUNTRIES, rng.randint(1, 5))
    return {
        "kind": "track",
        "id": tid,
        "urn": f"soundcloud:tracks:{tid}",
        "created_at": created,
        "duration": rng.randint(30_000, 3_600_000),
        "commentable": rng.random() < 0.95,
        "comment_count": _maybe(rng, 0.1, rng.randint(0, 10_000)),
        "sharing": "public",
        "tag_list": _tag_list(rng),
        "streamable": _maybe(rng, 0.02, rng.random() < 0.97),
        "embeddable_by": rng.choice(["all", "all", "me", "none"]),
        "purchase_url": _maybe(rng, 0.9, "https://example.com/buy"),
        "purchase_title": _maybe(rng, 0.9, "Buy"),
        "genre": _maybe(rng, 0.15, rng.choice(_GENRES)),
        "title": f"Track title number {i} (Original Mix)",
        "description": _maybe(rng, 0.3, "A description of the track. " * rng.randint(1, 6)),
        "label_name": _maybe(rng, 0.7, rng.choice(["Label A", "Label B", "Self-released"])),
        "release": _maybe(rng, 0.8, f"EP {i % 100}"),
        "key_signature": _maybe(rng, 0.9, rng.choice(["C", "Am", "F#m"])),
        "isrc": _maybe(rng, 0.6, f"DEUM7{tid % 10**7:07d}"),
        "bpm": _maybe(rng, 0.8, rng.choice([120, 128, 174.5, 90.25])),
        "release_year": _maybe(rng, 0.7, rng.randint(1990, 2026)),
        "release_month": _maybe(rng, 0.7, rng.randint(1, 12)),
        "release_day": _maybe(rng, 0.7, rng.randint(1, 28)),
        "license": rng.choice(_LICENSES),
        "uri": f"https://api.soundcloud.com/tracks/{tid}",
        "user": user,
        "permalink_url": f"{user['permalink_url']}/track-{tid}",
        "artwork_url": _maybe(rng, 0.2, f"https://i1.sndcdn.com/artworks-{tid:012d}-large.jpg"),
        "stream_url": f"https://api.soundcloud.com/tracks/{tid}/stream",
        "download_url": None,
        "waveform_url": f"https://wave.sndcdn.com/{tid:x}_m.png",
        "available_country_codes": countries,
        "secret_uri": None,
        "user_favorite": False,
        "user_playback_count": _maybe(rng, 0.5, rng.randint(0, 5)),
        "playback_count": _maybe(rng, 0.05, rng.randint(0, 10**8)),
        "download_count": rng.randint(0, 1000),
        "favoritings_count": rng.randint(0, 10**6),
        "reposts_count": rng.randint(0, 10**5),
        "downloadable": rng.random() < 0.1,
        "access": rng.choice(["playable", "playable", "preview", "blocked"]),
        "policy": None,
        "monetization_model": None,
        "metadata_artist": _maybe(rng, 0.8, f"Feat. Artist {i % 50}"),
    }


def generate_tracks(n: int, seed: int = 42) -> list[dict]:
    """Make `n` realistic track dicts, deterministically.

    Includes schema drift: missing keys, ``user`` null, ``urn`` or ``id``
    absent, an unknown key, ``available_country_codes`` as a string, and a few
    tracks repeated (as pages sometimes repeat an item).

    Parameters
    ----------
    n : int
        Number of track dicts.
    seed : int, default 42
        Seed of the generator.

    Returns
    -------
    list of dict

    Examples
    --------
    >>> tracks = generate_tracks(3)
    >>> len(tracks), tracks[0]["kind"]
    (3, 'track')
    """
    rng = random.Random(seed)
    users = [_user(rng, 1_000_000 + k) for k in range(50)]
    tracks = [_track(rng, i, users) for i in range(n)]
    for t in tracks[7::97]:
        t.pop("bpm", None)
        t.pop("key_signature", None)
    for t in tracks[500::1013]:
        t["user"] = None
    for t in tracks[3::50]:
        del t["urn"]
    for t in tracks[11::61]:
        del t["id"]
    for t in tracks[13::89]:
        t["new_field_2027"] = {"something": [1, 2, 3]}
    for t in tracks[17::499]:
        t["available_country_codes"] = "DE,GB"
    for k in range(250, n, 499):  # a track repeated in a later position
        tracks[k] = tracks[k - 150]
    return tracks


def make_pages(n: int, seed: int = 42) -> list[bytes]:
    """Serialise `n` synthetic tracks as API pages of 200 (JSON bytes).

    Parameters
    ----------
    n : int
        Number of tracks.
    seed : int, default 42
        Seed of the generator.

    Returns
    -------
    list of bytes
        ``{"collection": [...], "next_href": ...}`` per page.

    Examples
    --------
    >>> pages = make_pages(250)
    >>> len(pages), len(orjson.loads(pages[1])["collection"])
    (2, 50)
    """
    tracks = generate_tracks(n, seed)
    pages = []
    for start in range(0, n, PAGE_SIZE):
        nxt = None if start + PAGE_SIZE >= n else f"https://api.soundcloud.com/x?cursor={start}"
        pages.append(
            orjson.dumps({"collection": tracks[start : start + PAGE_SIZE], "next_href": nxt})
        )
    return pages


# --------------------------------------------------------------------------- the two approaches


def scdata_frame(pages: list[bytes]) -> pd.DataFrame:
    """The scdata path: orjson per page, streamed into ``tracks_frame``.

    Parameters
    ----------
    pages : list of bytes
        Raw page bodies.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> scdata_frame(make_pages(10)).shape[0]
    10
    """
    return tracks_frame(orjson.loads(body)["collection"] for body in pages)


def _to_list(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [code for code in value.replace(",", " ").split() if code]
    if isinstance(value, list):
        return value
    return None


def naive_frame(pages: list[bytes]) -> pd.DataFrame:
    """The naive path: json.loads, accumulate, json_normalize, fix dtypes in pandas.

    Produces the same frame as :func:`scdata_frame` (checked by the benchmark).

    Parameters
    ----------
    pages : list of bytes
        Raw page bodies.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> naive_frame(make_pages(10)).shape[0]
    10
    """
    records: list[dict] = []
    for body in pages:
        records.extend(json.loads(body)["collection"])
    return records_frame(records)


def records_frame(records: list[dict]) -> pd.DataFrame:
    """``pd.json_normalize`` + the dtype fixes that give the schema: the naive path's second half.

    Examples
    --------
    >>> records_frame([{"id": 1, "tag_list": "a"}]).loc[0, "urn"]
    'soundcloud:tracks:1'
    """
    raw = pd.json_normalize(records, sep="_")
    n = len(raw)
    out: dict[str, pd.Series] = {}
    for col in TRACK_COLUMNS:
        if col.derived:
            continue
        s = raw[col.name] if col.name in raw else pd.Series([None] * n, dtype=object)
        if col.kind == "int":
            s = s.astype("Int64")
        elif col.kind == "float":
            s = s.astype("float64")
        elif col.kind == "bool":
            s = s.astype("boolean")
        elif col.kind == "str":
            s = s.astype("str")
            if not col.keep_empty:
                s = s.where(s != "")  # the API's "" for "no value" is missing
        elif col.kind == "timestamp":
            s = pd.to_datetime(s, format=TIMESTAMP_FORMAT, utc=True).dt.as_unit("us")
        elif col.kind == "list":
            s = s.map(_to_list).astype(object)
        out[col.name] = s.reset_index(drop=True)
    for prefix, collection in (("", "tracks"), ("user_", "users")):
        ids, urns = out[prefix + "id"], out[prefix + "urn"]
        parsed = urns.str.extract(rf"^soundcloud:{collection}:(\d+)$")[0].astype("Int64")
        out[prefix + "id"] = ids.fillna(parsed)
        built = ("soundcloud:" + collection + ":" + ids.astype("str")).where(ids.notna())
        out[prefix + "urn"] = urns.fillna(built).astype("str")
    out["duration_s"] = out["duration"].astype("float64") / 1000.0
    parsed_tags = out["tag_list"].map(lambda s: parse_tag_list(s) if isinstance(s, str) else None)
    out["tags"] = parsed_tags.map(lambda p: None if p is None else p[0]).astype(object)
    out["machine_tags"] = parsed_tags.map(lambda p: None if p is None else p[1]).astype(object)
    df = pd.DataFrame({c.name: out[c.name] for c in TRACK_COLUMNS})
    duplicate = df["urn"].duplicated() & df["urn"].notna()
    return df[~duplicate].reset_index(drop=True)


APPROACHES = {"scdata": scdata_frame, "naive": naive_frame}
LABELS = {
    "scdata": "scdata: orjson per page + tracks_frame",
    "naive": "naive: json + json_normalize + dtype fixes",
}

# --------------------------------------------------------------------------- measurement


def _write_pages(pages: list[bytes], path: Path) -> None:
    with path.open("wb") as f:
        for body in pages:
            f.write(struct.pack("<I", len(body)))
            f.write(body)


def _read_pages(path: Path) -> list[bytes]:
    pages = []
    with path.open("rb") as f:
        while header := f.read(4):
            (size,) = struct.unpack("<I", header)
            pages.append(f.read(size))
    return pages


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _reset_peak_rss() -> None:
    # Linux >= 4.0: VmHWM restarts from the current RSS. Needed because getrusage's
    # ru_maxrss survives exec(), so it would include the parent's size at fork.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _peak_rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _worker(name: str, path: Path, reps: int) -> None:
    """Runs in a fresh subprocess; prints one JSON line."""
    func = APPROACHES[name]
    pages = _read_pages(path)
    first = orjson.loads(pages[0])
    func([orjson.dumps({"collection": first["collection"][:20], "next_href": None})])  # warm up
    gc.collect()
    base = _rss_mib()
    _reset_peak_rss()
    times = []
    for rep in range(reps):
        start = time.perf_counter()
        out = func(pages)
        times.append(time.perf_counter() - start)
        if rep == 0:
            peak = _peak_rss_mib()
            shape = out.shape
        del out
        gc.collect()
    result = {
        "approach": name,
        "best_s": min(times),
        "times_s": times,
        "peak_delta_mib": peak - base,
        "peak_rss_mib": peak,
        "base_rss_mib": base,
        "shape": shape,
    }
    print(json.dumps(result))


def _measure(name: str, path: Path, reps: int) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", name, "--input", str(path), "--reps", str(reps)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{name} worker failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _check_same_output(n: int, seed: int) -> None:
    pages = make_pages(n, seed)
    pd.testing.assert_frame_equal(naive_frame(pages), scdata_frame(pages))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table; return the exit status.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0, or 1 when ``--check`` is given and a target fails.

    Examples
    --------
    >>> main(["--n", "2000", "--reps", "1"])  # doctest: +SKIP
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="tracks (default 100,000)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_N:,} tracks, for CI (smaller runs are dominated by fixed costs)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reps", type=int, default=3, help="runs per approach (best is kept)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target fails")
    parser.add_argument("--worker", choices=sorted(APPROACHES), help=argparse.SUPPRESS)
    parser.add_argument("--input", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker, args.input, args.reps)
        return 0
    n = QUICK_N if args.quick else args.n

    _check_same_output(min(n, 2_000), args.seed)
    pages = make_pages(n, args.seed)
    mib = sum(map(len, pages)) / 2**20
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pages.bin"
        _write_pages(pages, path)
        del pages
        results = {name: _measure(name, path, args.reps) for name in ("scdata", "naive")}

    fast, naive = results["scdata"], results["naive"]
    print(
        f"normalise benchmark: {n:,} tracks, pages of {PAGE_SIZE}, {mib:.1f} MiB of JSON, "
        f"seed {args.seed}; pandas {pd.__version__}, Python {sys.version.split()[0]}"
    )
    print(f"outputs identical (assert_frame_equal on {min(n, 2_000):,} tracks): yes")
    print()
    print(
        f"| approach | best of {args.reps} (s) | peak ΔRSS (MiB) | peak RSS (MiB) | rows × cols |"
    )
    print("|---|---|---|---|---|")
    for name, r in results.items():
        rows, cols = r["shape"]
        print(
            f"| {LABELS[name]} | {r['best_s']:.3f} | {r['peak_delta_mib']:.0f} "
            f"| {r['peak_rss_mib']:.0f} | {rows:,} × {cols} |"
        )
    speedup = naive["best_s"] / fast["best_s"]
    ratio = fast["peak_delta_mib"] / naive["peak_delta_mib"]
    checks = [
        ("speed-up", f"{speedup:.1f}×", f"≥ {SPEED_TARGET:g}×", speedup >= SPEED_TARGET),
        (
            "scdata peak ΔRSS",
            f"{fast['peak_delta_mib']:.0f} MiB",
            f"< {PEAK_TARGET_MIB:g} MiB",
            fast["peak_delta_mib"] < PEAK_TARGET_MIB,
        ),
        (
            "memory ratio",
            f"{ratio:.2f}×",
            f"≤ {MEMORY_RATIO_TARGET:g}× naive",
            ratio <= MEMORY_RATIO_TARGET,
        ),
    ]
    print()
    print("| target | measured | goal | result |")
    print("|---|---|---|---|")
    for label, measured, goal, ok in checks:
        print(f"| {label} | {measured} | {goal} | {'PASS' if ok else 'FAIL'} |")
    failed = not all(ok for *_, ok in checks)
    return 1 if (failed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
