"""Find the report templates: a deployment's own folder (`PIPELINE_REPORT_TEMPLATES`), then `templates/report/`."""

from __future__ import annotations

from pathlib import Path

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
