from decimal import Decimal

import pytest

from pipeline.chinese_numbers import (
    CAPITAL_DIGIT_NAMES,
    DIGIT_NAMES,
    DIGITS,
    figure_in_digits,
    in_digits,
    leading_number,
    percent_in_digits,
    tenths_in_digits,
)


@pytest.mark.parametrize(
    ("text", "number", "rest"),
    [
        ("十六个", Decimal(16), "个"),
        ("三千一百四十八户", Decimal(3148), "户"),
        ("一千零五", Decimal(1005), ""),
        ("一万二千", Decimal(12000), ""),
        ("二十四点四万平方米", Decimal("24.4"), "万平方米"),
        ("二〇二四年", Decimal(2024), "年"),
        ("两百", Decimal(200), ""),
        ("零", Decimal(0), ""),
    ],
)
def test_leading_numerals_are_read_as_their_number(text, number, rest):
    assert leading_number(text) == (number, rest)


# Capitals are read in a year only (贰零贰贰): a figure so written (贰拾万元) is left to the clerk, as before.
@pytest.mark.parametrize(
    "text", ["百分之九十", "千瓦", "十百", "二百三百", "两两", "满意", "贰拾", "贰零贰肆年"]
)
def test_malformed_or_absent_numerals_are_no_number(text):
    assert leading_number(text) is None


def test_each_capital_numeral_is_the_digit_its_lower_case_one_is():
    assert [DIGITS[c] for c in CAPITAL_DIGIT_NAMES] == [DIGITS[c] for c in DIGIT_NAMES] == list(range(10))
    assert DIGITS["〇"] == DIGITS["○"] == 0 and DIGITS["两"] == 2


@pytest.mark.parametrize(
    ("text", "written"),
    [("九成", "90%"), ("九成五", "95%"), ("百分之九十", "90%"), ("十六个", "16个"), ("十分满意", None)],
)
def test_a_figure_in_numerals_is_written_in_digits_only_before_a_known_unit(text, written):
    assert in_digits(text, lambda tail: tail in ("", "个", "%")) == written


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("8成", "80%"),
        ("8.5成", "85%"),
        ("8成5", "85%"),
        ("9成以上", "90%以上"),
        ("8.5成5", None),
        ("8成55", None),
        ("10成", None),
        ("8成新", None),
        ("80%", None),
    ],
)
def test_tenths_in_digits_are_written_as_a_percentage_as_in_numerals(text, written):
    assert tenths_in_digits(text, lambda tail: tail in ("", "以上")) == written


# `百分之百` was no number (百 alone is none), scored 0 against ≥90% where 百分之九十 read as 90 %; so was `百分百`.
@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("百分之百", "100%"),
        ("百分之百以上", "100%以上"),
        ("百分之百满意", None),
        ("百分百", "100%"),
        ("百分百以上", "100%以上"),
        ("百分百满意", None),
        ("百分之一百", "100%"),
        ("百分之九十五", "95%"),
    ],
)
def test_all_of_it_in_words_is_100_percent(text, written):
    assert in_digits(text, lambda tail: tail in ("", "以上")) == written


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("九成", "90%"),
        ("8成", "80%"),
        ("8.5成以上", "85%以上"),
        ("十六个", "16个"),
        ("16个", None),
        ("一般", None),
    ],
)
def test_a_figure_is_read_in_numerals_or_in_tenths_written_in_digits(text, written):
    assert figure_in_digits(text, lambda tail: tail in ("", "个", "以上")) == written


# A 执行率 written in words: a percentage alone, never a bare figure (`九十` beside a bare 90's rules) nor a bound.
@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("百分之九十", "90%"),
        ("百分之九十五点五", "95.5%"),
        ("百分之百", "100%"),
        ("九成", "90%"),
        ("九成五", "95%"),
        ("9成", "90%"),
        ("8.5成", "85%"),
        ("九十", None),
        ("一", None),
        ("九成以上", None),
        ("百分之九十左右", None),
        ("十分满意", None),
        ("90%", None),
    ],
)
def test_a_percentage_alone_in_words_is_written_in_digits(text, written):
    assert percent_in_digits(text) == written
