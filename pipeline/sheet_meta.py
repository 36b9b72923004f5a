"""Read what the lines above and below a sheet's table say: who filed it, the project, the year, the unit."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from pipeline.date_values import parse_date, short_year_named, stated_year_in_digits, year_dated, years_named
from pipeline.problems import display
from pipeline.text import (
    UNIT_LABELS,
    clean_name,
    month_named,
    months_named,
    nfkc,
    remembered_if_short,
    squash,
)
from pipeline.values import is_blank, squashed
from pipeline.written_units import MAGNITUDES

# A seal note between a label and its value, as printed forms have it: `填报单位（盖章）：`, `实施单位（公章）`,
# `填报单位【盖章】：`.
_SEAL_NOTE = r"[(【\[](?:盖章|章|公章|签章|签字|盖公章)[)】\]]"
# Other labels printed forms name the sending office by (`单位名称（盖章）：`, `填报单位名称：`, `上报单位：`): left
# unread, the office they name went untold, and a file naming another office was credited to its folder's.
# `主管单位名称`, `建设单位名称` name other offices, so a bare 单位名称 is one only where no word runs into it.
_UNIT_NAME_LABELS = r"(?:填报|填表|报送|上报)单位名称|(?<![\u4e00-\u9fff])单位名称|上报单位"
# What a form writes beside its 项目名称, each in a cell of its own (`项目名称 | … | 项目编码 | …`): not read, but
# labels, so the name ends before them instead of running on into `…改造老旧小区项目编码ZL-2022-001`. Some provinces'
# forms put the 主管部门 on the name's row too (`项目名称 | … | 主管部门 | … | 实施单位 | …`).
_BESIDE_NAME = "项目编码|项目代码|项目编号|项目类型|项目负责人|联系电话|主管部门及代码|主管部门|主管单位"
# Who filled the sheet in, written beside its 项目名称 as often as on a line of its own (`项目名称 | … | 填报人 | 张三`).
# Any other role a form has a person sign for (评审人, 复核人, 统计员), set apart from what comes before it, is a label
# too: the name ran on into `…改造老旧小区评审人张三`, a project no register lists.
_PEOPLE = r"联系人|填表人|填报人|制表人|审核人|(?<!\S)[\u4e00-\u9fff]{1,4}[人员]"
# Labels a metadata line may hold; those not read (截至, 联系人…) still end the value before them.
# A bare `单位：` is the unit only where no word runs into it: `主管单位：`, `建设单位：` name offices, not units.
_META_KEY = re.compile(
    rf"({_UNIT_NAME_LABELS}|填报单位|填表单位|报送单位|实施单位|填报日期|填表日期|项目名称|年度|"
    + "|".join(label for label in UNIT_LABELS if label != "单位")
    + r"|(?<![\u4e00-\u9fff])单位"
    r"|主管单位|主管部门|建设单位|施工单位|监理单位|设计单位|编制单位|责任单位"
    r"|截至|截止|统计时间|调查时间|调查日期"
    rf"|{_PEOPLE}|{_BESIDE_NAME}"
    # Any other day or time a form is stamped with (报送日期, 制表日期, 编制时间): never a title's year.
    r"|[\u4e00-\u9fff]{0,4}日期|[\u4e00-\u9fff]{0,4}时间)"
    rf"(?:\s*({_SEAL_NOTE}))?\s*[:：]"
)
# A label spaced out to line up with longer ones, as printed forms do (`年    度：`, `单  位：`, `填 报 单 位：`): read
# closed up. It starts the line or follows a space, so a value's last characters never join it.
_SPACED_LABEL = re.compile(
    r"(?:^|(?<=\s))((?:[\u4e00-\u9fff][ \u3000]+){1,3}[\u4e00-\u9fff])(?=[ \u3000]*[:：])"
)


def _closed_up(match: re.Match) -> str:
    return re.sub(r"[ \u3000]+", "", match.group(1))


# A line opening with a label of its own (`制表：…`) is a field the reader does not know, not the sheet's title.
_LABELLED = re.compile(r"^\s*[\u4e00-\u9fff]{2,8}\s*[:：]")
# A national form's rows under its title, labelled in a cell of their own (`项目名称 | …`, `项目资金（万元）`,
# `年度总体目标 | 预期目标 | 实际完成情况`): the title is above them, and a year in their prose (`…于2023年1月通过竣工
# 验收`) is none of the title's. A ledger's title opens with 项目资金 too (`项目资金到位及支付台账（2022年度）`, the blank
# template's own title with the year added): taken for such a row, its year was never read, nor told against the dates'.
_FORM_ROW = re.compile(
    r"^\s*(?:项目名称|主管部门|实施单位|项目资金(?!到位|支付|使用|拨付|收支|台账|明细)|年度总体目标|预期目标)"
)
# A note in brackets after a unit, or before it: `元（保留两位小数）`, `（人民币）元`.
_UNIT_NOTE_ANYWHERE = re.compile(r"\([^()]*\)")
# What a unit line writes around the unit's name: `（单位：元）`, `元（人民币）`, `人民币元`. A comma or semicolon
# within it sets apart the units of several measures (`单位：元，平方米`), as sheet_units reads them: only trimmed.
_UNIT_WRAPPING = re.compile(r"人民币|[()\[\]【】]")
_UNIT_PUNCTUATION = ",，;；、。."
# Spaces around such a separator (`单位：元、 万平方米`) keep the list whole.
_SPACED_SEPARATOR = re.compile(r"\s*([、,，;；/])\s*")
# After `年度：` any four digits are the year meant, so 1999 is reported out of range, not as no year at all.
_YEAR_ON_LINE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
# A unit stated in a sentence, `注：金额单位为元`, `（本表单位为万元）`: read as the `单位：` line it means. Only where no word
# runs into the label, as for a bare `单位：` (`主管单位为…` names an office).
_UNIT_IS = re.compile(rf"(^|[\s:：(,，;；])(?:本表)?({'|'.join(UNIT_LABELS)})为")
# A printed label whose seal note stands for its colon, the name typed after a space (`填报单位（盖章）  枣林街道办事处`, in
# one cell): read as `填报单位（盖章）：…`. Unread, the folder's office was taken whatever office the line named.
# `年份：2022` is the `年度：` line some offices write; unread, the file name's other year was taken without a word.
# Standing alone as a label only: `建成年份：1985` is a compound's, not the sheet's year.
_YEAR_LABEL = re.compile(r"(?<![\u4e00-\u9fff])年份(?=\s*[:：])")
_SEALED_LABEL = re.compile(
    rf"((?:{_UNIT_NAME_LABELS}|填报单位|填表单位|报送单位|实施单位|(?<![\u4e00-\u9fff])单位){_SEAL_NOTE})\s+(?=[^\s:：])"
)
# The lines naming who filed a sheet; the national forms name the unit whose project it is in an 实施单位 row.
_UNIT_KEYS = re.compile(rf"{_UNIT_NAME_LABELS}|填报单位|填表单位|报送单位|实施单位")


def _names_unit(key: re.Match) -> bool:
    """Say whether a label names the office that filed the sheet: a bare `单位` only with a seal note after it
    (`单位（盖章）：枣林街道办事处`), as no unit of measure is stamped."""
    return bool(_UNIT_KEYS.fullmatch(key.group(1))) or (key.group(1) == "单位" and key.group(2) is not None)


# A note after the unit's name: `（盖章）`, `（区住建局代报）`. The name is the office's; the note is not.
_UNIT_NOTE = re.compile(r"\([^()]*\)$")
# Marks a clerk leaves round a name (`填报单位：：…`, `…办事处、`), folded as squash folds them: no part of the name,
# which would otherwise be a new office's, its data counted beside the office's own.
_STRAY_MARKS = ":,;.。、"


@dataclass(slots=True)
class SheetMeta:
    """What the lines around a table say: who filed it, the project, the year, the money unit."""

    unit: str | None = None
    # Every name the unit's line writes apart by spaces or in cells beside it (`枣林街道办事处 区财政局`), notes dropped:
    # `unit` is the first, or all of them run together where one space sets them apart.
    unit_parts: tuple[str, ...] = ()
    # The label the unit was read from as written (`填报单位`, or a national form's `实施单位`): problems name it.
    unit_label: str = "填报单位"
    project: str | None = None
    year: int | None = None
    # The `年度：` line's value as written, kept even when no year can be read from it: it is never passed over.
    year_written: str | None = None
    money_unit: str | None = None
    # Every year the title names, in order: more than one leaves the year to the clerk.
    title_years: tuple[int, ...] = ()
    # The year the title names in two digits only (`22年…清单`: 2022, as written), never the sheet's year: checked.
    title_short_year: tuple[int, str] | None = None
    # The date the title writes its one year in (`截至2023年1月`), when it names it in no other way: asked about.
    title_year_dated: str | None = None
    # The title as read (`…老旧小区改造项目补充清单`): what the sheet says it is, beside its name and the file's.
    title: str | None = None
    # N of the `1-N月…` headers of a form that says which months it covers.
    months_so_far: int | None = None
    # The year those headers name with their months (`2022年1-6月执行数`, `截至2022年6月30日…`): (year, Excel row,
    # header as written), checked against the year the sheet is filed under (pipeline/form_years.py).
    months_year: tuple[int, int, str] | None = None
    # N of a `1-N月` the title names (`2022年1-6月…运行监控表`): checked against the headers' N.
    title_months: int | None = None
    # The one month the title names (`2022年6月投资完成情况`): checked against a monthly report's rows.
    title_month: int | None = None
    # The day a `填报日期：` (or `填表日期：`) line says the sheet was filled in: a month not over by then has no figures.
    filed: dt.date | None = None
    # The Excel row of that line.
    filed_row: int | None = None
    # The Excel row each of the above was read on (keys: unit, project, year, money_unit, title, title_year).
    rows: dict[str, int] = field(default_factory=dict)
    # Rows of a line read blank (`年度：` with nothing after it) that hold a formula saved without its result.
    unsaved_rows: set[int] = field(default_factory=set)

    def left_blank(self, row: int, label: str, what: str, written: str) -> tuple[str, str]:
        """Say how a `label：` line at `row` was read without its `what`, and how the clerk is to write it in
        (`written`: 四位年份, 单位全称)."""
        if row in self.unsaved_rows:
            # The clerk sees a value there, computed by Excel: "nothing written" would tell them what they cannot see.
            return (
                f"第{row}行“{label}：”后是公式，但文件中没有保存公式的计算结果（由程序生成或未重新计算），读取时为空",
                f"请在Excel或WPS中打开该文件并保存后重新报送，或直接填写{written}",
            )
        return f"第{row}行“{label}：”后没有填写{what}", f"请填写{written}"

    @property
    def title_year(self) -> int | None:
        """Return the one year the title names; None when it names none, or several."""
        return self.title_years[0] if len(self.title_years) == 1 else None


# A label alone in its cell with the value in the next (`项目名称 | 老旧小区改造`), as the national forms lay them out,
# a seal note after it or not (`实施单位（盖章） | 枣林街道办事处`).
_LABEL_CELL = re.compile(
    rf"(?:项目名称|{_UNIT_NAME_LABELS}|填报单位|填表单位|报送单位|实施单位|单位(?={_SEAL_NOTE})|年度|年份|{_BESIDE_NAME}|{_PEOPLE})"
    rf"(?:{_SEAL_NOTE})?"
)


def row_text(row: list[object]) -> str:
    """Join a row's non-empty cells, as a metadata line spread over cells reads (`项目名称 | …` as `项目名称：…`)."""
    cells = [display(c) for c in row if not is_blank(c) and not isinstance(c, bool)]
    return "  ".join(
        f"{text}：" if index + 1 < len(cells) and _LABEL_CELL.fullmatch(squashed(text)) else text
        for index, text in enumerate(cells)
    )


