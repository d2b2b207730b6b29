"""Failure signatures: what two failures must share to count as the same failure.

A signature is (exception type, message template, innermost project frame). The template
is the message's first line with the volatile parts (numbers, addresses, uuids, hashes,
paths, durations, quoted data) replaced by placeholders, so one bug hit with different data
still lands in one cluster, while the parts that name the cause (quoted identifiers such as
'Mock' or 'base_kl_weight', dotted names such as 'pkg.mod') are kept. The key hashes the
three parts together with `SIGNATURE_VERSION`: change the algorithm, bump the version, and
stored keys stop matching instead of silently meaning something else (Sentry's grouping
configs work the same way).

A timeout has no exception, only a stack sampled at the deadline, and a test that computes
is caught at a different line, even in a different function, every time: the frame part
of a timeout's signature is the test function itself (its node id without parameters), so
the parametrised cases of one test that run out of time are one cluster (version 2).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

# Bump whenever normalisation, frame choice or key composition changes.
SIGNATURE_VERSION = 2

_MAX_TEMPLATE = 200

# CPython 3.10+ suggestions appended to NameError/AttributeError/ImportError messages by the
# traceback formatter; Python versions differ in whether they appear, so they never count.
_SUGGESTION = re.compile(
    r"(?:\.\s*|\s+)(?:Did you mean:?\s*'?[^']*'?\?|Or did you forget to import '[^']*'\?"
    r"|Did you forget to import '[^']*'\?)\s*$"
)
# A quoted string starts after a non-word character, so the apostrophe in "can't" is not one.
_QUOTED = re.compile(r"""(?<![\w])(?:'([^'\n]*)'|"([^"\n]*)")(?![\w])""")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
_ERRNO = re.compile(r"\[(?:Errno|WinError) -?\d+\]")
_UUID = re.compile(
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
)
_HEX = re.compile(r"\b0[xX][0-9a-fA-F]+\b")
# Long hex runs (sha1/md5/commit ids); 12+ chars with a digit and a letter, or 32+ of any.
_HASH = re.compile(
    r"\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{12,}\b|\b[0-9a-f]{32,}\b"
)
_WIN_PATH = re.compile(r"\b[A-Za-z]:\\[^\s'\"<>|,;()]*")
_POSIX_PATH = re.compile(r"(?<![\w.~/])(?:~|\.\.?)?/(?:[^\s'\"<>|,;:()\[\]{}]+)")
_DURATION = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ms|us|µs|ns|s|sec|secs|seconds?|min|mins|minutes?|h|hours?)\b"
)
_NUMBER = re.compile(r"(?<![\w.<])[-+]?\d+(?:\.\d+)*(?:[eE][-+]?\d+)?(?![\w])")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Signature:
    """The three parts of a signature and the key that stands for them."""

    key: str
    exc_type: str
    template: str
    frame: str


def first_line(message: str) -> str:
    """The first non-blank line: the part of a message that names the failure."""
    for line in message.splitlines():
        if line.strip():
            return line.strip()
    return ""


def strip_suggestion(line: str) -> str:
    """Drop CPython's ". Did you mean: 'x'?" (and "forget to import") suffixes."""
    return _SUGGESTION.sub("", line)


def _replace_quoted(match: re.Match[str]) -> str:
    text = match.group(1) if match.group(1) is not None else match.group(2)
    if _IDENTIFIER.match(text):
        return match.group(0)
    if text.startswith(("/", "~/", "./", "../")) or re.match(r"^[A-Za-z]:\\", text):
        return "<path>"
    return "<str>"


def _normalise_plain(text: str) -> str:
    """Placeholders for the volatile tokens of text that is outside quotes."""
    text = text.replace("\x00", "")
    errnos = _ERRNO.findall(text)
    text = _ERRNO.sub("\x00", text)  # a marker with no digits in it, restored below
    text = _UUID.sub("<uuid>", text)
    text = _HEX.sub("<hex>", text)
    text = _HASH.sub("<hash>", text)
    text = _WIN_PATH.sub("<path>", text)
    text = _POSIX_PATH.sub("<path>", text)
    text = _DURATION.sub("<duration>", text)
    text = _NUMBER.sub("<num>", text)
    restored = iter(errnos)
    return re.sub("\x00", lambda _: next(restored), text)


def normalise_message(line: str) -> str:
    """The template of one message line (see the module docstring for what is replaced)."""
    line = strip_suggestion(line.strip())
    parts: list[str] = []
    position = 0
    for match in _QUOTED.finditer(line):
        parts.append(_normalise_plain(line[position : match.start()]))
        parts.append(_replace_quoted(match))
        position = match.end()
    parts.append(_normalise_plain(line[position:]))
    template = _SPACES.sub(" ", "".join(parts)).strip()
    if len(template) > _MAX_TEMPLATE:
        template = template[: _MAX_TEMPLATE - 3] + "..."
    return template


def template_for(exc_type: str, message: str) -> str:
    """The message template, with assertion expressions reduced to `assert <expr>`.

    An assertion's text is the test's own expression and values, different in every test;
    only a custom assertion message (the first line when it is not `assert ...`) says more.
    """
    line = first_line(message)
    if exc_type == "AssertionError" and (not line or line.startswith("assert ")):
        return "assert <expr>"
    return normalise_message(line)


def signature_key(type_part: str, template: str, frame: str) -> str:
    """Short, stable hash of one signature under the current algorithm version."""
    text = f"{SIGNATURE_VERSION}|{type_part}|{template}|{frame}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


# Call-binding TypeErrors: the callee is named in the message and the innermost project
# frame is the *caller*, different at every call site; the frame is left out of these
# signatures so one renamed parameter is one cluster, not one per calling test.
CALL_BINDING = re.compile(
    r"^(?P<func>[\w.<>]+)\(\) (?:got an unexpected keyword argument|missing (?:\d+|<num>) required"
    r"|takes |got multiple values for argument|got some positional-only arguments)"
)


def frame_in_key(exc_type: str, template: str) -> bool:
    """Whether the innermost project frame is part of the signature (see CALL_BINDING)."""
    return not (exc_type == "TypeError" and CALL_BINDING.match(template))
