"""Frames: JSON -> Arrow -> pandas."""
