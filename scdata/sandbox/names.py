"""Word pools and text builders for the generated catalogue (names, titles, tags, slugs).

Every builder takes the caller's seeded :class:`random.Random`, so the text it returns is
part of the deterministic catalogue.
"""

from __future__ import annotations

import random
import re
import unicodedata

__all__ = [
    "CITIES",
    "GENRES",
    "artwork_url",
    "avatar_url",
    "description",
    "isrc",
    "person",
    "random_key",
    "slugify",
    "tag_list",
    "title",
    "unicode_title",
    "waveform_url",
]

ADJECTIVES = (
    "Velvet", "Neon", "Silent", "Golden", "Midnight", "Broken", "Electric", "Hollow",
    "Crystal", "Distant", "Wild", "Paper", "Lunar", "Solar", "Quiet", "Burning", "Frozen",
    "Restless", "Sunday", "Analog", "Violet", "Secret", "Northern", "Slow",
)  # fmt: skip
NOUNS = (
    "Harbor", "Echo", "Garden", "Signal", "River", "Machine", "Parade", "Mirror", "Horizon",
    "Static", "Lantern", "Orbit", "Tide", "Canyon", "Fever", "Kingdom", "Satellite", "Meadow",
    "Circuit", "Avenue", "Daylight", "Motel", "Engine", "Weather",
)  # fmt: skip
FIRST_NAMES = (
    "Alex", "Maria", "Jonas", "Aiko", "Lena", "Samuel", "Priya", "Diego", "Chloe", "Tomás",
    "Noah", "Ines", "Kwame", "Elif", "Mateo", "Sofia", "Oskar", "Yara", "Liam", "Hana",
)  # fmt: skip
LAST_NAMES = (
    "Stevenson", "Okafor", "Lindqvist", "Tanaka", "Moreau", "Silva", "Novak", "Haddad",
    "Kowalski", "Reyes", "Schmidt", "Nakamura", "Byrne", "Costa", "Ivanova", "Park",
    "Mensah", "Dubois", "Rossi", "Jensen",
)  # fmt: skip
#: (city, country, latitude, longitude)
CITIES = (
    ("Berlin", "Germany", 52.52, 13.405),
    ("London", "United Kingdom", 51.5072, -0.1276),
    ("Lagos", "Nigeria", 6.5244, 3.3792),
    ("São Paulo", "Brazil", -23.5505, -46.6333),
    ("Tokyo", "Japan", 35.6762, 139.6503),
    ("Melbourne", "Australia", -37.8136, 144.9631),
    ("Toronto", "Canada", 43.6532, -79.3832),
    ("Los Angeles", "United States", 34.0522, -118.2437),
    ("Stockholm", "Sweden", 59.3293, 18.0686),
    ("Mexico City", "Mexico", 19.4326, -99.1332),
    ("Paris", "France", 48.8566, 2.3522),
    ("Seoul", "South Korea", 37.5665, 126.978),
)
GENRES = (
    "Electronic", "House", "Techno", "Hip-hop & Rap", "Ambient", "Drum & Bass", "Pop", "Rock",
    "Jazz & Blues", "Dubstep", "R&B & Soul", "Folk & Singer-Songwriter", "Classical",
    "Deep House", "Trap", "Podcast", "Lo-Fi", "Disco", "Alternative Rock", "World",
)  # fmt: skip
LABELS = (
    "Night Shift Audio", "Cloud Nine Records", "Paper Lantern Music", "Self-released",
    "Orbit Tapes", "Hollow Tree Recordings",
)  # fmt: skip
SINGLE_TAGS = (
    "chill", "summer", "remix", "live", "demo", "vocal", "instrumental", "bootleg", "mixtape",
    "lofi", "dance", "acoustic", "berlin", "ambient", "techno", "house", "edit", "2am",
)  # fmt: skip
MULTI_TAGS = (
    "Deep House", "Late Night", "Field Recording", "Drum and Bass", "Free Download",
    "Hip Hop", "Original Mix", "Bedroom Pop", "Lo Fi Beats", "Live Set",
)  # fmt: skip
SOURCES = ("web-record", "iphone-record", "android-record", "ableton-live")
UNICODE_WORDS = (
    "Jökulsárlón", "Norðurljós", "北極光", "夜明け", "Überfahrt", "Ça ira", "Canción de cuna",
    "Ωδή", "Морской бриз", "Café del Mar", "서울의 밤", "Smørrebrød", "Déjà vu", "Ñandú",
)  # fmt: skip
EMOJI = ("🌅", "🎧", "✨", "💫", "🌊", "🔥", "❄️", "🎻")
_TRANSLITERATE = str.maketrans(
    {"ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O",
     "ß": "ss", "ł": "l", "Ł": "L", "đ": "d"}
)  # fmt: skip
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_MIXED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def random_key(rng: random.Random, length: int, alphabet: str = _ALNUM) -> str:
    """Return ``length`` random characters of ``alphabet``.

    Examples
    --------
    >>> len(random_key(random.Random(1), 6))
    6
    """
    return "".join(rng.choices(alphabet, k=length))


