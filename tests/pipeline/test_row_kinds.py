"""row_kind's memory of the texts it has read: bounded, and never another answer than the text's own."""

from pipeline import row_kinds
from pipeline.row_kinds import row_kind


def test_a_text_read_again_is_answered_as_the_first_time():
    assert [row_kind(["小计", 3.0]) for _ in range(2)] == ["subtotal", "subtotal"]
    assert [row_kind(["填表人：王芳"]) for _ in range(2)] == ["footer", "footer"]


def test_a_paragraph_is_read_but_not_kept(monkeypatch):
    monkeypatch.setattr(row_kinds, "_KINDS", {})
    paragraph = "合计（" + "含以前年度结转资金" * 10 + "）"
    assert row_kind([paragraph, 120.0]) == "total"
    assert paragraph not in row_kinds._KINDS


def test_the_memory_is_emptied_when_full(monkeypatch):
    monkeypatch.setattr(row_kinds, "_KINDS", {})
    monkeypatch.setattr(row_kinds, "_KINDS_KEPT", 2)
    kinds = [row_kind([text]) for text in ("东片区", "  ", "合计", "其中：已完工")]
    assert kinds == ["data", "blank", "total", "breakdown"]
    assert len(row_kinds._KINDS) <= 2


def test_a_sign_off_without_its_人_is_a_footer():
    # `制表：刘洋 | 审核：陈静` under a ledger was read as a payment dated 制表：刘洋, and the ledger returned for it.
    assert row_kind(["制表：刘洋", None, "审核：陈静"]) == "footer"
    labels = ("填表", "复核", "复核人", "经办人", "财务负责人")
    assert [row_kind([label + "：张三"]) for label in labels] == ["footer"] * 5
    # A compound or source whose name merely starts with those characters is still data.
    assert row_kind(["审核中心家属院", 120]) == "data"


def test_a_signers_line_as_printed_forms_write_it_is_a_footer():
    # Under a 运行监控表 (no 总分 row to end its table) each was read as one more indicator, its cells told blank.
    assert row_kind(["单位负责人（签字）：", None, "审核人【签字】:", None, "填表人："]) == "footer"
    assert (
        row_kind(["填报人", "张三", "联系电话", "0377-12345678"]) == "footer"
    )  # a label in a cell of its own
    assert row_kind([None, None, "（盖章）"]) == "footer"  # a seal's place
    assert row_kind(["单位（盖章）"]) == "footer"
    # The sending office's line, as printed forms sign off with it.
    assert row_kind(["填报单位：东关街道办事处"]) == "footer"
    assert row_kind(["填报单位（盖章）：东关街道办事处"]) == "footer"
    assert row_kind(["填报单位", "东关街道办事处"]) == "footer"
    # A name that only starts with a signer's word, or a seal word without its brackets, is still data.
    assert row_kind(["填报人张三", 120]) == "data"
    assert row_kind(["联系电话亭改造", 3]) == "data"
    assert row_kind(["盖章", 3]) == "data"
