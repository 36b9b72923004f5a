"""Read a registry YAML file as it is written: one key once, spaces not tabs, UTF-8, a mapping at the top."""

from __future__ import annotations

from pathlib import Path

import yaml

from pipeline.registry_errors import RegistryError

REGISTRY_DIR = Path(__file__).resolve().parent.parent / "registry"


# The C loader, where libyaml is present, reads the registry several times faster.
class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Load YAML safely, refusing a mapping that names one key twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        # YAML keeps the last of two equal keys without a word: an enum value listed twice lost its first aliases,
        # a column's `type` written twice its first.
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *base` may be overridden on purpose
            key = self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"键 {key!r} 出现了两次，后一个会不声不响地取代前一个，请删去或合并其中一个"
                        "（found the key twice）",
                        key_node.start_mark,
                    )
                seen.add(key)
            except TypeError:
                continue  # an unhashable key: the constructor below says so
        return super().construct_mapping(node, deep=deep)


def _tab_at(text: str, exc: yaml.YAMLError) -> str:
    """Say so when a YAML error stands on a tab, which YAML never reads as indentation."""
    mark = getattr(exc, "problem_mark", None)
    lines = text.splitlines()
    if mark is None or mark.line >= len(lines) or "\t" not in lines[mark.line][: mark.column + 1]:
        return ""
    return f"（第{mark.line + 1}行用 Tab 键缩进，YAML 只认空格缩进（indented with a tab），请改为空格）"


def _yaml_said(exc: yaml.YAMLError) -> str:
    """Say on one line where a YAML error stands (第…行第…列) and what YAML found wrong there."""
    mark, began = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    context = getattr(exc, "context", None)
    if context and began is not None and mark is not None and began.line != mark.line:
        # Found wanting lines after it began: the bracket left open stands there.
        context = f"{context}（第{began.line + 1}行第{began.column + 1}列起）"
    words = ": ".join(w for w in (context, getattr(exc, "problem", None)) if w)
    if mark is None or not words:
        return f"不是有效的YAML（not valid YAML）：{' '.join(str(exc).split())}"
    return (
        f"第{mark.line + 1}行第{mark.column + 1}列不是有效的YAML（not valid YAML）：{' '.join(words.split())}"
    )


def read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise RegistryError(path, f"{_yaml_said(exc)}{_tab_at(text, exc)}") from exc
    except UnicodeDecodeError as exc:
        # Most often saved as GBK by a Chinese editor (Notepad's ANSI): said, never a traceback.
        raise RegistryError(
            path, f"不是UTF-8编码（第{exc.start + 1}个字节起无法读取），请用UTF-8编码另存后重试"
        ) from exc
    if not isinstance(data, dict):
        raise RegistryError(
            path,
            "文件顶层应为“键: 值”的映射（expected a mapping at the top level），"
            "请每行写一个“键: 值”，如 id: fund_ledger",
        )
    return data
