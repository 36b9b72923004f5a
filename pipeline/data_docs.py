"""Build GX Data Docs that work offline and list every validation run kept, pruned by age.

GX renders each page with `<link>`/`<script>` tags pointing at CDNs, which offline finance bureaus cannot
reach: the index (drawn by bootstrap-table in the browser) then shows nothing and the pages are unstyled.
Here every such tag is pointed at a copy under `static/vendor/`, taken from the XStatic packages (Bootstrap,
jQuery, Font Awesome, the datepicker) and from the bootstrap-table release kept in `pipeline/vendor/`.

GX's context is ephemeral: a run's results are gone when the process ends. So each run leaves a summary of
its results in `runs/<run time>.json` (what the index shows of them: suite, success, statistics, metadata);
the next build loads the summaries of the runs younger than the setting into the store beside its own
results, renders pages for its own results only, and GX's index lists them all. Pages of runs older than
that are removed by GX's index builder, as their results are no longer in the store.

Nothing is half-written: each file is written whole under `.partial/`, flushed to disk and renamed into place,
a page already pointing at the local copies; pages of pruned runs go once the index no longer links them. A
build killed at any moment leaves every page whole, and the next one finishes the job.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

SITE = "pipeline"
RUN_NAME = "validate"
HISTORY = "runs"  # under the Data Docs folder: one summary file per validation run
VENDOR = "static/vendor"
PRIVATE = ".partial"  # under the Data Docs folder: each file of a build, written whole before it is renamed
_PACKAGED = Path(__file__).resolve().parent / "vendor"


def _assets() -> dict[str, Path]:
    """Map each file served under `static/vendor/` to where it is installed."""
    from xstatic.pkg import bootstrap, bootstrap_datepicker, font_awesome, jquery

    fa = Path(font_awesome.BASE_DIR)
    table = _PACKAGED / "bootstrap-table-1.19.1"
    files = {
        "bootstrap/bootstrap.min.css": Path(bootstrap.BASE_DIR) / "css" / "bootstrap.min.css",
        "bootstrap/bootstrap.bundle.min.js": Path(bootstrap.BASE_DIR) / "js" / "bootstrap.bundle.min.js",
        "jquery/jquery.min.js": Path(jquery.BASE_DIR) / "jquery.min.js",
        "datepicker/bootstrap-datepicker.js": Path(bootstrap_datepicker.BASE_DIR) / "bootstrap-datepicker.js",
        "datepicker/datepicker3.css": Path(bootstrap_datepicker.BASE_DIR) / "datepicker3.css",
        "bootstrap-table/bootstrap-table.min.js": table / "bootstrap-table.min.js",
        "bootstrap-table/bootstrap-table.min.css": table / "bootstrap-table.min.css",
        "bootstrap-table/filter-control.min.js": table
        / "extensions/filter-control/bootstrap-table-filter-control.min.js",
        "bootstrap-table/filter-control.min.css": table
        / "extensions/filter-control/bootstrap-table-filter-control.min.css",
        "font-awesome/css/all.min.css": fa / "css" / "all.min.css",
    }
    # all.min.css loads its fonts from ../webfonts/.
    for font in sorted((fa / "webfonts").iterdir()):
        files[f"font-awesome/webfonts/{font.name}"] = font
    return files


# What each CDN address GX writes becomes: a file under static/vendor/, or nothing. Popper comes inside
# Bootstrap's bundle; the dark theme and Vega (drawn only for profiling results, which this project never
# makes) are left out.
_CDN: list[tuple[str, str | None]] = [
    ("/bootstrap-table.min.css", "bootstrap-table/bootstrap-table.min.css"),
    ("/bootstrap-table.min.js", "bootstrap-table/bootstrap-table.min.js"),
    ("/bootstrap-table-filter-control.min.js", "bootstrap-table/filter-control.min.js"),
    ("/bootstrap-table-filter-control.css", "bootstrap-table/filter-control.min.css"),
    ("/bootstrap-table-filter-control.min.css", "bootstrap-table/filter-control.min.css"),
    ("/bootstrap.min.css", "bootstrap/bootstrap.min.css"),
    ("/bootstrap.min.js", "bootstrap/bootstrap.bundle.min.js"),
    ("/popper.min.js", None),
    ("/jquery-3.7.1.min.js", "jquery/jquery.min.js"),
    ("/bootstrap-datepicker.min.js", "datepicker/bootstrap-datepicker.js"),
    ("/bootstrap-datepicker.min.css", "datepicker/datepicker3.css"),
    ("/all.min.css", "font-awesome/css/all.min.css"),
    ("/bootstrap-prefers-dark.css", None),
    ("/vega@5", None),
    ("/vega-lite@5", None),
    ("/vega-embed@6", None),
]
_TAG = re.compile(
    r"""<(?P<tag>script|link|img)\b(?P<before>[^>]*?)\b(?P<attr>src|href)="(?P<url>https?://[^"]+)"(?P<after>[^>]*)>"""
    r"""(?P<close>\s*</script>)?""",
    re.IGNORECASE,
)
# The navbar logo comes from GX's web assets bucket, with a time in its query; the same logo ships locally.
_SRI = re.compile(r'\s(?:integrity|crossorigin)="[^"]*"')
_LOGO = re.compile(r'src="https://great-expectations-web-assets\.[^"]*"')
# GX's dark-mode styles swap that logo for a dark one from the same bucket, as a CSS background: the dark theme is
# left out (`_CDN`), so the page stays light in dark mode too and the local logo, of the same proportions, serves.
_CSS_LOGO = re.compile(r"""url\((['"]?)https://great-expectations-web-assets\.[^'")]*\1\)""")
# Whatever else a style would fetch from the web: none is known, and one GX adds fails the build, as a tag does.
_CSS_REMOTE = re.compile(r"""url\(\s*['"]?(?P<url>(?:https?:)?//[^'")\s]+)""", re.IGNORECASE)
# GX's footer asks the reader to subscribe to its newsletter: a link out to marketing, nothing about the report,
# in an English the offices' readers were never meant to act on. A plain link to GX's site in the index stays.
_NEWSLETTER = re.compile(r"<footer>\s*<p>[^<]*\bnewsletter\b.*?</footer>\s*", re.IGNORECASE | re.DOTALL)
# GX's stylesheet under static/styles/ (its pages inline the same rules) reaches the logo from its own folder.
_STYLES = "static/styles/"


