"""The Data Docs pages load nothing from the network (GX's pages load Bootstrap,
jQuery, Font Awesome and Vega from CDNs and render bare on a closed network),
and still carry the checks, styled by the project's own stylesheet."""

import re

from peakwatch import cli
from validation.docs_offline import OFFLINE_CSS

CDN_HOSTS = ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "unpkg.com", "bootstrapcdn.com", "code.jquery.com", "amazonaws.com")
# Anything a page would fetch: stylesheets, scripts, images, frames, CSS url()s.
FETCHED = re.compile(r"""(?:<(?:link|script|img|iframe)\b[^>]*\b(?:href|src)=|url\()\s*["']?((?:https?:)?//[^"')\s>]+)""", re.I)


def test_validation_pages_fetch_nothing_from_the_network(tmp_path, capsys):
    docs = tmp_path / "docs"
    assert cli.main(["validate", "--docs-dir", str(docs), "--artifacts-dir", str(tmp_path / "artifacts")]) == cli.EXIT_OK
    pages = sorted(docs.rglob("*.html"))
    assert len(pages) >= 5  # the index, a page per suite, a page per validation
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert FETCHED.findall(text) == [], page
        assert [host for host in CDN_HOSTS if host in text] == [], page
        assert "peakwatch-offline.css" in text and "<script" not in text, page
    assert (docs / OFFLINE_CSS).is_file()
    for css in docs.rglob("*.css"):
        assert FETCHED.findall(css.read_text(encoding="utf-8")) == [], css
    # The index's tables (GX fills them by script) link every other page.
    index = (docs / "index.html").read_text(encoding="utf-8")
    linked = set(re.findall(r'href="((?:expectations|validations)/[^"]+\.html)"', index))
    assert linked == {str(p.relative_to(docs)) for p in pages if p.name != "index.html"}
