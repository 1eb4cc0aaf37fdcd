"""Parse SoundCloud ``tag_list`` strings into user tags and machine tags.

SoundCloud writes a track's tags as one string: machine tags first, then the
user's tags, separated by spaces, with multi-word tags in double quotes, e.g.
``'soundcloud:source=web-record "hip hop" trap'``. The string may start or end
with a space when one of the two parts is empty.

Rules (the same in :func:`parse_tag_list` and :func:`split_tag_lists`):

1. A double quote ``"`` opens a quoted tag and the next ``"`` closes it,
   wherever it stands. Text inside quotes is one tag, with the spaces at its
   ends removed.
2. Text outside quotes is split on runs of whitespace.
3. Empty tags (``""``, extra spaces) are dropped. Duplicates are kept, in order.
4. An unbalanced quote never raises: an unclosed quote runs to the end of the
   string, so ``'rock "hip hop'`` gives ``["rock", "hip hop"]``.
5. A tag matching :data:`MACHINE_TAG_PATTERN` (``namespace:key=value``, such
   as ``soundcloud:source=iphone-record``) is a machine tag: it goes to the
   second list and not the first.

:func:`parse_tag_list` is the readable one-value reference.
:func:`split_tag_lists` applies the same rules to a whole Arrow column with
``pyarrow.compute`` kernels, and is what :mod:`scdata.frames.convert` uses.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["MACHINE_TAG_PATTERN", "is_machine_tag", "parse_tag_list", "split_tag_lists"]

#: A machine tag is ``namespace:key=value``. The value may be empty or contain anything.
#: The pattern is valid for both Python ``re`` and Arrow's RE2.
MACHINE_TAG_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]*:[A-Za-z0-9_.-]+="

_MACHINE_TAG_RE = re.compile(MACHINE_TAG_PATTERN)
_LIST_OF_STRINGS = pa.list_(pa.string())


def is_machine_tag(tag: str) -> bool:
    """Tell whether one tag is a machine tag (``namespace:key=value``).

    Parameters
    ----------
    tag : str
        One tag, already split out of a ``tag_list``.

    Returns
    -------
    bool
        True when `tag` matches :data:`MACHINE_TAG_PATTERN`.

    Examples
    --------
    >>> is_machine_tag("soundcloud:source=web-record")
    True
    >>> is_machine_tag("hip hop")
    False
    """
    return _MACHINE_TAG_RE.match(tag) is not None


def parse_tag_list(tag_list: str) -> tuple[list[str], list[str]]:
    """Split one ``tag_list`` string into user tags and machine tags.

    Parameters
    ----------
    tag_list : str
        The track's ``tag_list`` as sent by the API.

    Returns
    -------
    tags : list of str
        User tags in order of appearance, multi-word tags without their quotes.
    machine_tags : list of str
        Machine tags (``namespace:key=value``) in order of appearance.

    See Also
    --------
    split_tag_lists : The same rules applied to a whole Arrow column.

    Notes
    -----
    The rules are listed in the module docstring (``scdata.frames.tags?``). An
    unclosed quote makes the rest of the string one tag; it never raises.

    Examples
    --------
    >>> parse_tag_list('"hip hop" trap soundcloud:source=web-record ')
    (['hip hop', 'trap'], ['soundcloud:source=web-record'])
    >>> parse_tag_list("soundcloud:source=iphone-record ")
    ([], ['soundcloud:source=iphone-record'])
    >>> parse_tag_list('rock "hip hop')
    (['rock', 'hip hop'], [])
    >>> parse_tag_list("")
    ([], [])
    """
    tokens: list[str] = []
    for position, segment in enumerate(tag_list.split('"')):
        if position % 2:  # inside quotes
            tokens.append(segment.strip())
        else:
            tokens.extend(segment.split())
    tags: list[str] = []
    machine_tags: list[str] = []
    for token in tokens:
        if not token:
            continue
        (machine_tags if is_machine_tag(token) else tags).append(token)
    return tags, machine_tags


def split_tag_lists(
    tag_lists: pa.Array | pa.ChunkedArray,
) -> tuple[pa.ListArray, pa.ListArray]:
    """Parse a column of ``tag_list`` strings into two ``list<string>`` arrays.

    Vectorised with ``pyarrow.compute``: no Python code runs per row. The rules
    are those of :func:`parse_tag_list`.

    Parameters
    ----------
    tag_lists : pyarrow.Array or pyarrow.ChunkedArray of string
        One ``tag_list`` per track; nulls allowed.

    Returns
    -------
    tags : pyarrow.ListArray
        ``list<string>`` of user tags, one list per input row; null where the
        input is null.
    machine_tags : pyarrow.ListArray
        ``list<string>`` of machine tags, one list per input row; null where
        the input is null.

    See Also
    --------
    parse_tag_list : The one-value reference implementation.

    Examples
    --------
    >>> import pyarrow as pa
    >>> tags, machine = split_tag_lists(pa.array(['"hip hop" trap soundcloud:source=web', None]))
    >>> tags.to_pylist()
    [['hip hop', 'trap'], None]
    >>> machine.to_pylist()
    [['soundcloud:source=web'], None]
    """
    if isinstance(tag_lists, pa.ChunkedArray):
        tag_lists = tag_lists.combine_chunks()
    if tag_lists.type != pa.string():
        tag_lists = tag_lists.cast(pa.string())
    n_rows = len(tag_lists)
    row_is_null = tag_lists.is_null()

    # 1. Split on '"': even segments are outside quotes, odd ones inside.
    segments = pc.split_pattern(tag_lists, pattern='"')
    segment_row = pc.list_parent_indices(segments).to_numpy()
    segment_values = segments.flatten()
    offsets = segments.offsets.to_numpy()
    position = np.arange(len(segment_values), dtype=np.int64) + offsets[0] - offsets[segment_row]
    quoted = pa.array(position % 2 == 1)

    # 2. Each segment becomes a list of tokens: [trimmed] when quoted, else split on whitespace.
    whole = pa.ListArray.from_arrays(
        pa.array(np.arange(len(segment_values) + 1, dtype=np.int32)),
        pc.utf8_trim_whitespace(segment_values),
    )
    split = pc.utf8_split_whitespace(segment_values)
    token_lists = pc.if_else(quoted, whole, split)
    token_row = segment_row[pc.list_parent_indices(token_lists).to_numpy()]
    tokens = token_lists.flatten()

    # 3. Drop empty tokens, then route machine tags to their own list.
    non_empty = pc.greater(pc.binary_length(tokens), 0)
    machine = pc.match_substring_regex(tokens, pattern=MACHINE_TAG_PATTERN)
    user_mask = pc.and_(non_empty, pc.invert(machine))
    machine_mask = pc.and_(non_empty, machine)
    return (
        _rebuild_lists(tokens, token_row, user_mask, n_rows, row_is_null),
        _rebuild_lists(tokens, token_row, machine_mask, n_rows, row_is_null),
    )


def _rebuild_lists(
    tokens: pa.Array,
    token_row: np.ndarray,
    keep: pa.Array,
    n_rows: int,
    row_is_null: pa.Array,
) -> pa.ListArray:
    """Group the kept tokens back into one list per row (tokens are in row order)."""
    keep_np = keep.to_numpy(zero_copy_only=False)
    counts = np.bincount(token_row[keep_np], minlength=n_rows)
    offsets = np.zeros(n_rows + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    return pa.ListArray.from_arrays(
        pa.array(offsets),
        tokens.filter(keep),
        type=_LIST_OF_STRINGS,
        mask=row_is_null,
    )
