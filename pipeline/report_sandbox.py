"""Make the Jinja2 sandbox the report templates are filled in, with the report's filters and helpers."""

# The wording, order and layout of the report live in the templates; pipeline/report_context.py gives them the
# figures by key. A template cannot read files or reach Python's internals (SandboxedEnvironment), and every
# name it uses must exist (StrictUndefined): a misspelt key or variable fails the build, never prints empty.

from __future__ import annotations

from pathlib import Path
from types import BuiltinMethodType, MethodType
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
from jinja2.compiler import CodeGenerator
from jinja2.runtime import LoopContext
from jinja2.sandbox import MAX_RANGE, SandboxedEnvironment

from pipeline.chinese_numbers import zh_number
from pipeline.report_charts import Chart
from pipeline.report_filters import numbered, present
from pipeline.report_model import Figure, Source


class _EscapedByFinalize(CodeGenerator):
    """Jinja's code generator, printing a value as the environment's finalize returns it, without escape() around it.

    Every environment here has a finalize (HtmlFigures, DocxValues) that returns Markup, escaped for its format,
    for any value; escape() around it only copied that Markup again, once per printed value (half a million a
    year). Where autoescaping is switched inside a template (volatile) or off, Jinja's own code is kept.
    """

    def _escaped(self, frame: Any, finalize: Any) -> bool:
        return finalize.src is not None and frame.eval_ctx.autoescape and not frame.eval_ctx.volatile

    def _output_child_pre(self, node: Any, frame: Any, finalize: Any) -> None:
        if self._escaped(frame, finalize):
            self.write(finalize.src)
        else:
            super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node: Any, frame: Any, finalize: Any) -> None:
        if self._escaped(frame, finalize):
            self.write(")")
        else:
            super()._output_child_post(node, frame, finalize)


def _length(value: Any) -> int:
    """Return a text's or list's length, 0 for anything else."""
    return len(value) if isinstance(value, str | list | tuple) else 0


def _times(value: Any) -> int:
    """Return an integer operand as it is, 0 for anything else."""
    return value if isinstance(value, int) else 0


class _Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox, its verdict on an attribute of the report's own objects worked out once per class.

    The verdict on such an object depends only on its class and the attribute's name (functions, methods and
    types are judged on their own), and a year's templates look up a few hundred thousand attributes.
    """

    code_generator_class = _EscapedByFinalize
    plain: frozenset[type] = frozenset()
    _verdicts: dict[tuple[type, str], bool] = {}
    # The sandbox bounds range() (MAX_RANGE items) but not `*` and `**`: `'x' * 10**9` or `10**(10**9)` would
    # hold the nightly run's memory or CPU. Intercepted, they are also no longer folded when the template is
    # compiled, where `10**(10**9)` would hang before any line could be named.
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Multiply or raise to a power, refusing a text or list repeated, or an integer, past the bounds."""
        if operator == "*" and max(_length(left) * _times(right), _length(right) * _times(left)) > MAX_RANGE:
            raise OverflowError(f"重复后的长度超过沙箱上限 {MAX_RANGE}")
        if operator == "**" and _times(left) and abs(left).bit_length() * _times(right) > MAX_RANGE * 10:
            raise OverflowError(f"{left} 的 {right} 次方超过沙箱允许的大小")
        return super().call_binop(context, operator, left, right)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        kind = type(obj)
        if kind not in self.plain:
            return super().is_safe_attribute(obj, attr, value)
        known = self._verdicts.get((kind, attr))
        if known is None:
            known = self._verdicts[(kind, attr)] = super().is_safe_attribute(obj, attr, value)
        return known

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Look an attribute up; one the sandbox allowed on this class before is returned straight away."""
        if self._verdicts.get((type(obj), attribute)):
            try:
                return getattr(obj, attribute)
            except AttributeError:
                pass
        return super().getattr(obj, attribute)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Call a function; a method of the report's own objects or of a list (neither takes a context, both
        allowed by the sandbox) is called directly."""
        kind = type(__obj)
        if (kind is MethodType and type(__obj.__self__) in __self.plain) or (
            kind is BuiltinMethodType and type(__obj.__self__) is list  # `rows.append(…)` building a table
        ):
            kwargs.pop("_loop_vars", None)  # what Jinja passes for a context function, as Context.call drops
            kwargs.pop("_block_vars", None)
            return __obj(*args, **kwargs)
        return super().call(__context, __obj, *args, **kwargs)


def _plain_classes() -> frozenset[type]:
    from pipeline import report_quality, report_view

    return frozenset(
        {Figure, Source, Chart, LoopContext, report_view.ProjectView, report_view.Paragraph, report_view.ScalePart,
         report_view.Shortfall, report_quality.Doubt}
    )  # fmt: skip


def environment(folders: list[Path], finalize: Any, autoescape: bool) -> SandboxedEnvironment:
    """Return the sandbox templates are filled in, with the report's filters and helpers; `finalize` must return
    every value as Markup escaped for the format (see _EscapedByFinalize)."""
    if not _Sandbox.plain:
        _Sandbox.plain = _plain_classes()
    env = _Sandbox(
        loader=ChoiceLoader([FileSystemLoader(str(f), encoding="utf-8") for f in folders]),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=finalize,
        extensions=["jinja2.ext.do"],
    )
    env.filters["numbered"] = numbered
    env.filters["zh_number"] = zh_number
    env.globals["present"] = present
    env.tests["figure"] = lambda value: isinstance(value, Figure)
    return env