def person(rng: random.Random) -> tuple[str, str]:
    """Return a random ``(first_name, last_name)``.

    Examples
    --------
    >>> first, last = person(random.Random(1))
    """
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def title(rng: random.Random, number: int) -> str:
    """Return a plausible track title; ``number`` feeds episode/demo numbering.

    Examples
    --------
    >>> isinstance(title(random.Random(1), 3), str)
    True
    """
    name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
    pick = rng.random()
    if pick < 0.45:
        return name
    if pick < 0.60:
        return f"{name} ({rng.choice(FIRST_NAMES)} Remix)"
    if pick < 0.70:
        return f"{name} (Extended Mix)"
    if pick < 0.78:
        first, last = person(rng)
        return f"{name} feat. {first} {last}"
    if pick < 0.85:
        return f"Episode {number}: {name}"
    if pick < 0.90:
        return f"Live at {rng.choice(CITIES)[0]} & Friends"
    if pick < 0.95:
        return f"{name} [Free Download]"
    return f"demo {number}"


def unicode_title(rng: random.Random) -> str:
    """Return a title with accents, CJK and emoji.

    Examples
    --------
    >>> isinstance(unicode_title(random.Random(1)), str)
    True
    """
    first, second = rng.sample(UNICODE_WORDS, 2)
    pick = rng.random()
    if pick < 0.4:
        return f"{first} ({second} Remix) {rng.choice(EMOJI)}"
    if pick < 0.7:
        return f"{first} — {second}"
    return f"{rng.choice(EMOJI)} {first}"


def slugify(text: str) -> str:
    """Return an ASCII permalink slug for ``text`` (accents stripped, others dropped).

    Examples
    --------
    >>> slugify("Café del Mar — Überfahrt 🌊"), slugify("Norðurljós"), slugify("北極光")
    ('cafe-del-mar-uberfahrt', 'nordurljos', 'track')
    """
    text = text.translate(_TRANSLITERATE)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "track"


def tag_list(rng: random.Random, lat: float, lon: float) -> str:
    """Return a ``tag_list`` string as the API writes it.

    Machine tags (``namespace:key=value``) come first, then user tags; multi-word user
    tags are double-quoted. When one part is empty the joining space is sometimes kept,
    giving a leading or trailing space as in real responses; ``""`` when there are none.

    Examples
    --------
    >>> isinstance(tag_list(random.Random(1), 52.52, 13.405), str)
    True
    """
    machine: list[str] = []
    if rng.random() < 0.35:
        machine.append(f"soundcloud:source={rng.choice(SOURCES)}")
    if rng.random() < 0.12:
        machine += [f"geo:lat={lat:.4f}", f"geo:lon={lon:.4f}"]
    user = [
        f'"{tag}"' if " " in tag else tag
        for tag in rng.sample(SINGLE_TAGS + MULTI_TAGS, rng.choice((0, 0, 1, 2, 3, 4, 6)))
    ]
    machine_part, user_part = " ".join(machine), " ".join(user)
    if machine_part and user_part:
        return f"{machine_part} {user_part}"
    if (machine_part or user_part) and rng.random() < 0.5:
        return f"{machine_part} {user_part}"  # the API keeps the join's space
    return machine_part or user_part


def description(rng: random.Random, permalink: str) -> str | None:
    """Return a track or profile description, ``""`` or ``None``.

    Examples
    --------
    >>> description(random.Random(3), "someone") is None or True
    True
    """
    pick = rng.random()
    if pick < 0.55:
        return None
    if pick < 0.60:
        return ""
    if pick < 0.80:
        return f"Out now on {rng.choice(LABELS)}!\n\nFollow: https://instagram.com/{permalink}"
    return f"{rng.choice(ADJECTIVES)} sounds & {rng.choice(NOUNS).lower()} vibes <3"


def isrc(rng: random.Random, year: int) -> str:
    """Return an ISRC-shaped code (``CC`` + registrant + ``YY`` + 5 digits).

    Examples
    --------
    >>> len(isrc(random.Random(1), 2019))
    12
    """
    country = rng.choice(("GB", "US", "DE", "SE", "FR", "QZ"))
    registrant = random_key(rng, 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    return f"{country}{registrant}{year % 100:02d}{rng.randrange(100_000):05d}"


def avatar_url(rng: random.Random) -> str:
    """Return an avatar URL (sometimes the default avatar).

    Examples
    --------
    >>> avatar_url(random.Random(1)).startswith("https://")
    True
    """
    if rng.random() < 0.08:
        return "https://a1.sndcdn.com/images/default_avatar_large.png"
    key = f"{rng.randrange(10**12):012d}-{random_key(rng, 6)}"
    return f"https://i1.sndcdn.com/avatars-{key}-large.jpg"


def artwork_url(rng: random.Random) -> str:
    """Return an artwork URL in the old or the new key style.

    Examples
    --------
    >>> artwork_url(random.Random(1)).endswith("-large.jpg")
    True
    """
    old_style = rng.random() < 0.5
    key = f"{rng.randrange(10**12):012d}" if old_style else random_key(rng, 16, _MIXED)
    return f"https://i1.sndcdn.com/artworks-{key}-{random_key(rng, 6)}-large.jpg"


def waveform_url(rng: random.Random) -> str:
    """Return a waveform image URL.

    Examples
    --------
    >>> waveform_url(random.Random(1)).startswith("https://wave.sndcdn.com/")
    True
    """
    return f"https://wave.sndcdn.com/{random_key(rng, 12, _MIXED)}_m.png"