# GX counts one folder too few above a validation page for its favicon and logo: every way to `static/`
# is written afresh from the page's own depth.
_STATIC = re.compile(r'\b(?P<attr>src|href)="(?:\./|(?:\.\./)+)static/')


class OfflineError(RuntimeError):
    """GX wrote a CDN address this module does not know how to serve offline."""


def _local(url: str) -> str | None:
    """Return the vendored file serving a CDN address, or None where the tag is dropped."""
    path = url.split("?", 1)[0]
    for ending, local in _CDN:
        if path.endswith(ending):
            return local
    raise OfflineError(f"Data Docs load {url!r}, which has no offline copy (pipeline/data_docs.py)")


def offline_css(css: str, up_to_static: str) -> str:
    """Point GX's styles at the local logo (`up_to_static`: their way to `static/`); raise `OfflineError` for any
    other address on the web they would load."""
    css = _CSS_LOGO.sub(f"url('{up_to_static}images/logo-long.png')", css)
    remote = _CSS_REMOTE.search(css)
    if remote is not None:
        raise OfflineError(
            f"Data Docs styles load {remote['url']!r}, which has no offline copy (pipeline/data_docs.py)"
        )
    return css


def offline(html: str, up: str) -> str:
    """Point every CDN `<link>`/`<script>` and GX's logo of a page at local copies (`up`: the page's way to the
    root), and drop GX's newsletter footer."""

    def tag(match: re.Match) -> str:
        local = _local(match["url"])
        if local is None:
            return ""
        # The copy is served from this folder: subresource-integrity hashes of the CDN files no longer apply.
        before, after = (_SRI.sub("", match[part]) for part in ("before", "after"))
        return f'<{match["tag"]}{before}{match["attr"]}="{up}{VENDOR}/{local}"{after}>{match["close"] or ""}'

    html = _TAG.sub(tag, _LOGO.sub(f'src="{up}static/images/logo-long.png"', html))
    html = offline_css(_NEWSLETTER.sub("", html), f"{up}static/")
    return _STATIC.sub(rf'\g<attr>="{up}static/', html)


