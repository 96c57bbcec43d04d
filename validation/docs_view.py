"""The Data Docs page view: GX's own, with every bare value HTML-escaped.

GX escapes the parameters of its string templates, but a plain value in a
content block (a table cell of unexpected values, an item of a value list)
goes into the page as raw HTML: a region named ``<script>...</script>`` ran in
the validation page. Those plain values are data (GX builds its own markup
from templates, not from bare strings), so they are escaped here. The site's
index page is left as it is: it shows only names the gate chose (suites,
runs), never input.
"""

import html

from jinja2 import pass_context
from great_expectations.render.components import RenderedComponentContent
from great_expectations.render.view import DefaultJinjaPageView


def _is_block(value) -> bool:
    return isinstance(value, RenderedComponentContent) or (isinstance(value, dict) and "content_block_type" in value)


class EscapingPageView(DefaultJinjaPageView):
    @pass_context  # as GX's own: Jinja hands the filter its context
    def render_content_block(self, jinja_context, content_block, index=None, content_block_id=None, render_to_markdown=False):
        if isinstance(content_block, str):
            content_block = html.escape(content_block)
        elif isinstance(content_block, list):
            content_block = [item if _is_block(item) else html.escape(str(item)) for item in content_block]
        return super().render_content_block(jinja_context, content_block, index, content_block_id, render_to_markdown)
