"""Warn of a file name that holds bytes that are not text, or control characters, naming what to rename it to."""

from __future__ import annotations

from pathlib import PurePosixPath

from pipeline.file_names import not_text, text_only
from pipeline.problems import Problem, Severity


def name_warning(name: str) -> Problem | None:
    """Return the warning for a decoded file name holding what is not text (`not_text`), or None."""
    found = not_text(name)
    if not found:
        return None
    # The bytes are shown as they are (`\xb6\xab`): a guess at what they meant (东? 叮?) would be a name the clerk
    # never wrote. What is text in the name reads as written, so the clerk finds the file by it.
    suffix = (
        PurePosixPath(name).suffix
        if text_only(PurePosixPath(name).suffix) == PurePosixPath(name).suffix
        else ""
    )
    stem = text_only(name[: len(name) - len(suffix)]).strip()
    instead = f"，如“{stem}{suffix}”（把无法识别处改写为原本的文字）" if stem else ""
    fix = f"请将文件改名为只含汉字、字母、数字和常用标点的名称{instead}，以后报送请用这样的名称"
    escaped = [part for part in found if part.startswith("\\x")]
    controls = [part for part in found if not part.startswith("\\x")]
    said = []
    if escaped:
        said.append(
            f"不是文字的字节{'、'.join(escaped)}（多半是在编码不同的电脑之间复制或解压时损坏，在文件夹中显示为乱码或问号）"
        )
    if controls:
        said.append(f"看不见的{'、'.join(controls)}")
    return Problem(
        Severity.WARNING,
        "name_not_text",
        f"文件名“{name}”含有{'和'.join(said)}；本次按文件内容读取，文件名中其余文字照原样显示。{fix}。",
        column_header="文件名",
        value=name,
        fix=fix,
    )
