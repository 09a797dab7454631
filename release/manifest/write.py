"""Write changes back into `versions.yaml` by editing only the scalars that changed.

The document is never re-dumped: the new value is spliced into the original text at the
position ruamel.yaml reports, so comments, key order, quoting and line endings stay byte for
byte. A value YAML would read as something other than a string (`7.0`, `20260901`) is quoted
when it replaces an unquoted scalar, so it reads back as written.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from ruamel.yaml.error import YAMLError

from release.manifest.load import make_yaml
from release.manifest.model import MANIFEST
from release.yamlspans import yaml_key_spans


def reads_as_string(value: str) -> bool:
    """Whether `value`, written unquoted as a YAML scalar, reads back as that same string."""
    try:
        loaded = make_yaml().load(io.StringIO(f"k: {value}\n"))
    except YAMLError:
        return False
    return isinstance(loaded, dict) and loaded.get("k") == value and type(loaded["k"]) is str


def set_scalar(text: str, key_path: str, value: str, *, filename: str = MANIFEST) -> str:
    """Return `text` with the scalar at dotted `key_path` replaced by `value`."""
    return set_scalars(text, {key_path: value}, filename=filename)


def set_scalars(text: str, edits: Mapping[str, str], *, filename: str = MANIFEST) -> str:
    """Return `text` with the scalar at each dotted key path replaced (one parse for all)."""
    spans = yaml_key_spans(text, list(edits), file=filename)
    for key in sorted(edits, key=lambda k: spans[k].start, reverse=True):
        found, value = spans[key], edits[key]
        quoted = found.start > 0 and text[found.start - 1] in "\"'"
        new = value if quoted or reads_as_string(value) else f'"{value}"'
        text = text[: found.start] + new + text[found.end :]
    return text
