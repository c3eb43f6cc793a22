"""Indicators of compromise from pasted text: ttc/lib/indicators.py."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bench.bench_extraction import HOSTILE
from ttc.lib.indicators import (
    Extraction,
    Found,
    InvalidIndicator,
    Kind,
    Rejected,
    detect_kind,
    extract,
    normalise,
    refang,
)


def found(extraction: Extraction) -> list[tuple[Kind, str]]:
    return [(item.kind, item.value) for item in extraction.found]


def reasons(extraction: Extraction) -> dict[str, str]:
    return {item.raw: item.reason for item in extraction.rejected}


def invalid_reason(kind: Kind | str, value: str) -> str:
    with pytest.raises(InvalidIndicator) as raised:
        normalise(kind, value)
    return str(raised.value)


# --- Refanging ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("defanged", "plain"),
    [
        ("hxxp://evil[.]example[.]com/a", "http://evil.example.com/a"),
        ("hxxps[:]//evil.com/login", "https://evil.com/login"),
        ("hXXps://evil.com", "https://evil.com"),
        ("HXXP://EVIL.COM", "http://EVIL.COM"),
        ("hxxp[://]evil.com", "http://evil.com"),
        ("fxp://files.evil.com/a", "ftp://files.evil.com/a"),
        ("meow://evil.com", "http://evil.com"),
        ("evil(dot)com", "evil.com"),
        ("evil[dot]com", "evil.com"),
        ("evil[DOT]com", "evil.com"),
        ("evil{.}com", "evil.com"),
        ("evil(.)com", "evil.com"),
        ("evil [.] com", "evil.com"),
        ("evil dot com", "evil.com"),
        ("user[@]evil.com", "user@evil.com"),
        ("user(at)evil.com", "user@evil.com"),
        ("user [at] evil [dot] com", "user@evil.com"),
        ("user{@}evil.com", "user@evil.com"),
        ("1.2.3[.]4", "1.2.3.4"),
        ("evil.com[/]path", "evil.com/path"),
        ("http[:]//evil.com", "http://evil.com"),
    ],
)
def test_refang_undoes_the_usual_defanging(defanged: str, plain: str) -> None:
    assert refang(defanged) == plain


def test_refang_undoes_nested_defanging_three_layers_deep() -> None:
    assert refang("evil[[.]]com and [[[hxxp]]]") == "evil.com and [[[hxxp]]]"
    assert refang("a[[[.]]]b [ [.] ] c") == "a.b.c"
    assert refang("a[[[[.]]]]b") == "a[.]b"
    assert "more than three layers deep" in invalid_reason(Kind.DOMAIN, "a[[[[.]]]]com")


@pytest.mark.parametrize(
    "text",
    [
        "http://evil.com/a and plain prose",
        "a shxxp://x is not a scheme",  # hxxp inside a word
        "(at least) three (3) items [see below]",
        "Dot the i's; a dot. The end",
        "polka(dots) and [dotted] lines",
    ],
)
def test_refang_leaves_ordinary_text_alone(text: str) -> None:
    assert refang(text) == text


# --- Normalising one value -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (Kind.DOMAIN, "Evil-Corp.COM.", "evil-corp.com"),
        (Kind.DOMAIN, "münchen.de", "xn--mnchen-3ya.de"),
        (Kind.DOMAIN, "MÜNCHEN.DE", "xn--mnchen-3ya.de"),
        (Kind.DOMAIN, "xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        (Kind.DOMAIN, "login.evil.co.uk", "login.evil.co.uk"),
        (Kind.DOMAIN, "evil[.]com", "evil.com"),
        (Kind.URL, "HTTP://Evil.COM:80/Path?Q=A#Top", "http://evil.com/Path?Q=A#Top"),
        (Kind.URL, "https://evil.com:443/", "https://evil.com/"),
        (Kind.URL, "https://evil.com:8443/x", "https://evil.com:8443/x"),
        (Kind.URL, "ftp://files.evil.com:21/a.exe", "ftp://files.evil.com/a.exe"),
        (Kind.URL, "http://münchen.de/straße", "http://xn--mnchen-3ya.de/straße"),
        (Kind.URL, "hxxp://evil[.]com/a", "http://evil.com/a"),
        (Kind.URL, "evil.com/login", "http://evil.com/login"),
        (Kind.URL, "http://paypal.com@Evil.com/", "http://paypal.com@evil.com/"),
        (Kind.URL, "http://[2606:4700:0:0::1111]:8080/", "http://[2606:4700::1111]:8080/"),
        (Kind.URL, "http://45.9.148.3/bins/x.arm", "http://45.9.148.3/bins/x.arm"),
        (Kind.EMAIL, "Bob.Smith@Evil-Corp.COM", "bob.smith@evil-corp.com"),
        (Kind.EMAIL, "mailto:bob@evil.com", "bob@evil.com"),
        (Kind.EMAIL, "bob[@]evil[.]com", "bob@evil.com"),
        (Kind.EMAIL, "jörg@münchen.de", "jörg@xn--mnchen-3ya.de"),
        (Kind.IPV4, "185.220.101.4", "185.220.101.4"),
        (Kind.IPV4, "185.220.101[.]4", "185.220.101.4"),
        (Kind.IPV6, "2606:4700:4700:0000:0000:0000:0000:1111", "2606:4700:4700::1111"),
        (Kind.IPV6, "2A0E:1C80::1", "2a0e:1c80::1"),
        (Kind.MD5, "5D41402ABC4B2A76B9719D911017C592", "5d41402abc4b2a76b9719d911017c592"),
        (
            Kind.SHA1,
            "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
            "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
        ),
        (Kind.SHA256, " " + "ab" * 32 + " ", "ab" * 32),
        (Kind.FILENAME, "C:\\Users\\Public\\Invoice.pdf.EXE", "Invoice.pdf.EXE"),
        (Kind.FILENAME, "/home/bob/x.sh", "x.sh"),
        (Kind.FILENAME, "report.pdf", "report.pdf"),
        ("ipv4", "185.220.101.4", "185.220.101.4"),
    ],
)
def test_normalise(kind: Kind | str, value: str, expected: str) -> None:
    assert normalise(kind, value) == expected
    assert normalise(kind, expected) == expected


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        (Kind.DOMAIN, "evil.exe", "'.exe' is not a top-level domain"),
        (Kind.DOMAIN, "co.uk", "co.uk is a public suffix, not a domain"),
        (Kind.DOMAIN, "fileserver", "'fileserver' has no top-level domain"),
        (Kind.DOMAIN, "dc01.corp.local", "internal name: identifies nothing outside"),
        (Kind.DOMAIN, "router.home.arpa", "internal name: identifies nothing outside"),
        (Kind.DOMAIN, "localhost", "localhost: always means the machine itself"),
        (Kind.DOMAIN, "shop.example.com", "example.com is reserved for documentation"),
        (Kind.DOMAIN, "evil.test", "'.test' is reserved for testing"),
        (Kind.DOMAIN, "a" * 64 + ".com", "longer than 63 characters"),
        (Kind.DOMAIN, ("a" * 60 + ".") * 5 + "com", "longer than 253 characters"),
        (Kind.DOMAIN, "my_host.evil.com", "'my_host' is not a valid part of a host name"),
        (Kind.DOMAIN, "http://evil.com/", "is not a domain name"),
        (Kind.URL, "smb://evil.com/share", "'smb' links are not kept: only http, https and ftp"),
        (Kind.URL, "http://10.0.0.1/admin", "private address"),
        (Kind.URL, "http://fileserver/", "'fileserver' has no top-level domain"),
        (Kind.URL, "http://intranet/", "internal name"),
        (Kind.URL, "http://evil.com:99999/", "'99999' is not a port number"),
        (Kind.URL, "http://evil.com/a b", "contains spaces"),
        (Kind.URL, "http://" + "a" * 2_050 + ".com/", "longer than 2,048 characters"),
        (Kind.URL, "http:///path", "has no host"),
        (Kind.EMAIL, "bob@evil.exe", "'.exe' is not a top-level domain"),
        (Kind.EMAIL, "bob@corp.local", "internal name"),
        (Kind.EMAIL, ".bob@evil.com", "is not a valid name before the @"),
        (Kind.EMAIL, "bob", "needs a name, an @ and a domain"),
        (Kind.EMAIL, "b" * 65 + "@evil.com", "longer than 64 characters"),
        (Kind.IPV4, "999.1.1.1", "999.1.1.1 is not a valid IPv4 address"),
        (Kind.IPV4, "01.2.3.4", "01.2.3.4 is not a valid IPv4 address"),
        (Kind.IPV6, "2606:4700::1111::1", "is not a valid IPv6 address"),
        (Kind.MD5, "5d41402abc4b2a76b9719d911017c59", "has 31 characters; an MD5 hash has 32"),
        (Kind.SHA1, "5d41402abc4b2a76b9719d911017c592", "has 32 characters; a SHA-1 hash has 40"),
        (Kind.SHA256, "x" * 64, "only has the digits 0-9 and the letters a-f"),
        (Kind.MD5, "D41D8CD98F00B204E9800998ECF8427E", "hash of an empty file"),
        (Kind.FILENAME, "bad|name.exe", "contains characters a file name cannot have"),
        (Kind.FILENAME, "C:\\Users\\", "no file name given"),
        ("asn", "AS1234", "'asn' is not a type of indicator"),
    ],
)
def test_normalise_gives_the_reason(kind: Kind | str, value: str, reason: str) -> None:
    assert reason in invalid_reason(kind, value)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.1.2.3", "private address: identifies nothing outside your own network"),
        ("172.16.0.1", "private address"),
        ("192.168.1.1", "private address"),
        ("fd12:3456::1", "private address"),
        ("127.0.0.1", "loopback address"),
        ("::1", "loopback address"),
        ("169.254.10.1", "link-local address"),
        ("fe80::1", "link-local address"),
        ("224.0.0.251", "multicast address"),
        ("ff02::1", "multicast address"),
        (str(ipaddress.IPv4Address(0)), "unspecified address"),
        ("::", "unspecified address"),
        ("240.0.0.1", "reserved address"),
        ("255.255.255.255", "broadcast address"),
        ("100.64.1.1", "shared address (carrier-grade NAT)"),
        ("192.0.2.10", "documentation address"),
        ("198.51.100.10", "documentation address"),
        ("203.0.113.10", "documentation address"),
        ("2001:db8::1", "documentation address"),
        ("::ffff:10.0.0.1", "private address"),
        ("198.18.0.1", "special-purpose address"),
    ],
)
def test_addresses_that_identify_nothing_outside_the_network_are_rejected(
    address: str, reason: str
) -> None:
    kind = Kind.IPV6 if ":" in address else Kind.IPV4
    assert invalid_reason(kind, address).startswith(reason)


# --- Detecting the type of a typed value ------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("185.220.101.4", Kind.IPV4),
        ("999.1.1.1", Kind.IPV4),
        ("185.220.101[.]4", Kind.IPV4),
        ("203.0.113.0/24", Kind.IPV4),
        ("2606:4700:4700::1111", Kind.IPV6),
        ("evil.com", Kind.DOMAIN),
        ("evil[.]com", Kind.DOMAIN),
        ("münchen.de", Kind.DOMAIN),
        ("https://evil.com/a", Kind.URL),
        ("hxxp://evil[.]com", Kind.URL),
        ("evil.com/login", Kind.URL),
        ("smb://evil.com/share", Kind.URL),
        ("bob@evil.com", Kind.EMAIL),
        ("mailto:bob@evil.com", Kind.EMAIL),
        ("bob(at)evil(dot)com", Kind.EMAIL),
        ("5d41402abc4b2a76b9719d911017c592", Kind.MD5),
        ("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d", Kind.SHA1),
        ("AB" * 32, Kind.SHA256),
        ("invoice.pdf.exe", Kind.FILENAME),
        ("update.zip", Kind.FILENAME),
        ("update[.]zip", Kind.DOMAIN),
        ("C:\\Users\\Public\\run.ps1", Kind.FILENAME),
        ("hello", None),
        ("", None),
        ("12:34:56", None),
        ("1.2.3", None),
        ("5d41402abc4b2a76b9719d911017c5", None),
    ],
)
def test_detect_kind(value: str, kind: Kind | None) -> None:
    assert detect_kind(value) == kind


# --- Extracting from text ------------------------------------------------------------------

SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
PHISHING = f"""\
From: "IT Servicedesk" <Servicedesk[@]zorg-inlog[.]com>
Subject: Uw wachtwoord verloopt vandaag