# Fields written in one cell are set apart by a wide gap, as row_text sets apart cells.
_FIELD_GAP = re.compile(r"\s{2,}")


def _line_year(value: str) -> int | None:
    """Return the year a `年度：` line's value names (`2022`, `二〇二二`); None when it names none (`22`) or several."""
    years = set(_YEAR_ON_LINE.findall(stated_year_in_digits(_FIELD_GAP.split(value, maxsplit=1)[0])))
    return int(years.pop()) if len(years) == 1 else None


# The lines above a table repeat from file to file (`年度：2021`, `填表人：王芳`): each is folded and its labels found
# once per process, half the time read_meta took.
@remembered_if_short(256, 1 << 12)
def _fields_of(line: str) -> tuple[str, tuple[re.Match, ...]]:
    """Return a line as read (labels spaced out closed up, seal notes set apart, 年份 as 年度) and its labels in order."""
    text = _SEALED_LABEL.sub(r"\1：", _UNIT_IS.sub(r"\1\2：", _SPACED_LABEL.sub(_closed_up, nfkc(line))))
    text = _YEAR_LABEL.sub("年度", text)
    return text, tuple(_META_KEY.finditer(text))


def read_meta(lines: list[str], meta: SheetMeta | None = None, first_row: int = 1) -> SheetMeta:
    """Read `填报单位：` `项目名称：` `年度：` `单位：` lines, and the years in a title line; lines start at `first_row`."""
    meta = meta or SheetMeta()
    # Only lines read from the top of the sheet hold its title: a note below the table (`注：本表数据截至2023年1月5日`)
    # names the day it was filled, not the year it reports.
    titled = first_row == 1
    for excel_row, line in enumerate(lines, start=first_row):
        text, keys = _fields_of(line)
        titled = titled and not _FORM_ROW.match(text)
        # A title may state a field after its name (`…2022年老旧小区改造项目清单（单位：万元）`, `（2022年度）  单位：万元`):
        # what comes before the first field is still the title.
        title = text[: keys[0].start()] if keys else ("" if _LABELLED.match(text) else text)
        if titled and meta.title is None and title.strip():
            meta.title = title.strip()
            meta.rows["title"] = excel_row
        if titled and not meta.title_years and (years := years_named(title)):
            # A year written only in a date (`2022年…清单（截至2023年1月5日）`: the day it was filled or runs to) is none
            # of the years the title reports beside one it names otherwise: the title was returned as naming two.
            named = tuple(year for year in years if year_dated(title, year) is None)
            meta.title_years = named if len(named) == 1 else years
            meta.title_year_dated = year_dated(title, years[0]) if len(years) == 1 else None
            meta.rows["title_year"] = excel_row
        elif (
            titled
            and not meta.title_years
            and meta.title_short_year is None
            and (short := short_year_named(title))
        ):
            meta.title_short_year = short
            meta.rows["title_short_year"] = excel_row
        if titled and meta.title_months is None and (months := months_named(title)) is not None:
            meta.title_months = months
            meta.rows["title_months"] = excel_row
        if titled and meta.title_month is None and (month := month_named(title)) is not None:
            meta.title_month = month
            meta.rows["title_month"] = excel_row
        if not keys:
            continue
        for key, following in zip(keys, [*keys[1:], None], strict=True):
            value = text[key.end() : following.start() if following else len(text)].strip()
            name, names_unit = key.group(1), _names_unit(key)
            if names_unit and not _unit_name(_FIELD_GAP.split(value)[0]):
                value = ""  # `填报单位：（盖章）`, the seal's place left for the name: a line left blank all the same
            if not value:
                # A line left blank is there all the same: the clerk is told to fill it in, not to add it.
                if names_unit and meta.unit is None and "unit_blank" not in meta.rows:
                    meta.rows["unit_blank"] = excel_row
                    meta.unit_label = name
                elif name == "年度" and meta.year_written is None:
                    meta.rows.setdefault("year_blank", excel_row)
                elif name == "项目名称" and meta.project is None:
                    meta.rows.setdefault("project_blank", excel_row)
                continue
            # The national forms name the unit whose project it is in an 实施单位 row, and no 填报单位 line.
            if names_unit:
                if meta.unit is not None:
                    continue  # the first line naming the office is the one read
                # A field written after it in the same cell, or in a cell beside it, is set apart by a wide gap.
                meta.unit = _unit_name(_FIELD_GAP.split(value)[0])
                meta.unit_parts = tuple(
                    part for part in map(_unit_name, _UNIT_PARTS_APART.split(value)) if part
                )
                meta.unit_label = name
                meta.rows["unit"] = excel_row
            elif name == "项目名称" and meta.project is None:
                meta.project = clean_name(value) or None
                meta.rows["project"] = excel_row
            elif name == "年度" and meta.year_written is None:
                meta.year_written = value
                meta.year = _line_year(value)
                meta.rows["year"] = excel_row
            elif name in ("填报日期", "填表日期") and meta.filed is None:
                meta.filed = _filed(_FIELD_GAP.split(value)[0])
                meta.filed_row = excel_row
            elif name in UNIT_LABELS:
                # A second line adds its units to the first's, labelled by measure or not: two lines naming two units
                # of money (`单位：万元` above `单位：元`) are refused as one naming both is, where the first was taken.
                # 元（保留两位小数）: the note is no part of the unit.
                # Words apart (`单位：元 万平方米`) list a unit per measure as `、` does; read_unit takes each its own.
                words = _magnitudes_joined(_SPACED_SEPARATOR.sub(r"\1", value).split())
                unit = _UNIT_NOTE_ANYWHERE.sub(
                    "", squash("、".join(words[:1] + [w.strip(_UNIT_PUNCTUATION) for w in words[1:]]))
                )
                unit = _UNIT_WRAPPING.sub("", unit).strip(_UNIT_PUNCTUATION) or None
                if meta.money_unit is None:
                    meta.money_unit = unit
                    meta.rows["money_unit"] = excel_row
                elif unit:
                    # `单位：元  面积单位：万平方米`: a list, as `单位：元、万平方米` is, each measure taking its own.
                    meta.money_unit = f"{meta.money_unit}、{unit}"
                    meta.rows.setdefault("money_unit_more", excel_row)
    return meta