class _Publisher:
    """Put each file of a build in place whole, in one rename; remove pruned pages when the build is done."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.private = directory / PRIVATE
        shutil.rmtree(self.private, ignore_errors=True)  # what a build killed midway left: never in place
        self.private.mkdir(parents=True)
        self.written = 0
        self.removed: list[Path] = []
        self.failed: list[Exception] = []

    def put(self, path: Path, content: str | bytes) -> None:
        """Write a file whole and rename it into place; a page is first pointed at the local copies."""
        try:
            self._put(path, content)
        except Exception as exc:
            self.failed.append(exc)  # GX's site builder logs what a page's writing raises, and goes on
            raise

    def _put(self, path: Path, content: str | bytes) -> None:
        relative = path.relative_to(self.directory)
        if isinstance(content, str):
            if path.suffix == ".html" and relative.parts[0] != "static":
                # Each line ending as a page read back as text and written again always had it: "\n".
                content = content.replace("\r\n", "\n").replace("\r", "\n")
                content = offline(content, "../" * (len(relative.parts) - 1))
            content = content.encode("utf-8")
        elif path.suffix == ".css" and relative.as_posix().startswith(_STYLES):  # GX copies it over as bytes
            content = offline_css(content.decode("utf-8"), "../").encode("utf-8")
        if path.is_file() and path.stat().st_size == len(content) and path.read_bytes() == content:
            return  # GX writes its static files and every suite's page each build, nearly all unchanged
        self.written += 1
        partial = self.private / f"{self.written}.partial"  # never named as a page: no `*.html` here
        # Created as GX's `open(path, "wb")` created the page: readable by whom the umask lets read it.
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())  # whole on disk before its name is: a power cut leaves no empty page
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, path)

    def remove_later(self, path: Path) -> None:
        self.removed.append(path)

    def finish(self) -> None:
        """Raise what a file's writing raised; else remove the pruned runs' pages, the index in place linking none."""
        if self.failed:
            raise self.failed[0]
        for path in self.removed:
            path.unlink(missing_ok=True)
        shutil.rmtree(self.private)


def _vendor(directory: Path, publisher: _Publisher) -> None:
    """Copy the vendored CSS, JS and fonts under `static/vendor/`, skipping copies already in place."""
    for name, source in _assets().items():
        target = directory / VENDOR / name
        if not target.is_file() or target.stat().st_size != source.stat().st_size:
            publisher.put(target, source.read_bytes())


def _summary(name: str, result: Any) -> dict:
    """Keep what the index shows of a result: its suite, success, statistics and metadata."""
    # Serialised without its expectations' results, which can hold every failing row of a chunk: the four
    # fields come out as the whole result's would, for a fraction of the work.
    document = type(result)(
        success=result.success,
        results=[],
        suite_name=result.suite_name,
        statistics=result.statistics,
        meta=result.meta,
    ).to_json_dict()
    return {"name": name} | {k: document[k] for k in ("suite_name", "success", "statistics", "meta")}


def _run_file(directory: Path, run: Any) -> Path:
    return directory / HISTORY / f"{run.to_tuple()[1]}.json"


def _earlier_runs(directory: Path, run: Any, cutoff: dt.datetime) -> list[tuple[Any, list[dict]]]:
    """Return the kept runs before this one; delete the summaries of runs older than the cutoff."""
    from great_expectations.core.run_identifier import RunIdentifier

    runs = []
    for path in sorted((directory / HISTORY).glob("*.json")):
        try:
            run_time = dt.datetime.strptime(path.stem, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=dt.UTC)
        except ValueError:  # not a run's summary: nothing of ours
            continue
        if run_time < cutoff:
            path.unlink()
        elif path != _run_file(directory, run):
            try:
                summaries = json.loads(path.read_bytes())
            except ValueError:  # damaged: that run drops out of the index rather than failing this one
                logging.getLogger(__name__).warning("Data Docs: %s is not a run summary, skipped", path)
                continue
            runs.append((RunIdentifier(run_name=RUN_NAME, run_time=run_time), summaries))
    return runs


def _template_cache() -> Any:
    """Return Jinja's file cache of compiled templates, in its own private temporary folder (None where there is
    none to be had)."""
    from jinja2 import FileSystemBytecodeCache

    class Cache(FileSystemBytecodeCache):
        def dump_bytecode(self, bucket: Any) -> None:
            # A cache that cannot be written only leaves the next build slower.
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

    try:
        return Cache()
    except (OSError, RuntimeError):  # no temporary folder, or one another user could write into
        return None


def _site_builder(context: Any, directory: Path, publisher: _Publisher) -> Any:
    """Return GX's site builder for `directory`, writing through `publisher`, its templates compiled once."""
    from great_expectations.data_context.util import instantiate_class_from_config

    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "PublishedFilesystemStoreBackend",
            "module_name": "pipeline.data_docs_store",
            "base_directory": str(directory),
        },
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "renderer": {
                "module_name": "pipeline.data_docs_store",
                "class_name": "ShanghaiSiteIndexPageRenderer",
            },
        },
    }
    # As `context.build_data_docs` makes it for a configured site.
    builder = instantiate_class_from_config(
        config=site,
        runtime_environment={
            "data_context": context,
            "root_directory": context.root_directory,
            "site_name": SITE,
        },
        config_defaults={"module_name": "great_expectations.render.renderer.site_builder"},
    )
    for store in builder.target_store.store_backends.values():
        store.publisher = publisher
    # GX's Jinja environments compile every template again in each process (a third of the build's time).
    cache = _template_cache()
    views = [section.view_class for section in builder.site_section_builders.values()]
    for view in [*views, builder.site_index_builder.view_class]:
        view.env.bytecode_cache = cache
    return builder


