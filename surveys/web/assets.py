"""plotly.js from the pip ``plotly`` package, served by the app itself (never a CDN).

Two files come out of the one bundle:

* ``plotly.min.js`` as shipped (``plotly/package_data/plotly.min.js``);
* ``plotly.css``: the stylesheet plotly.js normally injects into a ``<style>``
  element at load time. Our Content-Security-Policy (``style-src 'self'``)
  refuses such inline styles, so the same rules are extracted from the bundle
  and served as a real stylesheet. A page links it with
  ``id="plotly.js-style-global" class="no-inline-styles"``, which tells
  plotly.js (since 2.35) not to try the injection at all;
* ``plotly-maps.css``: the MapLibre stylesheet the bundle injects on load
  unless an element with its id exists; a page links it under that id
  (``maps_style_id()``), so nothing is injected.

Both are read once per process and served with a version in the URL
(``/static/vendor/plotly-<version>*``, outside ``/research/`` so they cache like
other static files), so the browser may cache them for a long time.
``install_assets`` adds those routes and the ``plotly_*_url`` template helpers.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import plotly
import plotly.offline
from flask import Flask, Response, abort, url_for

ASSET_MAX_AGE = 365 * 24 * 3600  # the URL carries the plotly.js version

# The bundle's CSS rule table: {"X,X div":'direction:ltr;...', ...} where X stands for
# ".js-plotly-plot .plotly" and Y for ".plotly-notifier" (see plotly.js src/css/_base.scss).
_RULES_START = '{"X,X div":'
_PAIR = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*:\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*([,}])""")


class PlotlyBundleMissing(RuntimeError):
    """The installed plotly package has no bundled plotly.min.js."""


def bundle_path() -> Path:
    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise PlotlyBundleMissing(f"plotly.min.js not found at {path}; reinstall the plotly package")
    return path


@lru_cache(maxsize=1)
def plotly_js_version() -> str:
    return plotly.offline.get_plotlyjs_version()


@lru_cache(maxsize=1)
def plotly_js() -> bytes:
    return bundle_path().read_bytes()


_MAPS_STYLE = re.compile(
    r"""if\(!document\.getElementById\("([0-9a-f]{16,128})"\)\)\{var (\w+)=document\.createElement\("style"\);"""
    r"""\2\.id="\1",\2\.textContent='((?:[^'\\]|\\.)*)',document\.head\.appendChild\(\2\)"""
)


@lru_cache(maxsize=1)
def _maps_style() -> tuple[str, str]:
    match = _MAPS_STYLE.search(plotly_js().decode("utf-8", errors="replace"))
    return (match.group(1), match.group(3).replace("\\'", "'")) if match else ("", "")


def maps_style_id() -> str:
    """The element id that stops plotly.js from injecting its MapLibre ``<style>`` ("" if none)."""
    return _maps_style()[0]


def maps_css() -> str:
    return _maps_style()[1]


def _unquote(token: str) -> str:
    return token[1:-1].replace("\\'", "'").replace('\\"', '"')


@lru_cache(maxsize=1)
def plotly_css() -> str:
    """The bundle's injected CSS rules as a stylesheet (empty string if the table is not found)."""
    source = plotly_js().decode("utf-8", errors="replace")
    start = source.find(_RULES_START)
    if start < 0:
        return ""
    rules: list[str] = []
    position = start + 1
    while True:
        match = _PAIR.match(source, position)
        if match is None:
            break
        selector = _unquote(match.group(1))
        selector = re.sub(r"^,", " ,", selector).replace("X", ".js-plotly-plot .plotly").replace(
            "Y", ".plotly-notifier"
        )
        rules.append(f"{selector} {{{_unquote(match.group(2))}}}")
        if match.group(3) == "}":
            break
        position = match.end()
        while position < len(source) and source[position] in " \n":
            position += 1
    header = f"/* plotly.js {plotly_js_version()} base styles, extracted from the bundled plotly.min.js */\n"
    return header + "\n".join(rules) + "\n" if rules else ""


def _asset(body: bytes | str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={ASSET_MAX_AGE}, immutable"
    return response


def _versioned(version: str, body: Callable[[], bytes | str], mimetype: str) -> Response:
    if version != plotly_js_version():
        abort(404)
    return _asset(body(), mimetype)


def plotly_script(version: str) -> Response:
    return _versioned(version, plotly_js, "text/javascript")


def plotly_stylesheet(version: str) -> Response:
    return _versioned(version, plotly_css, "text/css")


def plotly_maps_stylesheet(version: str) -> Response:
    return _versioned(version, maps_css, "text/css")


def plotly_urls() -> dict:
    version = plotly_js_version()
    return {"plotly_js_url": lambda: url_for("plotly_script", version=version),
            "plotly_css_url": lambda: url_for("plotly_stylesheet", version=version),
            "plotly_maps_css_url": lambda: url_for("plotly_maps_stylesheet", version=version),
            "plotly_maps_style_id": maps_style_id}


def install_assets(app: Flask) -> None:
    """Serve the plotly assets under /static/vendor/ and give templates their URLs."""
    app.add_url_rule("/static/vendor/plotly-<version>.min.js", "plotly_script", plotly_script)
    app.add_url_rule("/static/vendor/plotly-<version>.css", "plotly_stylesheet", plotly_stylesheet)
    app.add_url_rule("/static/vendor/plotly-<version>-maps.css", "plotly_maps_stylesheet", plotly_maps_stylesheet)
    app.context_processor(plotly_urls)
