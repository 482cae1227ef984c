"""The URL allow-list shared by the importer and the templates."""

import pytest

from dailypapers.ingest.urls import UnsafeURL, check_url, safe_url, url_problem


@pytest.mark.parametrize(
    "value",
    [
        "https://github.com/huggingface/transformers",
        "http://example.org/project",
        "HTTPS://Example.org",
    ],
)
def test_http_links_pass(value):
    assert safe_url(value) == value
    assert check_url(f"  {value} ") == value


@pytest.mark.parametrize(
    "value, reason",
    [
        ("javascript:alert(document.cookie)", "scheme javascript:"),
        ("JaVaScRiPt:alert(1)", "scheme javascript:"),
        ("data:text/html,<script>alert(1)</script>", "scheme data:"),
        ("vbscript:msgbox", "scheme vbscript:"),
        ("java\tscript:alert(1)", "control characters"),
        ("java\nscript:alert(1)", "control characters"),
        ("\x01javascript:alert(1)", "control characters"),
        ("//evil.example/x", "no scheme"),
        ("https:\\\\evil.example", "no host"),
        ("https://", "no host"),
        ("ftp://files.example/x", "scheme ftp:"),
        ("http://[::1", "not a URL"),
    ],
)
def test_other_links_refused(value, reason):
    assert safe_url(value) is None
    assert reason in url_problem(value)
    with pytest.raises(UnsafeURL, match=reason.replace("\\", "\\\\")):
        check_url(value)


def test_missing_and_long_values():
    assert check_url(None) is None and check_url("  ") is None
    assert safe_url(None) is None and safe_url(42) is None
    long = "https://example.org/" + "a" * 600
    assert safe_url(long) == long  # rendering has no length limit
    with pytest.raises(UnsafeURL, match="longer than 512"):
        check_url(long)
