"""Marks free text -> feature bitmask."""

from __future__ import annotations

import pytest

from reunite.errors import InputError
from reunite.normalize.marks import KINDS, MARK_BITS, describe_marks, mark_features


def _shared(a: str, b: str) -> int:
    return (mark_features(a) & mark_features(b)).bit_count()


def test_same_mark_paraphrased_shares_the_side_part_kind_bit() -> None:
    both = mark_features("左耳后有痣") & mark_features("左耳有颗黑痣")
    assert "左头面:痣" in describe_marks(both)
    assert mark_features("左耳后有痣") == mark_features("左耳朵后面有一颗痣")


def test_different_marks_share_nothing() -> None:
    assert mark_features("右手有疤") & mark_features("左耳有痣") == 0


def test_closer_descriptions_share_more_bits() -> None:
    same = _shared("左耳后有痣", "左耳有颗黑痣")
    other_side = _shared("左耳后有痣", "右耳有痣")
    other_part = _shared("左耳后有痣", "脸上有颗黑痣")
    assert same > other_side > 0
    assert same > other_part > 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("左耳后有痣", "痣, 耳:痣, 左头面:痣"),
        ("右手背有烫伤疤痕", "疤, 手:疤, 右上肢:疤"),
        ("额头有块胎记", "胎记, 面部:胎记"),
        ("脸上有颗黑痣", "痣, 面部:痣"),
        ("左脚六指", "指/趾异常, 脚:趾异常, 左:指/趾异常"),
        ("右手六指", "指/趾异常, 手:指异常, 右:指/趾异常"),
        ("右脚多一个脚趾", "指/趾异常, 脚:趾异常, 右:指/趾异常"),
        ("左手多了一根手指", "指/趾异常, 手:指异常, 左:指/趾异常"),
        ("右手小指弯", "指/趾异常, 手:指异常, 右:指/趾异常"),
        ("左脚小脚趾畸形", "指/趾异常, 脚:趾异常, 左:指/趾异常"),
        ("兔唇", "兔唇"),
        ("豁嘴", "兔唇"),
        ("斗鸡眼", "斜视"),
        ("左腿瘸", "跛"),
        ("左耳前有个小孔", "耳前小孔"),
        ("耳朵前面有个小洞", "耳前小孔"),
        ("先天性耳前瘘管", "耳前小孔"),
        ("两只耳朵前都有耳仓", "耳前小孔"),
        ("右耳有拴马桩", "拴马桩"),
        ("耳朵边上有个小肉球", "拴马桩"),
        ("左耳朵前面长了个小耳朵", "拴马桩"),
        ("头上有两个旋", "发旋"),
        ("背上有青记", "胎记, 背腰臀:胎记"),
        ("肚子上有块红斑", "胎记, 胸腹:胎记"),
        ("身上有痦子", "痣"),
        ("左手無名指有疤", "疤, 手:疤, 左上肢:疤"),  # traditional; 无名指 is a finger, not "no"
        ("耳朵後面有顆黑痣", "痣, 耳:痣"),
    ],
)
def test_recognised_features(text: str, expected: str) -> None:
    assert describe_marks(mark_features(text)) == expected


def test_several_marks_in_one_text() -> None:
    assert describe_marks(mark_features("痣在左耳后，疤在右手")) == (
        "痣, 疤, 耳:痣, 手:疤, 左头面:痣, 右上肢:疤"
    )
    assert describe_marks(mark_features("左耳和右手都有痣")) == "痣, 耳:痣, 手:痣, 左头面:痣, 右上肢:痣"


@pytest.mark.parametrize("text", ["", "不详", "无明显特征", "无胎记", "没有疤", "两岁左右走失",
                                  "肚子上有个小洞", "手上有个肉球", "没有拴马桩"])
def test_nothing_recognised(text: str) -> None:
    assert mark_features(text) == 0


def test_masks_fit_a_signed_int64() -> None:
    assert MARK_BITS == 63
    assert len(KINDS) == 9
    every = mark_features("左右耳、双手、双脚、两腿都有痣疤胎记，六指六趾，兔唇斜视，左右腿瘸，秃，双旋，"
                          "耳前小孔，拴马桩")
    assert 0 < every < 2**63
    assert every >> 61 == 0b11  # the two top bits: the pit and the tag before the ear
    with pytest.raises(InputError, match="expected a mask"):
        describe_marks(2**63)


def test_rejects_non_text() -> None:
    with pytest.raises(InputError, match="expected a str"):
        mark_features(None)  # type: ignore[arg-type]