def build(
    context: Any,
    results: list[tuple[str, Any]],
    validated_at: dt.datetime,
    directory: Path,
    keep_days: int,
) -> Path:
    """Render these results and the suites as pages, and an index of every run of the last `keep_days`."""
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    directory.mkdir(parents=True, exist_ok=True)
    publisher = _Publisher(directory)
    run = RunIdentifier(run_name=RUN_NAME, run_time=validated_at)
    summaries = json.dumps([_summary(n, r) for n, r in results], ensure_ascii=False)
    publisher.put(_run_file(directory, run), summaries.encode("utf-8"))

    store = context.validation_results_store
    # The store is this process's memory, read only by the build below: GX's JSON round trip through it (each
    # result turned into a dict, dumped by marshmallow with a deep copy, loaded again for its page) was half of
    # the build's time, and renders the same pages as the results themselves.
    store.serialize = store.deserialize = _as_is
    for key in store.list_keys():
        store.remove_key(key)
    built = []
    for name, result in results:
        key = ValidationResultIdentifier(ExpectationSuiteIdentifier(name), run, name)
        store.set(key, result)
        built.append(key)
    for earlier, summaries in _earlier_runs(directory, run, validated_at - dt.timedelta(days=keep_days)):
        for summary in summaries:
            key = ValidationResultIdentifier(
                ExpectationSuiteIdentifier(summary["name"]), earlier, summary["name"]
            )
            kept = {k: v for k, v in summary.items() if k != "name"}
            store.set(key, ExpectationSuiteValidationResult(results=[], **kept))

    _vendor(directory, publisher)  # in place before any page loading it
    suites = list(context.expectations_store.list_keys())
    _site_builder(context, directory, publisher).build(resource_identifiers=_Keys([*built, *suites]))
    publisher.finish()
    _remove_empty_folders(directory / "validations")
    return directory / "index.html"


def _as_is(value: Any) -> Any:
    return value


class _Keys(list):
    """The resources to render, asked `key in keys` for every result the store holds: by a set, not a scan.

    GX's site builder tests each stored key against the list, each test building both keys' tuples: with 60 nights'
    results kept (some 2,100) that was a fifth of the build's time (docs/performance.md, session 48). A key is found
    here exactly when GX's own `DataContextKey.__eq__` would find it: the same class and the same tuple.
    """

    def __init__(self, keys: list[Any]):
        super().__init__(keys)
        self._found = {(type(key), key.to_tuple()) for key in keys}

    def __contains__(self, key: object) -> bool:
        to_tuple = getattr(key, "to_tuple", None)
        return to_tuple is not None and (type(key), to_tuple()) in self._found


def _remove_empty_folders(root: Path) -> None:
    """Remove the folders left empty by pruned runs' pages."""
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(folder.iterdir()):
            folder.rmdir()
