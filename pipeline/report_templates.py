"""Find the report templates: a deployment's own folder (`PIPELINE_REPORT_TEMPLATES`), then `templates/report/`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, PrefixLoader

from pipeline.report_model import ReportError

DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "report"
HTML_TEMPLATE = "report.html.j2"
DOCX_TEMPLATE = "report.docx"


def template_folders(override: Path | None) -> list[Path]:
    """Return where templates are looked up: the deployment's folder (Settings.report_templates), then ours."""
    if override is not None and not override.is_dir():
        raise ReportError(f"报告模板目录 {override} 不存在（PIPELINE_REPORT_TEMPLATES）。")
    return [p for p in (override, DEFAULT_TEMPLATES) if p is not None]


def find_template(folders: list[Path], name: str) -> Path:
    """Return the first folder's copy of a template file."""
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    raise ReportError(f"找不到报告模板 {name}（查找了 {'、'.join(map(str, folders))}）。")


# The notes template, and the shipped wording of one open warning it includes for each (report_quality.OpenWarning).
NOTES_TEMPLATE = "quality_notes.html.j2"
WARNING_TEMPLATE = "open_warning.html.j2"
# The prefix naming a shipped template whatever folder comes first: `shipped/open_warning.html.j2`.
SHIPPED = "shipped"
# What a bureau's notes template copied before `unworded_warnings` (session 81) is followed by: the warnings of the
# families it has no words for, in the shipped words, where its `else` would have called each a reading in doubt.
UNWORDED_TAIL = (
    f'\n{{% for w in unworded_warnings %}}\n{{% include "{SHIPPED}/{WARNING_TEMPLATE}" %}}\n{{% endfor %}}\n'
)


class _NotesLoader(FileSystemLoader):
    """A folder's templates, its notes template followed by UNWORDED_TAIL where it does not print those itself."""

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        if template == NOTES_TEMPLATE and "unworded_warnings" not in source:
            source += UNWORDED_TAIL
        return source, filename, uptodate


def template_loader(folders: list[Path]) -> BaseLoader:
    """Return the loader of the report's templates: each folder in turn, then the shipped ones under `shipped/`."""
    return ChoiceLoader(
        [
            *(_NotesLoader(str(f), encoding="utf-8") for f in folders),
            PrefixLoader({SHIPPED: FileSystemLoader(str(DEFAULT_TEMPLATES), encoding="utf-8")}),
        ]
    )
