"""Indicators of compromise in pasted text: find, refang, validate, normalise, count.

A responder pastes a phishing e-mail, a log excerpt or a vendor report; `extract`
returns every indicator it recognises, normalised and de-duplicated, and every
candidate it refused, each with a short English reason, so that nothing that
looked like an indicator disappears without the responder seeing why.

How a text is read:

- Defanged notation (`hxxp`, `[.]`, `(dot)`, `[@]`, ...) is undone first, and
  every indicator keeps the text exactly as it was pasted in `raw`. A spaced
  ` dot ` counts only between two letters or digits; in prose ("the dot in")
  that can still produce a domain, which the responder's review catches.
- One combined regular expression then walks the text once. Its alternatives
  are anchored on the start of a word and their repetitions are atomic or
  bounded, so no input makes the scan backtrack more than a few dozen
  characters per position: 10 MB of dots, hex or `a.a.a.` reads in linear time.
- The host of a URL and the domain of an e-mail address are part of that
  indicator, not indicators of their own; names in a URL's path are not file
  names. The scan consumes the whole URL or address, so it never sees them.

Decisions for the ambiguous cases:

- A dotted word whose last part is a risky file extension (`.exe`, `.js`,
  `.zip`, `.sh`, ...; see `RISKY_EXTENSIONS`) is a file name, even where that
  extension is also a top-level domain (`.zip`, `.sh`, `.one`, `.cab`). If
  someone defanged it (`update[.]zip`), they meant a domain, and it is one.
  `.com` is not on the list: `evil.com` is a domain, not a DOS program.
- A dotted word in running text is a domain only with a real public suffix
  (the bundled Public Suffix List, never fetched). `os.path` or `e.g` is
  ordinary text and is not listed at all; a defanged one (`evil[.]exe`), an
  internal name (`.local`, `.corp`) and a reserved name (`.test`,
  `example.com`) are listed as rejected, with the reason.
- Private, loopback, link-local, multicast, reserved, unspecified and
  documentation addresses are rejected: they identify nothing outside the
  victim's own network, so sharing them helps nobody.
- E-mail addresses are lower-cased whole, local part included. RFC 5321 lets
  a server treat `Bob` and `bob` as different mailboxes but advises against
  it, no common mail system does, and mail gateways search without case; one
  indicator per mailbox is what a responder wants to block.
- File names keep their case: on Linux and macOS `Payload.sh` and `payload.sh`
  are different files, and the exact spelling helps find them on disk.
- A host followed by a path without a scheme (`evil[.]com/login`) is a URL and
  gets `http://`, the scheme a browser would try; an IPv4 address followed by
  a CIDR prefix (`203.0.113.0/24`) stays an address.
- A URL with another scheme than http, https or ftp (`smb://`, `tcp://`) is
  rejected as a URL, but its host is still an indicator and is reported.
- A hexadecimal run is a hash only at exactly 32, 40 or 64 characters and
  with both letters and digits in it (a real digest lacks either with odds of
  about one in three million); other runs are not reported at all. The hashes
  of an empty file are rejected: they match every empty file.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import idna
import tldextract

URL_MAX_LENGTH = 2_048
DOMAIN_MAX_LENGTH = 253
LABEL_MAX_LENGTH = 63
EMAIL_MAX_LENGTH = 254
LOCAL_PART_MAX_LENGTH = 64
FILENAME_MAX_LENGTH = 255
#: How much of a very long rejected candidate is kept to show the responder.
RAW_SHOWN = 200

ALLOWED_SCHEMES = {"http": 80, "https": 443, "ftp": 21}

#: Extensions of files that run code or carry code that runs when opened.
RISKY_EXTENSIONS = frozenset(
    {
        # Windows programs and libraries
        "exe", "dll", "scr", "pif", "cpl", "msi", "msp", "msc", "sys", "drv", "ocx",
        # scripts
        "bat", "cmd", "ps1", "psm1", "psd1", "vbs", "vbe", "js", "jse", "wsf", "wsh",
        "hta", "sh",
        # shortcuts, settings and help files that run code
        "lnk", "scf", "reg", "chm", "inf", "xll", "iqy", "slk", "gadget", "application",
        # Office documents with macros, and OneNote
        "docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppam", "sldm", "one",
        # disk images and archives that smuggle the above past mail filters
        "iso", "img", "vhd", "vhdx", "zip", "rar", "7z", "cab", "ace", "arj",
        # Java, Android and macOS installers
        "jar", "apk", "dmg",
    }
)  # fmt: skip

#: The hashes of an empty file: they match every empty file on every machine.
EMPTY_FILE_HASHES = frozenset(
    {
        "d41d8cd98f00b204e9800998ecf8427e",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    }
)

_INTERNAL = "internal name: identifies nothing outside your own network"
#: Top-level names that never reach the internet, and why.
_SPECIAL_TLDS = {
    "local": _INTERNAL,
    "internal": _INTERNAL,
    "intranet": _INTERNAL,
    "lan": _INTERNAL,
    "home": _INTERNAL,
    "corp": _INTERNAL,
    "private": _INTERNAL,
    "localdomain": _INTERNAL,
    "localhost": "localhost: always means the machine itself",
    "example": "'.example' is reserved for documentation",
    "test": "'.test' is reserved for testing",
    "invalid": "'.invalid' is reserved for names that must never work",
    "arpa": "'.arpa' names belong to DNS itself (reverse look-ups), not to a site",
}
_DOCUMENTATION_DOMAINS = ("example.com", "example.net", "example.org")

_DOCUMENTATION_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "192.0.2.0/24",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "2001:db8::/32",
        "3fff::/20",
    )
)
_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_SHARED_NETWORK = ipaddress.ip_network("100.64.0.0/10")
_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


class Kind(StrEnum):
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    DOMAIN = "domain"
    URL = "url"
    EMAIL = "email"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    FILENAME = "filename"


HASH_LENGTHS = {Kind.MD5: 32, Kind.SHA1: 40, Kind.SHA256: 64}
_HASH_KINDS = {length: kind for kind, length in HASH_LENGTHS.items()}
_HASH_NAMES = {Kind.MD5: "an MD5", Kind.SHA1: "a SHA-1", Kind.SHA256: "a SHA-256"}


class InvalidIndicator(ValueError):
    """A value is not a usable indicator; `str(exc)` says why, in plain English."""


class _Unlikely(InvalidIndicator):
    """Invalid, and in running text probably never meant as an indicator
    (`os.path`, `e.g`, `--config.file`): extraction leaves it out unless someone
    defanged it, which shows they meant it."""


@dataclass(frozen=True)
class Found:
    """A valid indicator, normalised."""

    kind: Kind
    value: str
    #: The text as it appeared, at its first occurrence.
    raw: str
    #: How often it appeared, counting every spelling that normalises to `value`.
    count: int


@dataclass(frozen=True)
class Rejected:
    """A candidate that looked like an indicator but cannot be used as one."""

    #: The type it looked like; None for the note that the text was not read to the end.
    kind: Kind | None
    raw: str
    reason: str


@dataclass(frozen=True)
class Extraction:
    #: In order of first appearance, one per (kind, value).
    found: list[Found] = field(default_factory=list)
    #: One per distinct raw text.
    rejected: list[Rejected] = field(default_factory=list)


# --- Refanging ----------------------------------------------------------------------------

# Three small patterns rather than one alternation: each starts with a plain
# character class, which the regex engine skips to quickly, so refanging 10 MB
# takes a fraction of the time one combined pattern would.
_DEFANG_BRACKETS = re.compile(
    # [.] (.) {.} [dot] [@] (at) ..., optionally spaced: "evil [dot] com", "bob [at] evil.com"
    r"[\[({](?:[ \t]{0,2}(?P<separator>\.|[dD][oO][tT]|@|[aA][tT])[ \t]{0,2}[\])}][ \t]?"
    # [:] [://] [/] ...
    r"|(?P<punctuation>://|:/|:|//|/)[\])}])"
)
# hxxp://, hXXps[:]//, fxp://, meow://; the letters are checked against _SCHEMES.
_DEFANG_SCHEMES = re.compile(r"[hHfFmM][xXtTeE][xXtToO]?[pPwW](?P<secure>[sS]?)(?=[\[({]?:)")
# "evil dot com"; the letter or digit before it is checked too, to leave prose alone.
_DEFANG_SPACED_DOT = re.compile(r" (?:dot|DOT) (?=[^\W_])")
_SEPARATORS = {".": ".", "dot": ".", "@": "@", "at": "@"}
_SCHEMES = {"hxxp": "http", "hxtp": "http", "htxp": "http", "fxp": "ftp", "meow": "http"}
# One pass turns `[[.]]` into `[.]`. A bracketed defang can only reappear after
# a pass whose input had an opening bracket just before another; where this does
# not match, no further pass is needed (and none is run).
_NESTED = re.compile(r"[\[({][ \t]{0,3}[\[({]")
_DEFANGED_TOO_DEEP = "defanged more than three layers deep: write it out by hand"


def _defanged_spans(text: str) -> list[tuple[int, int, str]]:
    """Where `text` is defanged, in order: (start, end, what it stands for)."""
    found: list[tuple[int, int, str]] = []
    for match in _DEFANG_BRACKETS.finditer(text):
        start, end = match.span()
        if separator := match["separator"]:
            replacement = _SEPARATORS[separator.lower()]
            if start and text[start - 1] in " \t":
                start -= 1
        else:
            replacement = match["punctuation"]
        found.append((start, end, replacement))
    for match in _DEFANG_SCHEMES.finditer(text):
        start, end = match.span()
        secure = match["secure"]
        word = text[start : end - len(secure)].lower()
        if word in _SCHEMES and not (start and text[start - 1].isalnum()):
            found.append((start, end, _SCHEMES[word] + secure.lower()))
    for match in _DEFANG_SPACED_DOT.finditer(text):
        start, end = match.span()
        if start and text[start - 1].isalnum():
            found.append((start, end, "."))
    found.sort()
    # Matches overlap only by a space around a bracket ("a [.] [.] b"): the
    # earlier match keeps it.
    spans: list[tuple[int, int, str]] = []
    taken = 0
    for start, end, replacement in found:
        if start + 1 == taken and text[start] in " \t":
            start = taken
        if start >= taken:
            spans.append((start, end, replacement))
            taken = end
    return spans


def refang(text: str) -> str:
    """Undo the usual ways of defanging indicators: hxxp, [.], (dot), [@], [:]//, ...

    Nested defanging (`evil[[.]]com`) is undone up to three layers deep.
    """
    return _refang_mapped(text).text


@dataclass(frozen=True)
class _Pass:
    """Where one refanging pass replaced text, in its input and in its output.

    Replacements are rare, so this is much smaller than a map per character.
    """

    out_starts: list[int]
    out_ends: list[int]
    in_starts: list[int]
    in_ends: list[int]

    def start_before(self, position: int) -> int:
        index = bisect_right(self.out_starts, position) - 1
        if index < 0:
            return position
        if position < self.out_ends[index]:
            return self.in_starts[index]
        return position - self.out_ends[index] + self.in_ends[index]

    def end_before(self, position: int) -> int:
        index = bisect_left(self.out_starts, position) - 1
        if index < 0:
            return position
        if position <= self.out_ends[index]:
            return self.in_ends[index]
        return position - self.out_ends[index] + self.in_ends[index]


@dataclass(frozen=True)
class _Refanged:
    """A refanged text that can point back to the pasted text."""

    text: str
    original: str
    passes: tuple[_Pass, ...]

    def start_in_original(self, position: int) -> int:
        for refanging in reversed(self.passes):
            position = refanging.start_before(position)
        return position

    def end_in_original(self, position: int) -> int:
        for refanging in reversed(self.passes):
            position = refanging.end_before(position)
        return position

    def raw(self, start: int, end: int, token: str) -> str:
        """The pasted text that `token`, at `start:end` in the refanged text, came from."""
        if not self.passes:
            return token
        if len(self.passes) == 1:
            # Most indicators were not defanged: if no replacement touches the
            # span, it is the same in both texts.
            refanging = self.passes[0]
            after = bisect_right(refanging.out_starts, start)
            if (after == 0 or refanging.out_ends[after - 1] <= start) and (
                after == len(refanging.out_starts) or refanging.out_starts[after] >= end
            ):
                return token
        return self.original[self.start_in_original(start) : self.end_in_original(end)]


_REFANG_PASSES = 3


def _refang_mapped(text: str) -> _Refanged:
    passes: list[_Pass] = []
    current = text
    for _ in range(_REFANG_PASSES):
        refanging, refanged = _refang_once(current)
        if refanging is None:
            break
        passes.append(refanging)
        nested = _NESTED.search(current) is not None
        current = refanged
        if not nested:
            break
    return _Refanged(current, text, tuple(passes))


def _refang_once(text: str) -> tuple[_Pass | None, str]:
    pieces: list[str] = []
    refanging = _Pass([], [], [], [])
    taken = 0
    written = 0
    for start, end, replacement in _defanged_spans(text):
        pieces.append(text[taken:start])
        written += start - taken
        pieces.append(replacement)
        refanging.out_starts.append(written)
        refanging.in_starts.append(start)
        refanging.in_ends.append(end)
        written += len(replacement)
        refanging.out_ends.append(written)
        taken = end
    if not refanging.out_starts:
        return None, text
    pieces.append(text[taken:])
    return refanging, "".join(pieces)


# --- Normalising one value -------------------------------------------------------------


@functools.cache
def _suffixes() -> tldextract.TLDExtract:
    # The snapshot bundled with tldextract: no network, no cache on disk.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_IPV4_SHAPE = re.compile(r"\d+(?:\.\d+){3}")
_HEX = re.compile(r"[0-9a-f]+")
_PORT = re.compile(r"\d{1,5}")
_LOCAL_PART = re.compile(r"[\w!#$%&'*+/=?^`{|}~.-]+")
_NOT_IN_FILENAME = re.compile(r'[<>:"|?*\x00-\x1f]')
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Many URLs share a host; the cache keeps one answer per host (errors are not cached).
@functools.lru_cache(maxsize=8_192)
def _normalise_domain(value: str) -> str:
    host = value.strip().removesuffix(".")
    if not host:
        raise InvalidIndicator("no domain name given")
    if "/" in host or ":" in host or "@" in host:
        raise InvalidIndicator(f"'{_shorten(host)}' is not a domain name: it has a '/', ':' or '@'")
    if len(host) > DOMAIN_MAX_LENGTH:
        # Checked before IDNA too, so that a huge name never reaches the slow encoder.
        raise InvalidIndicator(f"longer than {DOMAIN_MAX_LENGTH} characters")
    if host.isascii():
        host = host.lower()
        if "xn--" in host:
            try:
                idna.decode(host)
            except idna.IDNAError:
                raise InvalidIndicator(
                    f"{_shorten(host)} is not a valid internationalised domain name"
                ) from None
    else:
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            # Also raised for underscores and other characters a host name cannot have.
            raise _Unlikely(
                f"{_shorten(host)} is not a valid internationalised domain name"
            ) from None
    if len(host) > DOMAIN_MAX_LENGTH:
        raise InvalidIndicator(f"longer than {DOMAIN_MAX_LENGTH} characters")
    labels = host.split(".")
    for label in labels:
        if len(label) > LABEL_MAX_LENGTH:
            raise InvalidIndicator(
                f"a part of the name is longer than {LABEL_MAX_LENGTH} characters"
            )
        if not _HOST_LABEL.fullmatch(label):
            if not label:
                raise _Unlikely(f"{_shorten(host)} has an empty part between two dots")
            raise _Unlikely(f"'{label}' is not a valid part of a host name")
    top = labels[-1]
    if top.isdigit():
        raise _Unlikely(f"{_shorten(host)} is not a domain name")
    if host == "home.arpa" or host.endswith(".home.arpa"):
        raise InvalidIndicator(_INTERNAL)
    if special := _SPECIAL_TLDS.get(top):
        raise InvalidIndicator(special)
    if len(labels) == 1:
        raise _Unlikely(f"'{host}' has no top-level domain: it is a bare machine name")
    parts = _suffixes()(host)
    if not parts.suffix:
        raise _Unlikely(f"'.{top}' is not a top-level domain")
    if not parts.domain:
        raise _Unlikely(f"{host} is a public suffix, not a domain")
    for documentation in _DOCUMENTATION_DOMAINS:
        if host == documentation or host.endswith("." + documentation):
            raise InvalidIndicator(f"{documentation} is reserved for documentation")
    return host


def _non_public_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address identifies nothing on the internet, or None if it can."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if any(address in network for network in _DOCUMENTATION_NETWORKS):
        return "documentation address: only used in examples, never on the internet"
    if address.is_unspecified:
        return "unspecified address: means 'no address'"
    if address.is_loopback:
        return "loopback address: always means the machine itself"
    if address.is_link_local:
        return "link-local address: only valid on one network segment"
    if address.is_multicast:
        return "multicast address: a group of receivers, not one machine"
    if address == _BROADCAST:
        return "broadcast address: every machine on the local network"
    if any(address in network for network in _PRIVATE_NETWORKS):
        return "private address: identifies nothing outside your own network"
    if address in _SHARED_NETWORK:
        return "shared address (carrier-grade NAT): identifies nothing outside the provider"
    if address.is_reserved:
        return "reserved address: not used on the internet"
    if not address.is_global:
        return "special-purpose address: not used on the public internet"
    return None


def _normalise_ipv4(value: str) -> str:
    value = value.strip()
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        raise InvalidIndicator(f"{_shorten(value)} is not a valid IPv4 address") from None
    if reason := _non_public_reason(address):
        raise InvalidIndicator(reason)
    return address.compressed


def _normalise_ipv6(value: str) -> str:
    value = value.strip().removeprefix("[").removesuffix("]")
    try:
        address = ipaddress.IPv6Address(value)
    except ValueError:
        raise InvalidIndicator(f"{_shorten(value)} is not a valid IPv6 address") from None
    if reason := _non_public_reason(address):
        raise InvalidIndicator(reason)
    return address.compressed


def _normalise_host(host: str) -> str:
    """The host of a URL: a domain, an IPv4 address or an IPv6 address in brackets."""
    if host.startswith("["):
        if not host.endswith("]"):
            raise InvalidIndicator("the IPv6 address in brackets is not closed")
        return f"[{_normalise_ipv6(host[1:-1])}]"
    if _IPV4_SHAPE.fullmatch(host):
        return _normalise_ipv4(host)
    return _normalise_domain(host)


def _normalise_url(value: str) -> str:
    url = value.strip()
    if len(url) > URL_MAX_LENGTH:
        raise InvalidIndicator(f"longer than {URL_MAX_LENGTH:,} characters")
    if _SPACE_OR_CONTROL.search(url):
        raise InvalidIndicator("contains spaces or control characters")
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "http", url
    scheme = scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise InvalidIndicator(
            f"'{_shorten(scheme, 20)}' links are not kept: only http, https and ftp"
        )
    authority_end = len(rest)
    for delimiter in "/?#":
        found_at = rest.find(delimiter)
        if found_at != -1 and found_at < authority_end:
            authority_end = found_at
    authority, tail = rest[:authority_end], rest[authority_end:]
    user, at, host_and_port = authority.rpartition("@")
    if host_and_port.startswith("["):
        closing = host_and_port.find("]")
        if closing == -1:
            raise InvalidIndicator("the IPv6 address in brackets is not closed")
        host, port = host_and_port[: closing + 1], host_and_port[closing + 1 :]
        if port and not port.startswith(":"):
            raise InvalidIndicator("unexpected text after the IPv6 address")
        port = port[1:]
    else:
        host, _, port = host_and_port.partition(":")
    if not host:
        raise InvalidIndicator("has no host")
    try:
        host = _normalise_host(host)
    except InvalidIndicator as invalid:
        # With a scheme in front it is clearly meant as a URL, so the reason is shown.
        raise InvalidIndicator(str(invalid)) from None
    if port:
        if not _PORT.fullmatch(port) or not 0 < int(port) < 65_536:
            raise InvalidIndicator(f"'{_shorten(port, 20)}' is not a port number")
        port = "" if int(port) == ALLOWED_SCHEMES[scheme] else str(int(port))
    return f"{scheme}://{user}{at}{host}{':' if port else ''}{port}{tail}"


def _normalise_email(value: str) -> str:
    address = value.strip()
    if address[:7].lower() == "mailto:":
        address = address[7:]
    if len(address) > EMAIL_MAX_LENGTH:
        raise InvalidIndicator(f"longer than {EMAIL_MAX_LENGTH} characters")
    local, at, domain = address.rpartition("@")
    if not at or not local:
        raise InvalidIndicator("an e-mail address needs a name, an @ and a domain")
    if len(local) > LOCAL_PART_MAX_LENGTH:
        raise InvalidIndicator(
            f"the part before the @ is longer than {LOCAL_PART_MAX_LENGTH} characters"
        )
    if (
        not _LOCAL_PART.fullmatch(local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
    ):
        raise InvalidIndicator(f"'{_shorten(local)}' is not a valid name before the @")
    if domain.rpartition(".")[2].isdigit():
        # package@1.2.3: a version, not a mailbox
        raise _Unlikely(f"{_shorten(domain)} is not a domain name")
    try:
        domain = _normalise_domain(domain)
    except InvalidIndicator as invalid:
        raise InvalidIndicator(str(invalid)) from None
    return f"{local.lower()}@{domain}"


def _hash_normaliser(kind: Kind) -> Callable[[str], str]:
    expected = HASH_LENGTHS[kind]

    def normalise_hash(value: str) -> str:
        digest = value.strip().lower()
        if not _HEX.fullmatch(digest):
            raise InvalidIndicator("a hash only has the digits 0-9 and the letters a-f")
        if len(digest) != expected:
            raise InvalidIndicator(
                f"has {len(digest)} characters; {_HASH_NAMES[kind]} hash has {expected}"
            )
        if digest in EMPTY_FILE_HASHES:
            raise InvalidIndicator("hash of an empty file: it matches every empty file")
        return digest

    return normalise_hash


def _normalise_filename(value: str) -> str:
    # A full path reduces to the file's own name: that is what is searched for on disk.
    name = re.split(r"[\\/]", value.strip())[-1].strip()
    if not name or name in {".", ".."}:
        raise InvalidIndicator("no file name given")
    if len(name) > FILENAME_MAX_LENGTH:
        raise InvalidIndicator(f"longer than {FILENAME_MAX_LENGTH} characters")
    if _NOT_IN_FILENAME.search(name):
        raise InvalidIndicator(f"'{_shorten(name)}' contains characters a file name cannot have")
    return name


_NORMALISERS: dict[Kind, Callable[[str], str]] = {
    Kind.IPV4: _normalise_ipv4,
    Kind.IPV6: _normalise_ipv6,
    Kind.DOMAIN: _normalise_domain,
    Kind.URL: _normalise_url,
    Kind.EMAIL: _normalise_email,
    Kind.MD5: _hash_normaliser(Kind.MD5),
    Kind.SHA1: _hash_normaliser(Kind.SHA1),
    Kind.SHA256: _hash_normaliser(Kind.SHA256),
    Kind.FILENAME: _normalise_filename,
}


def normalise(kind: Kind | str, value: str) -> str:
    """The canonical form of `value` as an indicator of `kind`, after refanging it.

    Raises InvalidIndicator with the reason when it cannot be one.
    """
    try:
        kind = Kind(kind)
    except ValueError:
        raise InvalidIndicator(f"'{_shorten(str(kind), 20)}' is not a type of indicator") from None
    refanged = refang(value)
    # A normalised value must normalise to itself, so nothing may be left to refang.
    if _NESTED.search(value) and refang(refanged) != refanged:
        raise InvalidIndicator(_DEFANGED_TOO_DEEP)
    return _NORMALISERS[kind](refanged)


# --- Finding indicators in text ------------------------------------------------------------

# Characters that may appear in a URL as people paste them. Brackets stay in for
# IPv6 hosts and PHP-style queries; an unbalanced closing one is trimmed later.
_URL_CHARS = r"[^\s<>\"'`|^{}\\]"
_HOSTNAME = r"[\w-]+(?:\.[\w-]+)+"
# Every alternative starts where a word starts, and every indicator has a dot, a
# colon or an @ in it or is a long hex run: the lookahead checks that once per
# word, so ordinary words are passed over without trying each alternative. A
# word may not start right after a character the lookahead reads past, or that
# lookahead would read a long run of such characters again from every position.
_SCAN = re.compile(
    rf"""
    (?<![\w.%+-])(?=[\w%+-]*+[.:@]|[0-9A-Fa-f]{{32}})(?:
    (?P<url>[A-Za-z][A-Za-z0-9+.-]{{0,15}}://{_URL_CHARS}*+)
    |(?P<email>[\w.%+-]{{1,64}}@(?>{_HOSTNAME}))
    |(?P<hash>[0-9A-Fa-f]{{32,}}+)(?![\w@-]|\.[\w-])
    |(?<!:)(?P<ipv6>(?>(?:[0-9A-Fa-f]{{0,4}}:){{2,7}}(?:\d{{1,3}}(?:\.\d{{1,3}}){{3}}|[0-9A-Fa-f]{{1,4}})?))(?![\w:]|\.\w)
    |(?P<host>(?>{_HOSTNAME}))(?P<path>(?::\d{{1,5}})?/{_URL_CHARS}*+)?
    )
    """,
    re.VERBOSE,
)
_TRAILING = frozenset(".,;:!?*'\")]")
_CIDR_SUFFIX = re.compile(r"/\d{1,2}")

#: What one candidate turned out to be: (kind, value, raw) for each indicator, or a Rejected.
_Verdict = tuple[Kind, str, str] | Rejected
#: The type a candidate looks like before it is judged, by the alternative that matched it.
_GROUP_KINDS = {"url": Kind.URL, "path": Kind.URL, "email": Kind.EMAIL, "host": Kind.DOMAIN}


def _trim_tail(token: str) -> str:
    """Drop punctuation that ends the sentence around a URL, and a closing bracket
    that closes something opened before the URL."""
    if len(token) > URL_MAX_LENGTH:
        return token  # rejected for its length anyway; trimming would only cost time
    while token and token[-1] in _TRAILING:
        last = token[-1]
        if last == ")" and token.count("(") >= token.count(")"):
            break
        if last == "]" and token.count("[") >= token.count("]"):
            break
        token = token[:-1]
    return token


def _shown(raw: str) -> str:
    return raw if len(raw) <= RAW_SHOWN else raw[: RAW_SHOWN - 1] + "…"


def _classify_dotted(token: str, defanged: bool) -> Kind | None:
    """What a dotted word looks like: a file name, an IPv4 address or a domain."""
    last = token.rpartition(".")[2]
    if last.isdigit():
        if token.replace(".", "").isdigit():
            return Kind.IPV4 if token.count(".") == 3 else None  # else a version number
        return None
    if not defanged and last.lower() in RISKY_EXTENSIONS:
        return Kind.FILENAME
    return Kind.DOMAIN


def _judge_dotted(token: str, raw: str, defanged: bool, in_path: bool) -> tuple[_Verdict, ...]:
    kind = _classify_dotted(token, defanged)
    if kind is None or (in_path and kind is not Kind.FILENAME and not defanged):
        return ()
    try:
        return ((kind, _NORMALISERS[kind](token), raw),)
    except _Unlikely as unlikely:
        return (Rejected(kind, _shown(raw), str(unlikely)),) if defanged else ()
    except InvalidIndicator as invalid:
        return (Rejected(kind, _shown(raw), str(invalid)),)


def _judge_url(token: str, raw: str, refanged: _Refanged, start: int) -> tuple[_Verdict, ...]:
    try:
        return ((Kind.URL, _normalise_url(token), raw),)
    except InvalidIndicator as invalid:
        rejected = Rejected(Kind.URL, _shown(raw), str(invalid))
    scheme, _, rest = token.partition("://")
    if scheme.lower() in ALLOWED_SCHEMES or len(token) > URL_MAX_LENGTH:
        return (rejected,)
    # Another protocol (smb://, tcp://): the host is still worth knowing.
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    host_start = len(scheme) + 3 + authority.rfind("@") + 1
    host = authority[authority.rfind("@") + 1 :]
    if host.startswith("["):
        host = host.partition("]")[0] + "]"
        kind: Kind | None = Kind.IPV6
    else:
        host = host.partition(":")[0]
        kind = _classify_dotted(host, defanged=True) if "." in host else None
    if kind is None:
        return (rejected,)
    host_raw = refanged.raw(start + host_start, start + host_start + len(host), host)
    try:
        return rejected, (kind, _normalise_host(host), host_raw)
    except InvalidIndicator as invalid:
        return rejected, Rejected(kind, _shown(host_raw), str(invalid))


def _looks_like_ipv6(token: str) -> bool:
    # Times (12:34:56) and MAC addresses have colons too; only these shapes are meant as IPv6.
    return ("::" in token or token.count(":") == 7) and any(
        c in "0123456789abcdefABCDEF" for c in token
    )


def _judge(group: str, token: str, raw: str) -> tuple[_Verdict, ...]:
    """Hashes, e-mail addresses and IPv6 addresses."""
    if group == "hash":
        kind = _HASH_KINDS.get(len(token))
        if kind is None or token.isdigit() or not any(c.isdigit() for c in token):
            return ()
        try:
            return ((kind, _NORMALISERS[kind](token), raw),)
        except InvalidIndicator as invalid:
            return (Rejected(kind, raw, str(invalid)),)
    if group == "email":
        try:
            return ((Kind.EMAIL, _normalise_email(token), raw),)
        except _Unlikely:
            return ()
        except InvalidIndicator as invalid:
            return (Rejected(Kind.EMAIL, _shown(raw), str(invalid)),)
    if group == "ipv6":
        if token.endswith(":") and not token.endswith("::"):
            token = token[:-1]
            raw = raw[:-1]
        if not _looks_like_ipv6(token):
            return ()
        try:
            return ((Kind.IPV6, _normalise_ipv6(token), raw),)
        except InvalidIndicator as invalid:
            return (Rejected(Kind.IPV6, raw, str(invalid)),)
    raise AssertionError(group)


def _judge_path(
    host: str, host_raw: str, path: str, raw: str, in_path: bool
) -> tuple[_Verdict, ...]:
    """A host followed by a path, without a scheme: `evil[.]com/login`."""
    defanged = host_raw != host
    kind = _classify_dotted(host, defanged)
    if kind is None or path in {"", "/"} or kind is Kind.FILENAME:
        return _judge_dotted(host, host_raw, defanged, in_path)
    if kind is Kind.IPV4 and _CIDR_SUFFIX.fullmatch(path):
        return _judge_dotted(host, host_raw, defanged, in_path)
    if in_path and not defanged:
        return ()
    try:
        if kind is Kind.DOMAIN:
            _normalise_domain(host)
        return ((Kind.URL, _normalise_url(host + path), raw),)
    except _Unlikely as unlikely:
        return (Rejected(Kind.URL, _shown(raw), str(unlikely)),) if defanged else ()
    except InvalidIndicator as invalid:
        return (Rejected(Kind.URL, _shown(raw), str(invalid)),)


def extract(text: str, *, limit: int = 10_000) -> Extraction:
    """Every indicator in `text`, and every candidate that was refused, with the reason.

    `limit` caps the distinct indicators, and separately the distinct refusals;
    past it the rest of the text is not read, and one more Rejected says so.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    refanged = _refang_mapped(text)
    scanned = refanged.text
    nested = _NESTED.search(text) is not None
    first_raw: dict[tuple[Kind, str], str] = {}
    counts: dict[tuple[Kind, str], int] = {}
    rejected: dict[str, Rejected] = {}
    # Logs repeat themselves: each distinct candidate is judged once.
    verdicts: dict[tuple[str, str, bool], tuple[_Verdict, ...]] = {}

    for match in _SCAN.finditer(scanned):
        group = match.lastgroup
        assert group is not None
        start = match.start()
        end = match.end()
        if group in {"url", "path"}:
            end = start + len(_trim_tail(match.group()))
        in_path = start > 0 and scanned[start - 1] in "/\\"
        token = scanned[start:end]
        raw = refanged.raw(start, end, token)
        key = (group, raw, in_path)
        outcome = verdicts.get(key)
        if outcome is None:
            if nested and refang(token) != token:
                outcome = (Rejected(_GROUP_KINDS.get(group), _shown(raw), _DEFANGED_TOO_DEEP),)
            elif group == "host":
                outcome = _judge_dotted(token, raw, raw != token, in_path)
            elif group == "path":
                host_end = match.end("host")
                outcome = _judge_path(
                    scanned[start:host_end],
                    refanged.raw(start, host_end, scanned[start:host_end]),
                    scanned[host_end:end],
                    raw,
                    in_path,
                )
            elif group == "url":
                outcome = _judge_url(token, raw, refanged, start)
            else:
                outcome = _judge(group, token, raw)
            verdicts[key] = outcome

        for verdict in outcome:
            if isinstance(verdict, Rejected):
                if verdict.raw not in rejected:
                    if len(rejected) >= limit:
                        return _extraction(
                            first_raw, counts, rejected, _stopped(limit, text, refanged, start, raw)
                        )
                    rejected[verdict.raw] = verdict
                continue
            kind, value, verdict_raw = verdict
            found_key = (kind, value)
            if found_key in counts:
                counts[found_key] += 1
            elif len(counts) >= limit:
                return _extraction(
                    first_raw, counts, rejected, _stopped(limit, text, refanged, start, raw)
                )
            else:
                first_raw[found_key] = verdict_raw
                counts[found_key] = 1
    return _extraction(first_raw, counts, rejected)


def _extraction(
    first_raw: dict[tuple[Kind, str], str],
    counts: dict[tuple[Kind, str], int],
    rejected: dict[str, Rejected],
    stopped: Rejected | None = None,
) -> Extraction:
    return Extraction(
        found=[
            Found(kind, value, raw, counts[kind, value]) for (kind, value), raw in first_raw.items()
        ],
        rejected=[*rejected.values(), *([stopped] if stopped else [])],
    )


def _stopped(limit: int, text: str, refanged: _Refanged, start: int, raw: str) -> Rejected:
    return Rejected(
        None,
        _shown(raw),
        f"more than {limit:,} distinct results: the text from character "
        f"{refanged.start_in_original(start):,} of {len(text):,} on was not read",
    )


def detect_kind(value: str) -> Kind | None:
    """The type a single value typed by hand looks like, valid or not.

    None if it looks like no indicator at all. Pass the type on to `normalise`
    to get the canonical value or the reason it cannot be used.
    """
    text = refang(value).strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    if not text:
        return None
    match = _SCAN.fullmatch(text)
    if match is not None:
        group = match.lastgroup
        if group == "url":
            return Kind.URL
        if group == "email":
            return Kind.EMAIL
        if group == "hash":
            return _HASH_KINDS.get(len(text))
        if group == "ipv6":
            return Kind.IPV6 if _looks_like_ipv6(text) else None
        defanged = text != value.strip()
        if group == "path":
            host = match.group("host")
            kind = _classify_dotted(host, defanged)
            if kind is Kind.IPV4 and _CIDR_SUFFIX.fullmatch(match.group("path")):
                return Kind.IPV4
            return Kind.URL if kind in {Kind.DOMAIN, Kind.IPV4} else kind
        return _classify_dotted(text, defanged)
    name = re.split(r"[\\/]", text)[-1]
    if "." in name and name.rpartition(".")[2].lower() in RISKY_EXTENSIONS:
        return Kind.FILENAME
    return None
