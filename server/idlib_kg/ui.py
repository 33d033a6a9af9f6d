"""The query page at `/`: YASGUI when its npm bundle is installed, else a plain form of our own.

YASGUI comes from the npm registry (`@zazuko/yasgui`, pinned in server/ui/package-lock.json) and
is installed with `npm ci --prefix server/ui`; the bundle is never committed and never loaded from
a CDN, because users run the server offline. Without the bundle `/` serves a plain HTML form that
still posts to the endpoint and shows the results, so the page works on any machine.
Each queries/*.rq file becomes an example: a YASGUI tab, or an entry in the form's example list.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory

from idlib_kg import resources
from idlib_kg.negotiation import ALL_FORMATS

log = logging.getLogger(__name__)

bp = Blueprint("ui", __name__, template_folder="templates")

#: where `npm ci --prefix server/ui` puts YASGUI in a checkout; IDLIB_KG_YASGUI_DIR overrides it
#: (for an installed wheel, point it at any node_modules/@zazuko/yasgui/build directory).
YASGUI_ENV = "IDLIB_KG_YASGUI_DIR"
_CHECKOUT_YASGUI = (resources.PACKAGE_DIR.parent / "ui" / "node_modules" / "@zazuko" / "yasgui"
                    / "build")
YASGUI_FILES = ("yasgui.min.js", "yasgui.min.css")

#: how the plain form names each of the endpoint's formats (negotiation.ALL_FORMATS)
FORMAT_LABELS = {
    "json": "Table (SPARQL JSON results)",
    "xml": "SPARQL XML results",
    "csv": "CSV",
    "tsv": "TSV",
    "turtle": "Turtle (CONSTRUCT, DESCRIBE)",
    "ntriples": "N-Triples (CONSTRUCT, DESCRIBE)",
    "rdfxml": "RDF/XML (CONSTRUCT, DESCRIBE)",
    "jsonld": "JSON-LD (CONSTRUCT, DESCRIBE)",
}


def form_formats() -> list[tuple[str, str, str]]:
    """(format parameter, media type, label) for every format the endpoint produces."""
    return [(key, f.media_type, FORMAT_LABELS.get(key, f.media_type))
            for key, f in ALL_FORMATS.items()]


#: what the text box holds when there are no example files yet
DEFAULT_QUERY = "SELECT ?s ?p ?o WHERE {\n  ?s ?p ?o\n}\nLIMIT 10\n"


@dataclass(frozen=True)
class ExampleQuery:
    """One queries/*.rq file: the tab name is the file's stem, the text is the file as written."""

    name: str
    text: str
    question: str  # the opening `# Question:` comment, if any: a tooltip for people


def example_queries(directory: Path | None = None) -> list[ExampleQuery]:
    """Every queries/*.rq file, sorted by name; an absent or empty folder gives no examples."""
    directory = directory or resources.queries_dir()
    examples = []
    for path in sorted(directory.glob("*.rq")) if directory.is_dir() else ():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("skipping example query %s: %s", path, exc)
            continue
        question = ""
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.lower().startswith("# question:"):
                question = stripped.split(":", 1)[1].strip()
                break
        examples.append(ExampleQuery(name=path.stem, text=text, question=question))
    return examples


def yasgui_dir() -> Path | None:
    """The installed YASGUI build directory, or None when `npm ci` has not been run."""
    configured = os.environ.get(YASGUI_ENV)
    candidate = Path(configured) if configured else _CHECKOUT_YASGUI
    if all((candidate / name).is_file() for name in YASGUI_FILES):
        return candidate
    return None


def _endpoint_url() -> str:
    """The endpoint the page queries: --ui-endpoint if given, else this server's own /sparql."""
    settings = current_app.config.get("IDLIB_KG_SETTINGS")
    configured = getattr(settings, "ui_endpoint", None)
    if configured:
        return configured
    return request.url_root + "sparql"  # url_root keeps a proxy's SCRIPT_NAME prefix


@bp.get("/")
def index():
    """YASGUI if installed (unless ?form is given), else the plain form."""
    if "form" in request.args or yasgui_dir() is None:
        return form()
    examples = example_queries()
    settings = current_app.config.get("IDLIB_KG_SETTINGS")
    return render_template("ui/yasgui.html", endpoint=_endpoint_url(), examples=examples,
                           examples_json=[asdict(e) for e in examples],
                           base_iri=settings.base_iri if settings is not None else None)


@bp.get("/form")
def form():
    """The plain form: works without the npm bundle and, minus the results table, without JS.

    `?example=NAME` preselects an example (so the example list works without JS too) and
    `?query=...` fills the text box.
    """
    examples = example_queries()
    selected = request.args.get("example", "")
    chosen = next((e for e in examples if e.name == selected), examples[0] if examples else None)
    query = request.args.get("query") or (chosen.text if chosen else DEFAULT_QUERY)
    return render_template("ui/form.html", endpoint=_endpoint_url(), examples=examples,
                           examples_json=[asdict(e) for e in examples],
                           selected=chosen.name if chosen else "", query=query,
                           formats=form_formats(), yasgui=yasgui_dir() is not None)


@bp.get("/ui/static/yasgui/<path:filename>")
def yasgui_static(filename: str):
    """The YASGUI bundle from node_modules (JS, CSS and their source maps)."""
    directory = yasgui_dir()
    if directory is None:
        abort(404, description="YASGUI is not installed: run `npm ci --prefix server/ui`.")
    return send_from_directory(directory, filename, max_age=3600)
