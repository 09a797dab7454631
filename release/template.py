"""The one way a `{field}` template of versions.yaml is read and filled.

Every template the manifest holds (a tag such as `REL_{version}`, an archive or checksum URL,
a release-notes link, a pin's value such as `{image_tag}@{digest}`) is a Python format string:
`versions.yaml`'s loader checks each with `template_fields` (known fields only), and every
place that fills one calls `fill_template`, so `{{` and `}}` mean a literal brace everywhere.
"""

from __future__ import annotations

import string


def template_fields(template: str) -> list[str]:
    """The `{field}` names used by a template (raises ValueError on a malformed one)."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def fill_template(template: str, **values: str) -> str:
    """`template` with each `{field}` replaced by its value (KeyError: a value is missing)."""
    return template.format_map(values)
