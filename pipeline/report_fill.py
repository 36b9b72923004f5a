"""Run a template's rendering, turning what goes wrong into a ReportError naming the template and line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SecurityError

from pipeline.report_model import ReportError


def _place(exc: BaseException, name: str) -> str:
    """Name the template file and line an error was raised at, from Jinja's rewritten traceback, and the lines of
    other templates that called it: a name misspelt in report.html.j2 fails only where a macro of macros.html.j2
    prints it, and the bureau's clerk edited the former."""
    frames: list[str] = []
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.endswith(".py") and not filename.startswith("<"):
            frames.append(f"{Path(filename).name} 第{tb.tb_lineno}行")
        elif filename == "<template>":
            frames.append(f"{name} 第{tb.tb_lineno}行")
        tb = tb.tb_next
    frames = [f for i, f in enumerate(frames) if i == 0 or f != frames[i - 1]]
    if not frames:
        return f"模板 {name}"
    callers = [f for f in frames[:-1] if f.split(" ")[0] != frames[-1].split(" ")[0]]
    called = f"（由 {'、'.join(dict.fromkeys(callers))} 调用）" if callers else ""
    return f"模板 {frames[-1]}{called}"


_UNDEFINED_NAME = re.compile(r"^'(?P<name>[^']+)' is undefined$")
_NO_ATTRIBUTE = re.compile(r"^'(?P<owner>[^']+)' has no attribute '(?P<name>[^']+)'$")
_NAMES = "模板里能用的名称见 docs/report-templates.md“模板里能用的名称”"


def _undefined(exc: UndefinedError) -> str:
    """Say in Chinese which name a template used that does not exist, Jinja's own words after it."""
    said = exc.message or ""
    if found := _UNDEFINED_NAME.match(said):
        return f"没有名为“{found['name']}”的名称，是否写错了？{_NAMES}（{said}）"
    if found := _NO_ATTRIBUTE.match(said):
        return f"“{found['name']}”不是可以取用的内容，是否写错了？{_NAMES}（{said}）"
    return f"用到了不存在的名称，是否写错了？{_NAMES}（{said}）"


_REASONS = {
    ZeroDivisionError: "除数为零",
    OverflowError: "数值或范围超出允许的大小",
    TypeError: "类型不对",
    ValueError: "值不对",
    MemoryError: "内存不足",
    RecursionError: "递归过深",
}


def _reason(exc: BaseException) -> str:
    """Say in Chinese what went wrong in a template's Python code, Python's own words after it."""
    said = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    gloss = next((text for kind, text in _REASONS.items() if isinstance(exc, kind)), "")
    return f"{gloss}（{said}）" if gloss else said


_UNCLOSED = re.compile(r"The innermost block that needs to be closed is '(?P<block>\w+)'")
_UNKNOWN_TAG = re.compile(r"^Encountered unknown tag '(?P<tag>\w+)'")
_UNEXPECTED = re.compile(r"^unexpected |^expected token ")


def _syntax(said: str) -> str:
    """Say in Chinese what a template's syntax error asks the clerk to fix, Jinja's own words after it."""
    unclosed, unknown = _UNCLOSED.search(said), _UNKNOWN_TAG.match(said)
    if said.startswith("Unexpected end of template") and unclosed:
        block = unclosed["block"]
        gloss = (
            f"直到模板结尾也没有与 {{% {block} … %}} 配对的 {{% end{block} %}}（Word 模板里是 {{%p end{block} %}}），"
            f"请检查是否删掉了它；报出的是模板读到最后的行，不是缺少它的位置"
        )
    elif unknown and unknown["tag"].startswith("end"):
        opened = f"，此处应先结束 {{% {unclosed['block']} %}}" if unclosed else ""
        gloss = f"{{% {unknown['tag']} %}} 没有可配对的开头，或与其他标记的嵌套顺序不对{opened}，请检查是否多写、删掉或调换了标记"
    elif unknown:
        gloss = f"没有名为“{unknown['tag']}”的标记，是否写错了？"
    elif _UNEXPECTED.match(said):
        gloss = "{{ … }} 或 {% … %} 里的写法不完整或多了字符（括号、引号是否成对，是否混入了中文标点）"
    else:
        return said
    return f"{gloss}（{said}）"


def fill(render: Any, name: str) -> Any:
    """Run a template's rendering; what goes wrong is a ReportError naming the template and line."""
    try:
        return render()
    except ReportError:  # an unknown figure key: its message names template, line and key already
        raise
    except TemplateSyntaxError as exc:
        raise ReportError(
            f"报告模板 {exc.name or name} 第{exc.lineno}行有语法错误：{_syntax(exc.message or '')}"
        ) from exc
    except TemplateNotFound as exc:
        raise ReportError(
            f"找不到报告模板 {exc.name}：请检查 PIPELINE_REPORT_TEMPLATES 指向的文件夹及默认的 templates/report/"
        ) from exc
    except SecurityError as exc:
        raise ReportError(f"{_place(exc, name)}试图访问不允许的内容，已被沙箱拒绝：{exc}") from exc
    except UndefinedError as exc:
        raise ReportError(f"{_place(exc, name)}出错：{_undefined(exc)}") from exc
    except TemplateError as exc:
        raise ReportError(f"{_place(exc, name)}出错：{exc}") from exc
    # `{{ 1/0 }}`, `range(10**9)`: Python's own errors, raised by a line of the bureau's template.
    except Exception as exc:
        raise ReportError(f"{_place(exc, name)}出错：{_reason(exc)}") from exc
