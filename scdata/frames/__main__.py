"""``python -m scdata.frames > docs/columns.md``: print the columns document."""

from .schema import columns_document

print(columns_document(), end="")