Beste collega, log vóór 17:00 in via hxxps[:]//login.zorg-inlog[.]com/reset?user=jan
of bel ons. Bijlage: Wachtwoord_Reset.pdf.exe (sha256 {SHA256}).
Verzonden via 185.220.101[.]4 en intern via 10.20.30.40.
"""


def test_a_phishing_email_gives_its_indicators_in_order() -> None:
    result = extract(PHISHING)
    assert found(result) == [
        (Kind.EMAIL, "servicedesk@zorg-inlog.com"),
        (Kind.URL, "https://login.zorg-inlog.com/reset?user=jan"),
        (Kind.FILENAME, "Wachtwoord_Reset.pdf.exe"),
        (Kind.SHA256, SHA256),
        (Kind.IPV4, "185.220.101.4"),
    ]
    assert result.found[0].raw == "Servicedesk[@]zorg-inlog[.]com"
    assert result.found[1].raw == "hxxps[:]//login.zorg-inlog[.]com/reset?user=jan"
    assert reasons(result) == {
        "10.20.30.40": "private address: identifies nothing outside your own network"
    }


def test_the_host_of_a_url_and_the_domain_of_an_address_are_not_separate_domains() -> None:
    result = extract("Go to http://evil.com/a/payload.exe or write to bob@mail.evil.com")
    assert found(result) == [
        (Kind.URL, "http://evil.com/a/payload.exe"),
        (Kind.EMAIL, "bob@mail.evil.com"),
    ]


def test_a_domain_on_its_own_is_reported_next_to_the_url_it_is_the_host_of() -> None:
    result = extract("http://evil.com/a, later evil.com again")
    assert found(result) == [(Kind.URL, "http://evil.com/a"), (Kind.DOMAIN, "evil.com")]


def test_nested_defanging_is_undone_and_kept_raw() -> None:
    result = extract("evil[[.]]com, then http://evil.com/[[[[.]]]] and ((plain)) prose")
    assert result.found == [Found(Kind.DOMAIN, "evil.com", "evil[[.]]com", 1)]
    assert reasons(result) == {
        "http://evil.com/[[[[.]]]]": "defanged more than three layers deep: write it out by hand"
    }


def test_indicators_are_counted_over_every_spelling() -> None:
    result = extract("EVIL.com, evil.com and evil[.]com; bob@evil.net and BOB@Evil.NET")
    assert result.found == [
        Found(Kind.DOMAIN, "evil.com", "EVIL.com", 3),
        Found(Kind.EMAIL, "bob@evil.net", "bob@evil.net", 2),
    ]


def test_rejected_candidates_are_listed_once_each_with_a_reason() -> None:
    result = extract("10.0.0.1 10.0.0.1 999.1.1.1 evil[.]exe 127.0.0.1 fe80::1")
    assert result.found == []
    private = "private address: identifies nothing outside your own network"
    assert result.rejected == [
        Rejected(Kind.IPV4, "10.0.0.1", private),
        Rejected(Kind.IPV4, "999.1.1.1", "999.1.1.1 is not a valid IPv4 address"),
        Rejected(Kind.DOMAIN, "evil[.]exe", "'.exe' is not a top-level domain"),
        Rejected(Kind.IPV4, "127.0.0.1", "loopback address: always means the machine itself"),
        Rejected(Kind.IPV6, "fe80::1", "link-local address: only valid on one network segment"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A risky extension makes a file name, also where it is a top-level domain too ...
        ("update.zip", (Kind.FILENAME, "update.zip")),
        ("install.sh", (Kind.FILENAME, "install.sh")),
        ("Notes.one", (Kind.FILENAME, "Notes.one")),
        ("invoice.pdf.exe", (Kind.FILENAME, "invoice.pdf.exe")),
        ("invoice.js", (Kind.FILENAME, "invoice.js")),
        # ... unless someone defanged it: then it was meant as a domain.
        ("update[.]zip", (Kind.DOMAIN, "update.zip")),
        ("evil(dot)sh", (Kind.DOMAIN, "evil.sh")),
        # .com is a domain, not a DOS program; other extensions go by the suffix list.
        ("evil.com", (Kind.DOMAIN, "evil.com")),
        ("clip.mov", (Kind.DOMAIN, "clip.mov")),
    ],
)
def test_file_names_and_domains_that_share_an_ending(text: str, expected: tuple[Kind, str]) -> None:
    assert found(extract(f"Seen: {text}.")) == [expected]


def test_file_names_in_paths_are_reported_by_name() -> None:
    result = extract(r"dropped C:\Users\Public\run.ps1 and /tmp/.x/miner.sh")
    assert found(result) == [(Kind.FILENAME, "run.ps1"), (Kind.FILENAME, "miner.sh")]


@pytest.mark.parametrize(
    "text",
    [
        "import os.path, e.g. this, i.e. that",
        "version v2.4.1 of python 3.12.1, OID 1.3.6.1.4.1",
        "config.yaml and index.html and main.c",
        "at 12:34:56 from 00:1a:2b:3c:4d:5e",
        "a 33 hex run 5d41402abc4b2a76b9719d911017c5921 is no hash",
        "a 32 digit number 12345678901234567890123456789012 is no hash",
        "std::vector<int> and Foo::Bar",
        "pkg@1.2.3 is a version",
        "user@localhost has no domain",
    ],
)
def test_ordinary_text_gives_nothing(text: str) -> None:
    assert extract(text) == Extraction([], [])


def test_hashes_by_length() -> None:
    md5, sha1, sha256 = "5d41402abc4b2a76b9719d911017c592", "a" * 39 + "1", "b" * 63 + "2"
    result = extract(f"md5={md5.upper()}, sha1:{sha1}; ({sha256})")
    assert found(result) == [(Kind.MD5, md5), (Kind.SHA1, sha1), (Kind.SHA256, sha256)]


def test_a_hash_in_a_url_is_part_of_the_url() -> None:
    url = "https://evil.com/5d41402abc4b2a76b9719d911017c592/a.exe"
    assert found(extract(url)) == [(Kind.URL, url)]


def test_trailing_punctuation_is_not_part_of_a_url() -> None:
    result = extract(
        "(see http://evil.com/a). Or 'https://evil.com/b', https://en.wikipedia.org/wiki/Foo_(bar)."
    )
    assert found(result) == [
        (Kind.URL, "http://evil.com/a"),
        (Kind.URL, "https://evil.com/b"),
        (Kind.URL, "https://en.wikipedia.org/wiki/Foo_(bar)"),
    ]


def test_a_host_with_a_path_is_a_url_but_a_network_prefix_is_not() -> None:
    result = extract("evil[.]com/login and 45.9.148.3/bins/x.arm and 8.8.8.0/24")
    assert found(result) == [
        (Kind.URL, "http://evil.com/login"),
        (Kind.URL, "http://45.9.148.3/bins/x.arm"),
        (Kind.IPV4, "8.8.8.0"),
    ]
    assert result.found[0].raw == "evil[.]com/login"


def test_a_url_with_another_scheme_is_rejected_but_its_host_is_kept() -> None:
    result = extract("smb://files.evil[.]com/share and tcp://45.9.148.3:4444")
    assert found(result) == [(Kind.DOMAIN, "files.evil.com"), (Kind.IPV4, "45.9.148.3")]
    assert result.found[0].raw == "files.evil[.]com"
    assert reasons(result) == {
        "smb://files.evil[.]com/share": "'smb' links are not kept: only http, https and ftp",
        "tcp://45.9.148.3:4444": "'tcp' links are not kept: only http, https and ftp",
    }


def test_internal_and_reserved_names_are_listed_with_the_reason() -> None:
    result = extract("dc01.corp.local, http://example.com/x and helpdesk@ziekenhuis.local")
    assert reasons(result) == {
        "dc01.corp.local": "internal name: identifies nothing outside your own network",
        "http://example.com/x": "example.com is reserved for documentation",
        "helpdesk@ziekenhuis.local": "internal name: identifies nothing outside your own network",
    }


def test_ipv6_addresses() -> None:
    result = extract("C2 2606:4700:4700:0:0:0:0:1111, [2a0e:1c80::1] and ::ffff:8.8.8.8.")
    assert found(result) == [
        (Kind.IPV6, "2606:4700:4700::1111"),
        (Kind.IPV6, "2a0e:1c80::1"),
        (Kind.IPV6, str(ipaddress.IPv6Address("::ffff:8.8.8.8"))),
    ]


def test_an_internationalised_domain_becomes_punycode_and_keeps_its_raw_form() -> None:
    assert extract("zie münchen.de").found == [
        Found(Kind.DOMAIN, "xn--mnchen-3ya.de", "münchen.de", 1)
    ]


def test_over_long_candidates_are_rejected_and_shown_shortened() -> None:
    url = "http://evil.com/" + "a" * 3_000
    result = extract(f"{url} and {'x' * 70}.example.net")
    [too_long, *_] = result.rejected
    assert too_long.kind is Kind.URL
    assert too_long.reason == "longer than 2,048 characters"
    assert len(too_long.raw) <= 200
    assert too_long.raw.startswith("http://evil.com/aaa")


def test_the_limit_stops_reading_and_says_so() -> None:
    text = "8.8.8.1 8.8.8.2 8.8.8.2 8.8.8.3 8.8.8.4 8.8.8.5"
    result = extract(text, limit=3)
    assert found(result) == [(Kind.IPV4, f"8.8.8.{n}") for n in (1, 2, 3)]
    assert result.found[1].count == 2
    [note] = result.rejected
    assert note.kind is None
    assert note.raw == "8.8.8.4"
    assert (
        note.reason
        == "more than 3 distinct results: the text from character 32 of 47 on was not read"
    )


def test_the_limit_also_caps_rejected_candidates() -> None:
    result = extract(" ".join(f"10.0.0.{n}" for n in range(1, 20)), limit=5)
    assert len(result.rejected) == 6
    assert result.rejected[-1].reason.startswith("more than 5 distinct results")


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        extract("evil.com", limit=0)


# --- Hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_input_is_read_whole(name: str) -> None:
    # How fast: bench/bench_extraction.py reads ten megabytes of these.
    result = extract(HOSTILE[name])
    for item in result.rejected:
        assert len(item.raw) <= 200


# --- Properties -----------------------------------------------------------------------------

LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
TLD = st.sampled_from(["com", "net", "org", "nl", "de", "ru", "top", "xyz", "co.uk", "info"])
DOMAIN = st.builds(
    lambda labels, tld: ".".join([*labels, tld]), st.lists(LABEL, min_size=1, max_size=3), TLD
)


def public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    # Python counts some multicast addresses as global; they are still no single host.
    mapped = isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None
    return ip.is_global and not ip.is_multicast and not mapped


PUBLIC_IPV4 = st.ip_addresses(v=4).filter(public).map(str)
PUBLIC_IPV6 = st.ip_addresses(v=6).filter(public)
DOTS = st.sampled_from(["[.]", "(.)", "{.}", "[dot]", "(dot)", " [.] ", "[DOT]"])


def not_reserved(domain: str) -> bool:
    return not domain.endswith(("example.com", "example.net", "example.org"))


@settings(max_examples=200, deadline=None)
@given(domain=DOMAIN.filter(not_reserved), dot=DOTS)
def test_refang_undoes_defanged_domains(domain: str, dot: str) -> None:
    defanged = domain.replace(".", dot)
    assert refang(defanged) == domain
    assert found(extract(f"seen at {defanged} today")) == [
        (Kind.DOMAIN, normalise(Kind.DOMAIN, domain))
    ]


@settings(max_examples=200, deadline=None)
@given(address=PUBLIC_IPV4, dot=DOTS)
def test_refang_undoes_defanged_addresses(address: str, dot: str) -> None:
    defanged = address.replace(".", dot)
    assert refang(defanged) == address
    assert extract(f"C2: {defanged}.").found == [Found(Kind.IPV4, address, defanged, 1)]


@settings(max_examples=200, deadline=None)
@given(
    domain=DOMAIN.filter(not_reserved),
    path=st.from_regex(r"(/[A-Za-z0-9_~-]{0,12}){0,3}", fullmatch=True),
)
def test_refang_undoes_defanged_urls(domain: str, path: str) -> None:
    url = f"https://{domain}{path}"
    defanged = url.replace("https", "hxxps").replace(".", "[.]").replace("://", "[://]")
    assert refang(defanged) == url
    assert found(extract(f"<{defanged}>")) == [(Kind.URL, normalise(Kind.URL, url))]


VALID = st.one_of(
    st.tuples(st.just(Kind.DOMAIN), DOMAIN),
    st.tuples(st.just(Kind.IPV4), PUBLIC_IPV4),
    st.tuples(st.just(Kind.IPV6), PUBLIC_IPV6.map(lambda address: address.exploded)),
    st.tuples(
        st.just(Kind.URL),
        st.builds(
            "{}://{}{}{}".format,
            st.sampled_from(["http", "HTTPS", "ftp"]),
            DOMAIN,
            st.sampled_from(["", ":80", ":443", ":8080"]),
            st.from_regex(r"(/[A-Za-z0-9._~-]{0,10}){0,3}(\?[a-z]=[0-9]{1,3})?", fullmatch=True),
        ),
    ),
    st.tuples(
        st.just(Kind.EMAIL),
        st.builds(
            "{}@{}".format,
            st.from_regex(r"[A-Za-z0-9]{1,10}(\.[A-Za-z0-9+]{1,5})?", fullmatch=True),
            DOMAIN,
        ),
    ),
    st.tuples(st.just(Kind.MD5), st.from_regex(r"[0-9a-fA-F]{32}", fullmatch=True)),
    st.tuples(st.just(Kind.SHA256), st.from_regex(r"[0-9a-fA-F]{64}", fullmatch=True)),
    st.tuples(
        st.just(Kind.FILENAME), st.from_regex(r"[A-Za-z0-9 _-]{1,20}\.(exe|js|pdf)", fullmatch=True)
    ),
)


@settings(max_examples=300, deadline=None)
@given(VALID)
def test_normalise_is_idempotent(pair: tuple[Kind, str]) -> None:
    kind, value = pair
    try:
        once = normalise(kind, value)
    except InvalidIndicator:
        assume(False)
        return
    assert normalise(kind, once) == once


PASTED = st.lists(
    st.sampled_from([*"ab1f.:@/[]() -_%+x\n", "hxxp", "[.]", "(dot)", "com", "exe", "ü", "::"]),
    max_size=100,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.one_of(PASTED, st.text(max_size=200)))
def test_every_found_value_is_normalised_and_comes_from_its_raw_text(text: str) -> None:
    result = extract(text)
    for item in result.found:
        assert normalise(item.kind, item.value) == item.value
        assert normalise(item.kind, item.raw) == item.value
        assert item.raw in text
        assert item.count >= 1
    assert len({(item.kind, item.value) for item in result.found}) == len(result.found)
    assert len({refused.raw for refused in result.rejected}) == len(result.rejected)
    assert all(refused.reason for refused in result.rejected)
