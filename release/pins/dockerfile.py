"""Dockerfile pins (`ARG`, `ENV`, `FROM`) and the scan `verify` uses to find unmanaged ones.

The parser reads a Dockerfile the way BuildKit's does (moby/buildkit,
frontend/dockerfile/parser/parser.go), because a pin must mean what `docker build` sees:

- parser directives are the `# name=value` comments at the very top (`escape`, `syntax`,
  `check`); the first other line ends them, and `# escape=` later is an ordinary comment;
- a line ending in the escape character (`\\`, or `` ` ``), optionally followed by blanks,
  continues on the next line; comment lines and blank lines inside a continuation are skipped;
- after a `RUN`/`COPY`/`ADD` instruction with heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`), the
  lines up to each terminator are the heredoc's body, never instructions;
- `ARG`/`ENV` arguments are split into words on blanks outside quotes, as `parseWords` does;
  `ENV name value` (no `=` in the first word) is the legacy form, its value the rest of the line;
- stage names (`AS name`) and references to them are case-insensitive; `FROM build` refers to
  the earlier stage `build` rather than to an image, and `scratch` is no image at all.

Every character of a logical instruction keeps its offset in the original text, so a value is
rewritten in place, whatever the continuations, indentation and line endings around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from release.errors import PinError
from release.manifest.model import Pin, PinKind
from release.pins.interface import (
    ImageRef,
    Site,
    ambiguous,
    require,
    split_image_ref,
)
from release.yamlspans import LineIndex, Located

_DIRECTIVE_RE = re.compile(r"#[ \t]*([A-Za-z][A-Za-z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*")
_DIRECTIVES = frozenset({"escape", "syntax", "check"})
_HEREDOC_RE = re.compile(r"(\d*)<<(-?)([^<]*)")
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
_KEYWORD_RE = re.compile(r"\s*(\S+)\s*")
_LEGACY_ENV_RE = re.compile(r"(\S+)\s+(\S(?:.*\S)?)", re.DOTALL)
_BOM = "\ufeff"


class Keyword(StrEnum):
    """The instructions a pin can sit in."""

    ARG = "ARG"
    ENV = "ENV"
    FROM = "FROM"


@dataclass(frozen=True, slots=True, kw_only=True)
class Instruction:
    """One `ARG`/`ENV` key-value pair or one `FROM`, as `scan_dockerfile` finds it.

    `line` is the 1-based line where the key (ARG/ENV) or the image reference (FROM) is written.
    `stage` is the `AS` name of the stage the pair is in, or of the FROM itself (None when that
    stage has no name, and for ARGs before the first FROM); `stage_index` counts FROMs from 0
    and is None in the global scope before the first FROM.

    ARG/ENV: `name`, and `value` unquoted (None for `ARG NAME` without default). One `ENV A=1
    B=2` instruction gives two Instructions.
    FROM: `image` split as written; `refers_to_stage` when it names an earlier stage (then
    `image.repository` is that stage's name), `scratch` for `FROM scratch`; `platform` is the
    `--platform` flag's value.
    """

    line: int
    keyword: Keyword
    stage: str | None
    stage_index: int | None
    name: str = ""
    value: str | None = None
    image: ImageRef | None = None
    refers_to_stage: bool = False
    scratch: bool = False
    platform: str | None = None


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    start: int
    content: str  # without its line break (`\n` or `\r\n`)


@dataclass(frozen=True, slots=True)
class _Logical:
    """One instruction with its continuations joined; `offsets[i]` is where `text[i]` is."""

    line: int
    text: str
    offsets: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """The original offsets of `text[start:end]`, or None if it is split across lines."""
        if start == end:
            at = self.offsets[start - 1] + 1 if start > 0 else self.offsets[0]
            return at, at
        first, last = self.offsets[start], self.offsets[end - 1]
        if last - first != end - start - 1:
            return None
        return first, last + 1


@dataclass(frozen=True, slots=True, kw_only=True)
class _Found:
    """An Instruction and where its value is, in the coordinates of its logical line.

    The edit span runs from `edit_start` to `value_end`: for a FROM it starts at the end of the
    repository (so the tag's `:` can be written or dropped), for `ARG NAME` it is the empty span
    after the name (`separator` "=" is written with the value).
    """

    instruction: Instruction
    logical: _Logical
    value_line: int
    value_start: int
    value_end: int
    edit_start: int
    separator: str = ""

    def site(self, file: str, what: str) -> Site:
        value_span = self.logical.span(self.value_start, self.value_end)
        edit_span = self.logical.span(self.edit_start, self.value_end)
        if value_span is None or edit_span is None:
            raise PinError(
                f"{file}:{self.value_line}: the value of {what} is split across lines by a "
                "line continuation; join it onto one line to pin it"
            )
        located = Located(
            line=self.value_line,
            start=value_span[0],
            end=value_span[1],
            value=self.logical.text[self.value_start : self.value_end],
        )
        image_ref = self.instruction.keyword is Keyword.FROM
        return Site(
            located=located,
            edit_start=edit_span[0],
            edit_end=edit_span[1],
            separator=":" if image_ref else self.separator,
            image_ref=image_ref,
        )


def _physical_lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    start = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        content = raw.removesuffix("\r")
        offset = start
        if number == 1 and content.startswith(_BOM):
            content, offset = content[1:], start + 1
        lines.append(_Line(number, offset, content))
        start += len(raw) + 1
    return lines


def _is_comment(content: str) -> bool:
    return content.lstrip(" \t").startswith("#")


def _is_blank(content: str) -> bool:
    return not content.strip(" \t")


def _words(text: str, escape: str) -> list[tuple[int, int]]:
    """Spans of the blank-separated words of `text`, quotes and escapes kept (`parseWords`)."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start, quote = i, ""
        while i < n:
            ch = text[i]
            if quote:
                if ch == quote:
                    quote = ""
                elif ch == escape and quote != "'":  # nothing is escaped inside '...'
                    i += 1
            elif ch.isspace():
                break
            elif ch in "\"'":
                quote = ch
            elif ch == escape:
                i += 1
            i += 1
        spans.append((start, min(i, n)))
    return spans


def _unquoted(text: str, start: int, end: int) -> tuple[int, int]:
    """The span inside the quotes when `text[start:end]` is one quoted string, else itself."""
    word = text[start:end]
    if len(word) >= 2 and word[0] in "\"'" and word[-1] == word[0] and word[0] not in word[1:-1]:
        return start + 1, end - 1
    return start, end


class _Reader:
    """Turns physical lines into logical instructions, skipping comments and heredoc bodies."""

    def __init__(self, text: str, file: str) -> None:
        self.file = file
        self.lines = _physical_lines(text)
        self.pos = 0
        self.escape = "\\"
        self._read_directives()
        self.continuation = re.compile(re.escape(self.escape) + r"[ \t]*$")

    def _read_directives(self) -> None:
        seen: set[str] = set()
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            m = _DIRECTIVE_RE.fullmatch(line.content.lstrip(" \t"))
            if m is None or m.group(1).lower() not in _DIRECTIVES:
                return
            name, value = m.group(1).lower(), m.group(2)
            if name in seen:
                raise PinError(
                    f"{self.file}:{line.number}: only one {name} parser directive can be used"
                )
            seen.add(name)
            if name == "escape":
                if value not in ("\\", "`"):
                    raise PinError(
                        f"{self.file}:{line.number}: invalid escape directive {value!r} "
                        "(it must be \\ or `)"
                    )
                self.escape = value
            self.pos += 1

    def instructions(self) -> list[_Logical]:
        result: list[_Logical] = []
        while self.pos < len(self.lines):
            line = self.lines[self.pos]
            self.pos += 1
            if _is_blank(line.content) or _is_comment(line.content):
                continue
            logical = self._join(line)
            result.append(logical)
            self._skip_heredocs(logical)
        return result

    def _join(self, first: _Line) -> _Logical:
        parts: list[str] = []
        offsets: list[int] = []
        segment = first.content.lstrip(" \t")
        start = first.start + len(first.content) - len(segment)
        while True:
            m = self.continuation.search(segment)
            if m is not None:
                segment = segment[: m.start()]
            parts.append(segment)
            offsets.extend(range(start, start + len(segment)))
            if m is None:
                break
            # Comment lines and blank lines inside a continuation are skipped (BuildKit).
            while self.pos < len(self.lines) and (
                _is_blank(self.lines[self.pos].content) or _is_comment(self.lines[self.pos].content)
            ):
                self.pos += 1
            if self.pos >= len(self.lines):
                break
            segment, start = self.lines[self.pos].content, self.lines[self.pos].start
            self.pos += 1
        return _Logical(first.number, "".join(parts), tuple(offsets))

    def _skip_heredocs(self, logical: _Logical) -> None:
        for name, chomp in _heredocs(logical.text):
            while True:
                if self.pos >= len(self.lines):
                    raise PinError(
                        f"{self.file}:{logical.line}: heredoc <<{name} is not terminated "
                        f"(no line {name!r} follows it)"
                    )
                body = self.lines[self.pos].content
                self.pos += 1
                if (body.lstrip("\t") if chomp else body) == name:
                    break


def _heredocs(text: str) -> list[tuple[str, bool]]:
    """The heredocs (name, strip leading tabs) a RUN/COPY/ADD instruction opens, in order."""
    words = [text[s:e] for s, e in _words(text, "\\")]
    if words and words[0].upper() == "ONBUILD":
        words = words[1:]
    if not words or words[0].upper() not in _HEREDOC_KEYWORDS or "<<" not in text:
        return []
    if len(words) > 1 and words[1].startswith("["):  # JSON (exec) form has no heredocs
        return []
    found: list[tuple[str, bool]] = []
    for word in words[1:]:
        m = _HEREDOC_RE.fullmatch(word)
        if m is None:
            continue
        name = m.group(3).replace('"', "").replace("'", "")
        if name:
            found.append((name, m.group(2) == "-"))
    return found


@dataclass(slots=True)
class _Walk:
    """What parsing an instruction needs: the escape character, line index and current stage."""

    escape: str
    index: LineIndex
    stage_index: int | None = None
    stage: str | None = None
    names: tuple[str, ...] = ()  # lowercased names of the stages so far

    def line_at(self, logical: _Logical, position: int) -> int:
        """The 1-based line of `logical.text[position]` (or of its last character)."""
        return self.index.line_of(logical.offsets[min(position, len(logical.offsets) - 1)])


def _parse(text: str, file: str) -> list[_Found]:
    reader = _Reader(text, file)
    walk = _Walk(escape=reader.escape, index=LineIndex(text))
    found: list[_Found] = []
    for logical in reader.instructions():
        m = _KEYWORD_RE.match(logical.text)
        if m is None:  # nothing but continuation characters
            continue
        keyword = m.group(1).upper()
        if keyword == Keyword.FROM:
            found.extend(_parse_from(walk, logical, m.end()))
        elif keyword in (Keyword.ARG, Keyword.ENV):
            found.extend(_parse_pairs(walk, Keyword(keyword), logical, m.end()))
    return found


def _parse_from(walk: _Walk, logical: _Logical, rest: int) -> list[_Found]:
    text = logical.text
    words = [(rest + s, rest + e) for s, e in _words(text[rest:], walk.escape)]
    platform: str | None = None
    while words and text[words[0][0] : words[0][1]].startswith("--"):
        flag = text[words[0][0] : words[0][1]]
        if flag.lower().startswith("--platform="):
            platform = flag.partition("=")[2]
        words.pop(0)
    stage_index = 0 if walk.stage_index is None else walk.stage_index + 1
    if not words:  # `FROM` without an image: Docker refuses it; it still opens a stage
        walk.stage_index, walk.stage = stage_index, None
        return []
    ref_start, ref_end = words[0]
    written = text[ref_start:ref_end]
    name: str | None = None
    if len(words) >= 3 and text[words[1][0] : words[1][1]].lower() == "as":
        name = text[words[2][0] : words[2][1]]
    ref = split_image_ref(written)
    repo_end = ref_start + len(ref.repository)
    value_start = repo_end + (1 if ref.tag is not None else 0)
    instruction = Instruction(
        line=walk.line_at(logical, ref_start),
        keyword=Keyword.FROM,
        stage=name,
        stage_index=stage_index,
        image=ref,
        refers_to_stage=written.lower() in walk.names,
        scratch=written.lower() == "scratch",
        platform=platform,
    )
    walk.stage_index, walk.stage = stage_index, name
    if name is not None:
        walk.names = (*walk.names, name.lower())
    return [
        _Found(
            instruction=instruction,
            logical=logical,
            value_line=walk.line_at(logical, value_start),
            value_start=value_start,
            value_end=ref_end,
            edit_start=repo_end,
        )
    ]


def _parse_pairs(walk: _Walk, keyword: Keyword, logical: _Logical, rest: int) -> list[_Found]:
    text = logical.text
    words = [(rest + s, rest + e) for s, e in _words(text[rest:], walk.escape)]
    if not words:
        return []
    pairs: list[tuple[int, int, int, int, bool]] = []  # name start/end, value start/end, has "="
    if keyword is Keyword.ENV and "=" not in text[words[0][0] : words[0][1]]:
        # Legacy `ENV name value`: the value is the rest of the instruction, blanks and all.
        m = _LEGACY_ENV_RE.match(text, rest)
        if m is None:  # `ENV name` alone: Docker refuses it
            return []
        pairs.append((m.start(1), m.end(1), *_unquoted(text, m.start(2), m.end(2)), True))
    else:
        for start, end in words:
            eq = text.find("=", start, end)
            if eq < 0:
                pairs.append((start, end, end, end, False))
            else:
                pairs.append((start, eq, *_unquoted(text, eq + 1, end), True))
    found: list[_Found] = []
    for name_start, name_end, value_start, value_end, has_value in pairs:
        instruction = Instruction(
            line=walk.line_at(logical, name_start),
            keyword=keyword,
            stage=walk.stage,
            stage_index=walk.stage_index,
            name=text[name_start:name_end],
            value=text[value_start:value_end] if has_value else None,
        )
        value_line = walk.line_at(logical, value_start if has_value else name_end - 1)
        found.append(
            _Found(
                instruction=instruction,
                logical=logical,
                value_line=value_line,
                value_start=value_start,
                value_end=value_end,
                edit_start=value_start,
                separator="" if has_value else "=",
            )
        )
    return found


def scan_dockerfile(text: str, *, file: str = "Dockerfile") -> list[Instruction]:
    """Every ARG/ENV key-value pair and every FROM of a Dockerfile, in file order.

    `file` only names the file in errors: `PinError` for what BuildKit itself refuses to parse
    (a second or invalid `# escape=` directive, a heredoc without its terminator).
    """
    return [f.instruction for f in _parse(text, file)]


def logical_instructions(text: str, *, file: str = "Dockerfile") -> list[tuple[int, str, str]]:
    """Every instruction as (first line, KEYWORD, its text with continuations joined).

    Comments, blank lines and heredoc bodies are skipped as `scan_dockerfile` skips them; the
    text still starts with the keyword. For checks that read `RUN` and `ADD` commands.
    """
    found: list[tuple[int, str, str]] = []
    for logical in _Reader(text, file).instructions():
        m = _KEYWORD_RE.match(logical.text)
        if m is not None:
            found.append((logical.line, m.group(1).upper(), logical.text))
    return found


def _stage_detail(found: list[_Found], stage: str) -> str:
    """Why nothing matched in `stage`: the stage does not exist, or what it is instead."""
    froms = [f.instruction for f in found if f.instruction.keyword is Keyword.FROM]
    names = [i.stage for i in froms if i.stage is not None]
    if stage.lower() in (n.lower() for n in names):
        return ""
    if not names:
        return f" (the file has no named stage; name one with FROM ... AS {stage})"
    listed = ", ".join(repr(n) for n in names)
    return f" (the file has no stage {stage!r}; its stages are {listed})"


def _in_stage(instruction: Instruction, stage: str) -> bool:
    return instruction.stage is not None and instruction.stage.lower() == stage.lower()


def pair_site(text: str, pin: Pin) -> Site:
    """The site of a `dockerfile-arg` or `dockerfile-env` pin."""
    keyword = Keyword.ARG if pin.kind is PinKind.DOCKERFILE_ARG else Keyword.ENV
    name = require(pin.name, "name", file=pin.file, kind=pin.kind.value)
    found = _parse(text, pin.file)
    candidates = [
        f for f in found if f.instruction.keyword is keyword and f.instruction.name == name
    ]
    what = f"{keyword.value} {name}"
    if pin.stage is not None:
        stage = pin.stage
        matches = [f for f in candidates if _in_stage(f.instruction, stage)]
        where, hint = f" in stage {stage!r}", "a pin must match exactly one place"
        detail = _stage_detail(found, stage)
    else:
        matches = candidates
        if keyword is Keyword.ARG and len(matches) > 1:
            matches = _without_redeclarations(matches)
        where, hint, detail = "", "give the pin a stage to choose one", ""
    return _one(matches, pin.file, what + where, hint, detail)


def _without_redeclarations(matches: list[_Found]) -> list[_Found]:
    """Drop `ARG NAME` (no default) inside a stage when a global `ARG NAME` exists.

    Docker's idiom for using a global ARG in a stage is to redeclare it there without a value:
    the redeclaration takes the global value, so it is no place where the value is written.
    """
    if not any(f.instruction.stage_index is None for f in matches):
        return matches
    return [
        f
        for f in matches
        if f.instruction.stage_index is None or f.instruction.value is not None
    ]


def from_site(text: str, pin: Pin) -> Site:
    """The site of a `dockerfile-from` pin: the reference after `repository:`."""
    image = require(pin.image, "image", file=pin.file, kind=pin.kind.value)
    found = _parse(text, pin.file)
    candidates = [
        f
        for f in found
        if f.instruction.keyword is Keyword.FROM
        and not f.instruction.refers_to_stage
        and f.instruction.image is not None
        and f.instruction.image.repository == image
    ]
    what = f"FROM {image}"
    if pin.stage is not None:
        stage = pin.stage
        matches = [f for f in candidates if _in_stage(f.instruction, stage)]
        where, hint = f" in stage {stage!r}", "a pin must match exactly one place"
        detail = _stage_detail(found, stage)
        if not detail and not matches:
            other = next(
                f.instruction
                for f in found
                if f.instruction.keyword is Keyword.FROM and _in_stage(f.instruction, stage)
            )
            detail = f" (stage {stage!r} is FROM {other.image})"
    else:
        matches = candidates
        where, hint, detail = "", "give the pin a stage to choose one", ""
    return _one(matches, pin.file, what + where, hint, detail)


def _one(matches: list[_Found], file: str, what: str, hint: str, detail: str) -> Site:
    if not matches:
        raise PinError(f"{file}: no {what}{detail}")
    if len(matches) > 1:
        raise ambiguous(file, what, [f.value_line for f in matches], hint)
    return matches[0].site(file, what)
