"""Make the Jinja2 sandbox the report templates are filled in, with the report's filters and helpers."""

# The wording, order and layout of the report live in the templates; pipeline/report_context.py gives them the
# figures by key. A template cannot read files or reach Python's internals (SandboxedEnvironment), and every
# name it uses must exist (StrictUndefined): a misspelt key or variable fails the build, never prints empty.

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from types import BuiltinMethodType, MethodType
from typing import Any

import jinja2
from jinja2 import FileSystemBytecodeCache, StrictUndefined
from jinja2.bccache import Bucket
from jinja2.compiler import CodeGenerator
from jinja2.runtime import LoopContext
from jinja2.sandbox import MAX_RANGE, SandboxedEnvironment
from jinja2.utils import _PassArg

from pipeline.chinese_numbers import zh_number
from pipeline.report_charts import Chart
from pipeline.report_filters import numbered, present
from pipeline.report_model import Figure, Source
from pipeline.report_quality import Rule
from pipeline.report_templates import template_loader


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

    def getitem(self, obj: Any, argument: Any) -> Any:
        """Look an item up; a rule code a table of words lacks gives its shipped words (`report_quality.Rule`)."""
        # A bureau's notes copied before 3d34173 index their own table of a family's rules (`{…}[rule]`): a rule
        # added since stopped the year's report; it is worded as the shipped notes word it.
        if type(argument) is Rule and type(obj) is dict and argument not in obj:
            return argument.words
        return super().getitem(obj, argument)

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
        allowed by the sandbox) is called directly, and a table of words looked up with `.get` gives a rule code
        it lacks its shipped words (`report_quality.Rule`), as `getitem` does."""
        kind = type(__obj)
        # A bureau's notes copied from 3d34173 to 7070270 look their own table up with `.get(rule, name)`: a rule
        # added since printed its receipt name, not the words the shipped notes give it.
        if (
            kind is BuiltinMethodType
            and args
            and type(args[0]) is Rule
            and type(__obj.__self__) is dict
            and __obj.__name__ == "get"
            and args[0] not in __obj.__self__
        ):
            return args[0].words
        if (kind is MethodType and type(__obj.__self__) in __self.plain) or (
            kind is BuiltinMethodType and type(__obj.__self__) is list  # `rows.append(…)` building a table
        ):
            kwargs.pop("_loop_vars", None)  # what Jinja passes for a context function, as Context.call drops
            kwargs.pop("_block_vars", None)
            return __obj(*args, **kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:  # noqa: A002
        """Make a template from text, its compiled code kept in the bytecode cache as a file's is (docxtpl
        fills the Word body, about 28,000 characters, through this)."""
        cache = self.bytecode_cache
        if cache is None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        bucket = cache.get_bucket(self, None, None, source)
        if bucket.code is None:
            bucket.code = self.compile(source)
            cache.set_bucket(bucket)
        return (template_class or self.template_class).from_code(
            self, bucket.code, self.make_globals(globals), None
        )


def _passes(function: Any) -> str:
    """Return what Jinja passes a filter, test or finalize first (context, environment…): compiled into the code."""
    return str(_PassArg.from_obj(function))


def _compiling(env: SandboxedEnvironment) -> str:
    """Return everything of `env` that Jinja's compiled code of a template depends on, besides its source and name."""
    return repr(
        (
            jinja2.__version__,
            _GENERATOR,
            type(env).__qualname__,
            env.code_generator_class.__qualname__,
            env.autoescape,
            env.finalize is not None and _passes(env.finalize),
            env.block_start_string, env.block_end_string, env.variable_start_string, env.variable_end_string,
            env.comment_start_string, env.comment_end_string, env.line_statement_prefix, env.line_comment_prefix,
            env.trim_blocks, env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline,
            env.optimized, env.is_async, env.sandboxed,
            sorted(env.intercepted_binops), sorted(env.intercepted_unops),
            sorted(env.extensions),
            sorted((name, _passes(f)) for name, f in env.filters.items()),
            sorted((name, _passes(f)) for name, f in env.tests.items()),
        )
    )  # fmt: skip


# This module's text: the code generator above is part of every compiled template.
_GENERATOR = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


class _Compiled(FileSystemBytecodeCache):
    """Jinja's file cache of compiled templates, each kept under its name, file and the compiling environment.

    Every process compiled the report's templates again: about 0.2 s for the page and 0.2 s for the Word body.
    Jinja keys a template by its name and file alone, so two environments compiling one file differently (the page
    and the Word file both print quality_notes.html.j2) would share one entry: the key also holds `_compiling`.
    """

    def get_bucket(self, environment: Any, name: str | None, filename: str | None, source: str) -> Bucket:
        checksum = self.get_source_checksum(source)
        # A template made from text has no name: its key holds its text's checksum instead.
        named = (name, filename) if name is not None or filename is not None else (None, checksum)
        key = hashlib.sha256(repr((_compiling(environment), *named)).encode()).hexdigest()
        bucket = Bucket(environment, key, checksum)
        self.load_bytecode(bucket)
        return bucket

    def dump_bytecode(self, bucket: Bucket) -> None:
        # A cache that cannot be written only leaves the next report slower.
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


_CACHE: list[FileSystemBytecodeCache | None] = []


def _compiled() -> FileSystemBytecodeCache | None:
    """Return the report's cache of compiled templates, in a private temporary folder (None where there is none
    to be had: no temporary folder, or one another user could write into)."""
    if not _CACHE:
        try:
            _CACHE.append(_Compiled(pattern="__report_%s.cache"))
        except (OSError, RuntimeError):
            _CACHE.append(None)
    return _CACHE[0]


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
        loader=template_loader(folders),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=finalize,
        extensions=["jinja2.ext.do"],
        bytecode_cache=_compiled(),
    )
    env.filters["numbered"] = numbered
    env.filters["zh_number"] = zh_number
    env.globals["present"] = present
    env.tests["figure"] = lambda value: isinstance(value, Figure)
    return env