def _magnitudes_joined(words: list[str]) -> list[str]:
    """Join a magnitude written apart from the unit after it into that one unit (`万 元` is 万元, `万 平方米` 万平方米)."""
    # Read as a list, `单位：万 元` was 元 for the amounts and 万平方米 for the areas: ten thousand times off each, unasked.
    joined: list[str] = []
    for word in words:
        if joined and joined[-1] in MAGNITUDES and not word.startswith(tuple(MAGNITUDES)):
            joined[-1] += word
        else:
            joined.append(word)
    return joined


def _filed(value: str) -> dt.date | None:
    """Return the day a `填报日期：` line writes, or None where it writes no whole date (`2022年`, `  年  月  日`)."""
    try:
        return parse_date(value.strip())
    except ValueError:
        return None


# The budget system's code before a unit's name, as its forms print the 实施单位 (`219001-枣林街道办事处`,
# `[219001]枣林街道办事处`, `219001 枣林街道办事处`): no part of the name, which would otherwise be a new office's.
_UNIT_CODE = re.compile(r"^\s*(?:[\[【［(（]\s*\d{2,}\s*[\]】］)）]|\d{2,}\s*[-－—_]+|\d{2,}\s+)\s*")


# A seal note anywhere in the line, or a bare one after the name (`…办事处盖章`), is no part of any office's name: kept,
# `七里园街道办事处盖章` was a new office, and `甲（盖章）乙（盖章）`, two offices' seals, one office named by both.
_SEAL_WORDS = re.compile(rf"{_SEAL_NOTE}|(?:盖公章|盖章|公章|签章)$")
# Where a line's names are set apart: by spaces, or by a seal note between two of them.
_UNIT_PARTS_APART = re.compile(rf"\s+|{_SEAL_NOTE}")


def _unit_name(value: str) -> str:
    """Return the office a `填报单位：` line names, without the code before it (`219001-`), its seal notes or the notes
    after it (`（盖章）`, `（代报）`)."""
    text, previous = squash(_SEAL_WORDS.sub("", nfkc(_UNIT_CODE.sub("", value)))), None
    while previous != text:
        previous, text = text, _UNIT_NOTE.sub("", text).strip(_STRAY_MARKS)
    return text
