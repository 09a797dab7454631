"""Write changes back into `versions.yaml` by editing only the scalars that changed.

The document is never re-dumped: the new value is spliced into the original text at the
position ruamel.yaml reports, so comments, key order, quoting and line endings stay byte for
byte. A value YAML would read as something other than a string (`7.0`, `20260901`) is quoted
when it replaces an unquoted scalar, so it reads back as written.
"""

from __future__ import annotations

import io

from ruamel.yaml.error import YAMLError

from release.manifest.load import make_yaml
from release.manifest.model import Pin, PinKind
from release.pins import locate


def reads_as_string(value: str) -> bool:
    """Whether `value`, written unquoted as a YAML scalar, reads back as that same string."""
    try:
        loaded = make_yaml().load(io.StringIO(f"k: {value}\n"))
    except YAMLError:
        return False
    return isinstance(loaded, dict) and loaded.get("k") == value and type(loaded["k"]) is str


def set_scalar(text: str, key_path: str, value: str, *, filename: str = "versions.yaml") -> str:
    """Return `text` with the scalar at dotted `key_path` replaced by `value`."""
    pin = Pin(kind=PinKind.YAML_KEY, file=filename, value="{version}", key=key_path)
    found = locate(text, pin)
    quoted = found.start > 0 and text[found.start - 1] in "\"'"
    new = value if quoted or reads_as_string(value) else f'"{value}"'
    return text[: found.start] + new + text[found.end :]
