"""Data Docs that render on a closed network: GX's pages load Bootstrap,
jQuery, Font Awesome and Vega from CDNs (and its logo from S3), and render
bare without them. After GX writes the site, every page loses its remote
stylesheets, scripts and images (the inline scripts only drive those
libraries) and gets the project's own small stylesheet instead
(``static/styles/peakwatch-offline.css``): the same content, laid out plainly,
every section shown (no collapsed parts to click open). The index's tables,
which GX fills from script data (bootstrap-table), are written out as HTML."""

import ast
import html
import os
import re
from pathlib import Path

OFFLINE_CSS = "static/styles/peakwatch-offline.css"
_REMOTE = r"""(?:https?:)?//[^"']+"""
_REMOTE_LINK = re.compile(rf"""<link\b[^>]*\bhref=["']{_REMOTE}["'][^>]*>""", re.I)
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.I | re.S)
_REMOTE_IMG = re.compile(rf"""<img\b[^>]*\bsrc=["']{_REMOTE}["'][^>]*>""", re.I)
_REMOTE_URL = re.compile(r"""url\(\s*["']?(?:https?:)?//[^"')]+["']?\s*\)""", re.I)  # a CSS background (GX's logo)
# GX's newsletter sign-up form posts to greatexpectations.io.
_FORM = re.compile(r"<form\b.*?</form>", re.I | re.S)

STYLE = """\
body { font-family: system-ui, "Noto Sans CJK SC", sans-serif; margin: 0; color: #212529; line-height: 1.45; }
a { color: #0b5cad; }
.container-fluid, .container { padding: 1rem 2rem; }
.row { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; }
[class*="col-"] { flex: 1 1 100%; min-width: 0; }
@media (min-width: 768px) { .col-md-2, .col-lg-2 { flex: 0 0 16%; } .col-md-10, .col-lg-10 { flex: 1 1 78%; } .col-6 { flex: 1 1 45%; } }
.navbar { display: flex; align-items: center; gap: 1rem; padding: 0.5rem 1rem; border-bottom: 1px solid #dee2e6; background: #f8f9fa; }
.navbar-brand::before { content: "peakwatch validation"; font-weight: 600; }
.nav { list-style: none; padding: 0; margin: 0; }
.breadcrumb { list-style: none; display: flex; gap: 0.5rem; padding: 0; margin: 0; }
.breadcrumb-item + .breadcrumb-item::before { content: "/ "; color: #6c757d; }
.card { border: 1px solid #dee2e6; border-radius: 4px; margin-bottom: 1rem; }
.card-header { background: #f8f9fa; border-bottom: 1px solid #dee2e6; padding: 0.5rem; }
.card-body { padding: 0.75rem; }
table, .table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
th, td { border: 1px solid #dee2e6; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f1f3f5; }
.table-responsive { overflow-x: auto; }
.badge { display: inline-block; padding: 0.1rem 0.4rem; border-radius: 3px; background: #6c757d; color: #fff; font-size: 85%; }
.alert { padding: 0.5rem 0.75rem; border-radius: 4px; background: #e2e3e5; margin: 0.5rem 0; }
.text-success { color: #1e7e34; } .text-danger { color: #c82333; } .text-warning { color: #a66a00; }
.fa-check-circle::before { content: "\\2714"; } .fa-times::before, .fa-times-circle::before { content: "\\2716"; }
.fa-exclamation-triangle::before { content: "\\26A0"; }
.collapse, .d-none { display: block !important; }
.sticky, .sticky-top { position: static; }
footer, button { display: none; }  /* GX's newsletter footer; buttons that only drive the removed scripts */
"""


_EMPTY_TABLE = re.compile(r"""<table\s+id="([^"]+)"[^>]*>\s*</table>""")


def _static_table(table_id: str, page: str) -> str | None:
    """The rows a bootstrap-table script would put in ``table_id``, as HTML (None: no such script)."""
    script = re.search(rf"""\$\(['"]#{re.escape(table_id)}['"]\)\.bootstrapTable\((.*?)</script>""", page, re.S)
    columns = script and re.search(r"^\s*columns: (\[.*\]),?$", script.group(1), re.M)
    data = script and re.search(r"^\s*data: (\[.*\]),?$", script.group(1), re.M)
    if not (columns and data):
        return None
    columns, rows = ast.literal_eval(columns.group(1)), ast.literal_eval(data.group(1))

    def cell(row: dict, field: str) -> str:
        value = str(row.get(field, ""))
        if value.strip().startswith("<"):  # markup GX rendered from its templates
            return value
        text = html.escape(value)
        link = row.get("_table_row_link_path")
        return f'<a href="{html.escape(link)}">{text}</a>' if link else text

    head = "".join(f"<th>{html.escape(c.get('title', c['field']))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell(row, c['field'])}</td>" for c in columns) + "</tr>" for row in rows)
    return f'<table id="{table_id}" class="table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _fill_tables(page: str) -> str:
    return _EMPTY_TABLE.sub(lambda m: _static_table(m.group(1), page) or m.group(0), page)


def make_offline(site_dir: Path) -> None:
    """Rewrite every page under ``site_dir`` to load nothing from the network."""
    site_dir = Path(site_dir)
    css = site_dir / OFFLINE_CSS
    css.parent.mkdir(parents=True, exist_ok=True)
    css.write_text(STYLE, encoding="utf-8")
    for sheet in site_dir.rglob("*.css"):
        sheet.write_text(_REMOTE_URL.sub("none", sheet.read_text(encoding="utf-8")), encoding="utf-8")
    for page in site_dir.rglob("*.html"):
        text = _fill_tables(page.read_text(encoding="utf-8"))
        for pattern in (_REMOTE_LINK, _SCRIPT, _REMOTE_IMG, _FORM):
            text = pattern.sub("", text)
        text = _REMOTE_URL.sub("none", text)
        href = Path(os.path.relpath(css, page.parent)).as_posix()
        text = text.replace("</head>", f'<link rel="stylesheet" href="{href}">\n</head>', 1)
        page.write_text(text, encoding="utf-8")
