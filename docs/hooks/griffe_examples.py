"""Griffe extension for the API pages: read a docstring's ``Example:`` heading as the
Google-style examples section.

zarrkit's docstrings say ``Example:`` (one example each); griffe reserves the examples
section for ``Examples:`` and would otherwise render the doctest as Markdown prose, where
``[...]`` output becomes a broken link.  The source stays as it is; only the text handed to
the docs parser changes.
"""

from __future__ import annotations

import re

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:[ \t]*$", re.M)


class ExampleSections(griffe.Extension):
    """Rename ``Example:`` headings to ``Examples:`` on every object griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
