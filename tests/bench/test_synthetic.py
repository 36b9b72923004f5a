"""The benchmark's generator: every file it writes is accepted whole, in every template and format, every time."""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

import pytest

from bench import synthetic, synthetic_style
from pipeline.enum_values import parse_enum
from pipeline.intake import ingest
from pipeline.settings import Settings

# A night of every synthetic layout (about 20 s): make test-slow, so make test stays under 15 minutes.
pytestmark = pytest.mark.slow

FILES = 18  # enough for the first offices to send every template
FORMATS = [fmt for fmt, _ in synthetic.FORMATS]


@pytest.fixture(scope="module")
def specs() -> list[synthetic.FileSpec]:
    """The first synthetic submissions, each format in turn so that every one is exercised."""
    specs = []
    for index, spec in enumerate(synthetic.plan(FILES)):
        fmt = FORMATS[index % len(FORMATS)]
        path = PurePosixPath(spec.path).with_suffix(synthetic.extension(fmt))
        specs.append(spec._replace(fmt=fmt, path=str(path)))
    return specs


@pytest.fixture(scope="module")
def outcomes(specs, registry, tmp_path_factory) -> dict:
    """Ingest the written files into an empty warehouse; return each file's outcome by inbox path."""
    with pytest.MonkeyPatch.context() as env:
        for name in ("INBOX", "ARCHIVE", "RECEIPTS", "WAREHOUSE", "REPORTS", "DATA_DOCS"):
            env.delenv(f"PIPELINE_{name}", raising=False)
        settings = Settings.from_env(tmp_path_factory.mktemp("synthetic"))
    synthetic.write_inbox(settings.inbox, specs)
    return {o.inbox_path: o for o in ingest(settings, registry, progress=False).outcomes}


def tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*.*")
    }


def test_the_sample_covers_every_template_and_format(specs, registry):
    assert {s.template for s in specs} == set(synthetic.TEMPLATES)
    assert set(synthetic.TEMPLATES) <= set(registry.templates)
    assert {s.fmt for s in specs} == set(FORMATS)


def test_every_synthetic_file_is_accepted_with_all_its_rows_and_no_warning(specs, outcomes):
    assert sorted(outcomes) == sorted(s.path for s in specs)
    for spec in specs:
        outcome = outcomes[spec.path]
        assert (outcome.status, outcome.problems) == ("accepted", []), spec.path
        assert outcome.templates == [spec.template]
        assert outcome.rows == spec.rows > 0


def test_the_same_seed_writes_the_same_bytes_and_a_larger_n_extends_a_smaller_one(specs, tmp_path):
    synthetic.write_inbox(tmp_path / "a", specs)
    synthetic.write_inbox(tmp_path / "b", specs)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert synthetic.plan(6) == synthetic.plan(FILES)[:6]
    assert synthetic.plan(6, seed=1) != synthetic.plan(6)


def test_every_enum_spelling_the_generator_writes_means_one_value_to_the_registry(registry):
    columns = {
        "compound_list": ("status", synthetic_style.STATUS_WRITTEN),
        "project_register": ("project_type", synthetic_style.TYPE_WRITTEN),
        "fund_ledger": ("fund_source", synthetic_style.FUND_SOURCES),
    }
    spelled = [
        (t, c, canonical, s) for t, (c, w) in columns.items() for canonical, ss in w.items() for s in ss
    ]
    spelled += [
        ("fund_ledger", "entry_type", k, s) for k, ss in synthetic_style.ENTRY_WRITTEN.items() for s in ss
    ]
    for template, column, canonical, spelling in spelled:
        assert parse_enum(spelling, registry.template(template).column(column)) == canonical, spelling
