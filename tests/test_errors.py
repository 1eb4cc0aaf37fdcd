"""The exception tree: the drawing in scdata.errors is the truth, every class is raised, and
argument errors are both ArgumentError and ValueError."""

from __future__ import annotations

import inspect
import logging
import re
import warnings

import pytest

import scdata
from scdata import errors
from scdata.frames import schema

from .conftest import REPO

BRANCH = re.compile(r"^(?P<lead>[ │]*(?:├── |└── )?)(?P<name>\w+)(?: \[(?P<extra>[\w, ]+)\])?")


def drawn_tree() -> dict[str, tuple[str, ...]]:
    """Each class in the module docstring's drawing -> its bases, as drawn."""
    block = errors.__doc__.split("::\n", 1)[1].strip("\n").split("\n\n", 1)[0]
    parents: list[str] = []  # the chain of classes above the current line
    tree: dict[str, tuple[str, ...]] = {}
    for line in block.splitlines():
        match = BRANCH.match(line[4:])  # the drawing is indented by 4
        assert match, line
        depth = len(match["lead"]) // 4
        name = match["name"]
        del parents[depth:]
        extra = tuple(b.strip() for b in match["extra"].split(",")) if match["extra"] else ()
        tree[name] = ((parents[-1],) if parents else ()) + extra
        parents.append(name)
    return tree


def test_the_drawing_is_the_tree():
    tree = drawn_tree()
    assert next(iter(tree)) == "SoundCloudError" and tree["SoundCloudError"] == ()
    for name, bases in tree.items():
        cls = getattr(errors, name)
        expected = bases or ("Exception",)
        assert tuple(b.__name__ for b in cls.__bases__) == expected, name
    defined = {
        name
        for name, obj in vars(errors).items()
        if inspect.isclass(obj) and issubclass(obj, BaseException)
    }
    assert defined == set(tree), "a class is missing from the drawing, or drawn but gone"


def test_every_error_class_is_raised_somewhere():
    """No dead classes: each one is raised (or subclassed) outside errors.py."""
    sources = "\n".join(
        p.read_text() for p in (REPO / "scdata").rglob("*.py") if p.name != "errors.py"
    )
    for name in drawn_tree():
        if name == "SoundCloudError":
            continue
        raised = re.search(rf"\b{name}\(", sources) or re.search(rf"raise {name}\b", sources)
        assert raised, f"{name} is never raised"


def test_every_error_and_the_warning_are_exported():
    for name in drawn_tree():
        assert getattr(scdata, name) is getattr(errors, name)
        assert name in scdata.__all__
    assert scdata.ParseWarning is schema.ParseWarning and "ParseWarning" in scdata.__all__
    assert issubclass(scdata.ParseWarning, UserWarning)


def test_schema_error_lives_in_the_tree_and_is_still_importable_from_the_schema():
    assert schema.SchemaError is scdata.SchemaError
    assert issubclass(scdata.SchemaError, scdata.SoundCloudError)
    assert issubclass(scdata.SchemaError, ValueError)


@pytest.mark.parametrize(
    ("call", "names"),
    [
        (lambda c: c.tracks_df("jowymusic", limit=0), "limit"),
        (lambda c: c.tracks("jowymusic", offset=-1), "offset"),
        (lambda c: c.tracks_df("jowymusic", access="secret"), "access"),
        (lambda c: c.tracks_df(["jowymusic", "bjork-unicode"], workers=0), "workers"),
        (lambda c: c.tracks_df([]), "users"),
        (lambda c: c.users_df(["jowymusic", "x"], errors="ignore"), "errors"),
    ],
    ids=["limit", "offset", "access", "workers", "empty", "errors"],
)
def test_argument_errors_are_argument_errors_and_value_errors(call, names, client, sandbox):
    with pytest.raises(scdata.ArgumentError, match=names) as info:
        call(client)
    assert isinstance(info.value, ValueError) and isinstance(info.value, scdata.SoundCloudError)
    assert sandbox.requests == []  # refused before anything was sent


def test_an_invalid_user_is_an_argument_error():
    assert issubclass(scdata.InvalidUserError, scdata.ArgumentError)
    with pytest.raises(ValueError, match="Se requiere un nombre de usuario"):
        scdata.Client(client_id="x", client_secret="y", cache="memory").user("  ")


def test_export_arguments_are_argument_errors(client, tmp_path):
    with pytest.raises(scdata.ArgumentError, match="max_age"):
        scdata.export_tracks(["jowymusic"], tmp_path / "out", max_age=-1, client=client)
    with pytest.raises(scdata.ArgumentError, match="partition_cols"):
        scdata.export_tracks(["jowymusic"], tmp_path / "out", partition_cols=["title"],
                             client=client)  # fmt: skip


@pytest.mark.parametrize(
    ("user", "shown", "hint"),
    [
        ("nobody-here-123", "nobody-here-123", "check the spelling of the profile URL's last"),
        ("https://soundcloud.com/nobody-here-123", "nobody-here-123", "check the spelling"),
        (987654321987, "987654321987", "no user has the id 987654321987"),
        ("soundcloud:users:987654321987", "987654321987", "no user has the id 987654321987"),
    ],
)
def test_an_unknown_user_says_what_to_check_next(user, shown, hint, client, sandbox_env, caplog):
    original = f"No se pudo encontrar al usuario {shown}"
    for call in (client.user, client.tracks_df, client.users_df, scdata.tracks_df):
        with pytest.raises(scdata.UserNotFoundError) as info:
            call(user)
        assert info.value.message == original
        assert str(info.value).startswith(f"{original} — {hint}")
    # the original functions: None, and the original message exactly
    with caplog.at_level(logging.WARNING, logger="scdata"):
        assert scdata.user_info(user) is None
        assert scdata.user_tracks(user) is None
    assert [m.split(" -> None: ")[1] for m in caplog.messages] == [original, original]


def test_parse_warning_from_the_package_filters_parsing_warnings():
    from scdata.frames.convert import tracks_frame

    with warnings.catch_warnings():
        warnings.simplefilter("error", scdata.ParseWarning)
        with pytest.raises(scdata.ParseWarning, match="playback_count"):
            tracks_frame([[{"id": 1, "playback_count": "many"}]])
