"""Light pages: KaTeX only where math appears, hashed and compressed static files, math and links in comments.

Reproductions: every page loaded KaTeX's ~290 KiB, uncompressed, cached 60 s;
comments rendered no math and linked no URLs; arXiv "Comments:" URLs were plain text.
"""

import datetime as dt
import gzip
import re

import pytest
from django.core.management import call_command
from django.test import Client

from dailypapers.community import comments
from dailypapers.community.markup import has_math, render_comment
from tests.web_fixtures import feature

DAY = dt.date(2025, 1, 6)


def katex_loaded(html: str) -> bool:
    return "katex.min.js" in html or "katex.min.css" in html


@pytest.mark.django_db
def test_day_page_without_math_loads_no_katex(client):
    feature(DAY, 3, title="Plain words only")
    html = client.get("/papers/date/2025-01-06").content.decode()
    assert not katex_loaded(html) and "app.js" in html


@pytest.mark.django_db
def test_day_page_with_a_tex_title_loads_katex(client):
    feature(DAY, 1, title="Plain words only")
    feature(DAY, 1, title=r"Bounds for \(\ell_1\) regression")
    assert katex_loaded(client.get("/papers/date/2025-01-06").content.decode())


@pytest.mark.django_db
def test_paper_page_loads_katex_for_math_in_its_abstract_or_a_comment(client, alice):
    plain = feature(DAY, 1, title="Plain", abstract="No formulas here.")[0]
    assert not katex_loaded(client.get(f"/papers/{plain.arxiv_id}").content.decode())
    comments.add(alice, plain, "The bound is $O(n \\log n)$, see https://example.org/proof.")
    html = client.get(f"/papers/{plain.arxiv_id}").content.decode()
    assert katex_loaded(html)
    assert '<span class="math">$O(n \\log n)$</span>' in html
    assert '<a href="https://example.org/proof" rel="nofollow noopener ugc">https://example.org/proof</a>.' in html
    tex = feature(DAY, 1, title="Plain", abstract="We bound $x^2$.")[0]
    assert katex_loaded(client.get(f"/papers/{tex.arxiv_id}").content.decode())


def test_comment_math_survives_markdown():
    html = render_comment(r"Let $a_b$ and $c_d$ be *small*; also \(x_1\) and $$\sum_i x_i$$")
    assert html == (
        r'<p>Let <span class="math">$a_b$</span> and <span class="math">$c_d$</span> be <em>small</em>; '
        r'also <span class="math">\(x_1\)</span> and <span class="math">$$\sum_i x_i$$</span></p>'
    )


def test_prices_code_and_markdown_links_are_not_math_or_double_links():
    html = render_comment("costs $5 and $6; `$x$ https://x.org` and [label](https://b.org)")
    assert "math" not in html
    assert "<code>$x$ https://x.org</code>" in html
    assert html.count("<a ") == 1 and 'href="https://b.org"' in html


def test_bare_urls_are_linked_without_trailing_punctuation_and_rel_ugc():
    html = render_comment("See (https://en.wikipedia.org/wiki/Foo_(bar)), then http://x.org/a?b=1.")
    assert '<a href="https://en.wikipedia.org/wiki/Foo_(bar)" rel="nofollow noopener ugc">' in html
    assert '<a href="http://x.org/a?b=1" rel="nofollow noopener ugc">http://x.org/a?b=1</a>.' in html


def test_comment_markup_still_cannot_inject():
    html = render_comment('<span class="math" onclick="x()">$a$</span> https://x.org/"><script>alert(1)</script>')
    tags = re.findall(r"<(\w+)([^>]*)>", html)
    assert {name for name, _ in tags} == {"p", "span", "a"}
    assert all(
        attrs in ("", ' class="math"', ' href="https://x.org/" rel="nofollow noopener ugc"') for _, attrs in tags
    )
    assert "&lt;script&gt;" in html


def test_has_math():
    assert has_math("cost $x$") and has_math(r"\(a\)") and has_math("", r"\[b\]") and has_math("Video-Ma$^2$mba")
    assert not has_math("plain", "") and not has_math()
    assert not has_math("Serving LLaMA-70B on $60 GPUs") and not has_math("Earn $1 Million")


@pytest.mark.django_db
def test_arxiv_comments_urls_are_linked(client):
    paper = feature(DAY, 1, comments="12 pages; code at https://github.com/org/repo.")[0]
    html = client.get(f"/papers/{paper.arxiv_id}").content.decode()
    assert '<a href="https://github.com/org/repo" rel="nofollow">https://github.com/org/repo</a>.' in html


@pytest.mark.django_db
def test_collected_static_files_are_hashed_gzipped_and_cached_for_a_year(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", interactive=False, verbosity=0)
    feature(DAY, 1, title="Plain words only")
    html = Client().get("/papers/date/2025-01-06").content.decode()
    css = re.search(r'href="(/static/web/app\.[0-9a-f]{12}\.css)"', html)[1]
    js = re.search(r'src="(/static/web/app\.[0-9a-f]{12}\.js)"', html)[1]
    for url in (css, js):
        response = Client().get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
        assert "max-age=315360000" in response["Cache-Control"] and "immutable" in response["Cache-Control"]
        body = gzip.decompress(b"".join(response.streaming_content))
        assert len(body) > int(response["Content-Length"])


def test_static_fallback_before_collectstatic_names_the_plain_file(tmp_path):
    """Tests and runserver never collect: {% static %} then names the apps' own file."""
    from dailypapers.web.staticfiles import HashedStaticFilesStorage

    assert HashedStaticFilesStorage(location=tmp_path).url("web/app.css") == "/static/web/app.css"
