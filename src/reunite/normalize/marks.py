"""Distinguishing marks (痣, 疤, 胎记, 六指 ...) read from free text into a bitmask.

Bit layout (63 bits, so a mask fits a signed int64; :data:`MARK_BITS`):

- bits 0-8: one per kind of mark (:data:`KINDS`);
- bits 9-38: one per (part group, kind) for the three common kinds mole, scar and birthmark
  (10 part groups x 3 kinds, :data:`PART_GROUPS`);
- bits 39-56: one per (side, region, kind) for those three kinds, where a region groups the part
  groups that have a left and a right (head-face-ear-neck, arm-hand, leg-foot; 2 x 3 x 3);
- bits 57-60: finger anomaly on a hand / on a foot, finger anomaly left / right;
- bits 61-62: the two inherited anomalies before the ear that families name most: a pit (耳前小孔,
  耳前瘘管, 耳仓) and a tag (拴马桩, 副耳). They replaced the side of a limp (左腿瘸), rarely said and
  little evidence beside the limp itself.

Two descriptions of the same mark share the kind, part and side bits ("左耳后有痣" and
"左耳有颗黑痣"); different marks share few ("右手有疤" and "左耳有痣" share none), so the count of
shared bits is a similarity. Traditional characters and full-width forms are normalized first.
"""

from __future__ import annotations

import re

from reunite.errors import InputError
from reunite.normalize.names import _str_cache, to_simplified

__all__ = ["KINDS", "MARK_BITS", "PART_GROUPS", "describe_marks", "mark_features"]

KINDS = ("mole", "scar", "birthmark", "finger", "cleft_lip", "squint", "limp", "scalp", "whorl")
PART_GROUPS = ("head", "face", "ear", "neck", "arm", "hand", "chest", "back", "leg", "foot")
MARK_BITS = 63
"""Number of bits used; every mask is below ``2**MARK_BITS``."""

_KIND_LABELS = ("痣", "疤", "胎记", "指/趾异常", "兔唇", "斜视", "跛", "秃/癞", "发旋")
_PART_LABELS = ("头", "面部", "耳", "颈", "肩臂", "手", "胸腹", "背腰臀", "腿", "脚")
_REGION_LABELS = ("头面", "上肢", "下肢")
_SIDE_LABELS = ("左", "右")
_REGION_OF_PART = {0: 0, 1: 0, 2: 0, 3: 0, 4: 1, 5: 1, 8: 2, 9: 2}  # chest and back have no side
_MAIN_KINDS = 3  # mole, scar, birthmark get part and side bits
_PART_KIND_BASE = len(KINDS)
_SIDE_BASE = _PART_KIND_BASE + len(PART_GROUPS) * _MAIN_KINDS
_FINGER_HAND = _SIDE_BASE + len(_SIDE_LABELS) * len(_REGION_LABELS) * _MAIN_KINDS
_FINGER_FOOT, _FINGER_LEFT, _FINGER_RIGHT = _FINGER_HAND + 1, _FINGER_HAND + 2, _FINGER_HAND + 3
_EAR_PIT, _EAR_TAG = _FINGER_HAND + 4, _FINGER_HAND + 5
assert _EAR_TAG == MARK_BITS - 1
# kinds beyond KINDS, with a bit of their own: the pit and tag before the ear, named outright, or in
# words that mean them only beside an ear (耳朵前有个小孔; a 小孔 elsewhere is not a mark)
_PIT, _TAG, _PIT_BY_EAR, _TAG_BY_EAR = 9, 10, 11, 12
_EAR = 2  # part group

_KIND_WORDS: dict[int, tuple[str, ...]] = {
    0: ("痣", "黑痣", "红痣", "朱砂痣", "美人痣", "痦子", "痦", "黑点", "红点", "褐点", "小黑点",
        "颗点", "个点", "粒点"),
    1: ("疤", "伤疤", "疤痕", "疤瘌", "疤拉", "瘢痕", "伤痕", "烫伤", "烧伤", "烫疤", "刀疤", "刀伤",
        "摔伤", "划伤", "割伤", "咬伤", "缝针", "缝过针", "伤口"),
    2: ("胎记", "胎斑", "红记", "青记", "黑记", "斑", "红斑", "青斑", "白斑", "黑斑", "蒙古斑",
        "血管瘤"),
    4: ("兔唇", "豁嘴", "豁唇", "豁子", "唇裂", "腭裂", "兔子嘴", "三瓣嘴"),
    5: ("斜视", "斗鸡眼", "对眼", "对对眼", "斜眼", "眼斜"),
    6: ("跛", "瘸", "腿脚不便", "腿脚不方便", "小儿麻痹"),
    7: ("秃", "秃顶", "秃斑", "斑秃", "癞", "癞痢", "瘌痢", "癞子", "头癣"),
    8: ("旋", "双旋", "两个旋", "发旋", "头旋"),
    _PIT: ("耳前小孔", "耳前瘘管", "耳前瘘", "耳瘘", "瘘管", "耳仓", "粮仓", "耳前窦道", "仓眼"),
    _TAG: ("拴马桩", "栓马桩", "拴马柱", "副耳", "赘耳", "耳赘", "附耳", "小耳朵"),
    _PIT_BY_EAR: ("小孔", "小洞", "小窟窿", "小坑", "小眼儿"),
    _TAG_BY_EAR: ("肉球", "小肉球", "肉疙瘩", "小肉疙瘩", "小肉瘤", "肉赘", "小肉粒", "肉粒"),
}
_FINGER_RE = (r"[六多缺断少残枝骈](?:了?[一两1-2])?[个根只]?(?:手指头|手指|指头|脚趾头|脚趾|指|趾)儿?"
              # a named finger or toe that is bent, crooked or cannot straighten (小指弯, 脚趾畸形)
              r"|(?:大拇指|小拇指|拇指|食指|中指|无名指|小指|手指头|手指|指头|脚趾头|脚趾|脚拇指|大脚趾|小脚趾)"
              r"(?:有点|有些|有一点|天生)?(?:弯曲|弯|畸形|变形|伸不直|并连|连在一起)")
_PART_WORDS: dict[int, tuple[str, ...]] = {
    0: ("头", "头上", "头顶", "头部", "后脑", "后脑勺", "头皮", "头发", "囟门"),
    1: ("脸", "脸上", "脸部", "面部", "面", "脸颊", "面颊", "颊", "腮", "脸蛋", "额头", "额", "脑门",
        "眉", "眉毛", "眉心", "眉间", "眉头", "眉尾", "眼", "眼睛", "眼角", "眼皮", "眼睑", "眼眶",
        "鼻", "鼻子", "鼻梁", "鼻翼", "鼻尖", "嘴", "嘴角", "嘴唇", "唇", "嘴巴", "下巴", "人中",
        "太阳穴", "酒窝"),
    2: ("耳", "耳朵", "耳垂", "耳后", "耳根", "耳廓", "耳边"),
    3: ("脖子", "脖", "颈", "颈部", "后颈", "脖颈", "喉", "喉咙", "喉结"),
    4: ("肩", "肩膀", "肩头", "肩胛", "胳膊", "胳臂", "手臂", "臂", "上臂", "前臂", "肘", "胳膊肘",
        "手肘", "腋", "腋下", "手腕", "腕"),
    5: ("手", "手上", "手背", "手心", "手掌", "掌", "手指", "指", "拇指", "大拇指", "食指", "中指",
        "无名指", "小指", "小拇指", "虎口", "指头"),
    6: ("胸", "胸口", "胸前", "胸部", "乳", "乳房", "腹", "腹部", "肚", "肚子", "肚皮", "肚脐",
        "肚脐眼", "小腹", "肋", "心口"),
    7: ("背", "后背", "背部", "背上", "脊背", "腰", "腰部", "后腰", "臀", "臀部", "屁股", "尾骨"),
    8: ("腿", "大腿", "小腿", "腿上", "膝", "膝盖", "腿肚", "腿弯", "大腿根"),
    9: ("脚", "脚上", "脚背", "脚底", "脚心", "脚掌", "脚踝", "踝", "脚后跟", "脚跟", "脚趾", "趾",
        "足", "脚丫"),
}
_SIDE_WORDS = {"左": (0,), "左边": (0,), "左侧": (0,), "右": (1,), "右边": (1,), "右侧": (1,),
               "双": (0, 1), "两": (0, 1), "两边": (0, 1), "两侧": (0, 1), "两只": (0, 1)}
_NEGATIONS = ("无", "没", "没有", "未见", "未发现", "不见")
# consumed so that their characters are not read as a part or side (耳朵后面 is not 面部)
_NEUTRAL = ("左右", "后面", "前面", "上面", "下面", "里面", "外面", "表面", "方面", "对面", "面积",
            "记不清", "不记得", "一点", "有点", "点点")

_TOKENS: dict[str, tuple[str, int]] = {}
for _kind, _words in _KIND_WORDS.items():
    _TOKENS.update({word: ("kind", _kind) for word in _words})
for _part, _words in _PART_WORDS.items():
    _TOKENS.update({word: ("part", _part) for word in _words})
_TOKENS.update({word: ("side", 0) for word in _SIDE_WORDS})
_TOKENS.update({word: ("neg", 0) for word in _NEGATIONS})
_TOKENS.update({word: ("neutral", 0) for word in _NEUTRAL})
_TOKEN_RE = re.compile(
    f"(?P<finger>{_FINGER_RE})|" + "|".join(map(re.escape, sorted(_TOKENS, key=len, reverse=True)))
)
_CLAUSE_RE = re.compile(r"[,;。!?\s]+")

_Part = tuple[int, tuple[int, ...]]  # (part group, sides)


class _Group:
    """Parts named together and the kinds of mark said to be on them."""

    __slots__ = ("kinds", "parts")

    def __init__(self) -> None:
        self.parts: list[_Part] = []
        self.kinds: list[tuple[int, bool]] = []  # (kind, said to be on a foot: 六趾)


def _clause_groups(clause: str) -> list[_Group]:
    groups = [_Group()]
    sides: tuple[int, ...] = ()
    negated = False
    for match in _TOKEN_RE.finditer(clause):
        if match.group("finger"):
            kind, value = "kind", 3
        else:
            kind, value = _TOKENS[match.group()]
        if kind == "part":
            if groups[-1].kinds:
                groups.append(_Group())
            groups[-1].parts.append((value, sides))
            sides, negated = (), False
        elif kind == "kind":
            if not negated:
                groups[-1].kinds.append((value, "趾" in match.group()))
            sides = ()
        elif kind == "side":
            sides = _SIDE_WORDS[match.group()]
        elif kind == "neg":
            negated = True
    return [group for group in groups if group.parts or group.kinds]


def _merged_groups(text: str) -> list[_Group]:
    """Groups of all clauses; "痣在左耳后" and "左耳后，有颗痣" attach the kind to the part."""
    result: list[_Group] = []
    for clause in _CLAUSE_RE.split(text):
        groups = _clause_groups(clause)
        if result and groups and not result[-1].kinds and not groups[0].parts:
            result[-1].kinds = groups.pop(0).kinds
        for group in groups:
            if result and result[-1].kinds and not result[-1].parts and not group.kinds:
                result[-1].parts = group.parts
            else:
                result.append(group)
    return result


def _group_bits(group: _Group) -> int:
    mask = 0
    sides = {side for _, part_sides in group.parts for side in part_sides}
    groups_named = {part for part, _ in group.parts}
    for kind, toe in group.kinds:
        if kind in (_PIT_BY_EAR, _TAG_BY_EAR) and _EAR not in groups_named:
            continue
        if kind >= len(KINDS):
            mask |= 1 << (_EAR_PIT if kind in (_PIT, _PIT_BY_EAR) else _EAR_TAG)
            continue
        mask |= 1 << kind
        if kind < _MAIN_KINDS:
            for part, part_sides in group.parts:
                mask |= 1 << (_PART_KIND_BASE + part * _MAIN_KINDS + kind)
                region = _REGION_OF_PART.get(part)
                if region is None:
                    continue
                for side in part_sides:
                    mask |= 1 << (_SIDE_BASE + (side * len(_REGION_LABELS) + region) * _MAIN_KINDS + kind)
        elif kind == 3:
            on_foot = toe or (9 in groups_named and 5 not in groups_named)
            mask |= 1 << (_FINGER_FOOT if on_foot else _FINGER_HAND)
            mask |= sum(1 << (_FINGER_LEFT + side) for side in sides)
    return mask


@_str_cache(1 << 18)
def mark_features(text: str) -> int:
    """Bitmask of the marks recognised in a free-text description (0 when none).

    Parameters
    ----------
    text : str
        Free text such as ``左耳后有痣，右手背有烫伤疤痕``; traditional characters work too.
        Negated mentions (无胎记, 没有疤) are not counted.

    Returns
    -------
    int
        A mask below ``2**MARK_BITS`` (fits a signed int64); see the module docstring for the
        layout. Count shared bits to compare two descriptions.

    Raises
    ------
    InputError
        When ``text`` is not a str.

    Examples
    --------
    >>> a, b = mark_features("左耳后有痣"), mark_features("左耳有颗黑痣")
    >>> describe_marks(a & b)
    '痣, 耳:痣, 左头面:痣'
    >>> mark_features("右手有疤") & mark_features("左耳有痣")
    0
    """
    if not isinstance(text, str):
        raise InputError(f"mark_features: expected a str, got {type(text).__name__} {text!r}")
    mask = 0
    for group in _merged_groups(to_simplified(text)):
        mask |= _group_bits(group)
    return mask


def _bit_labels() -> tuple[str, ...]:
    labels = list(_KIND_LABELS)
    labels += [f"{part}:{kind}" for part in _PART_LABELS for kind in _KIND_LABELS[:_MAIN_KINDS]]
    labels += [
        f"{side}{region}:{kind}"
        for side in _SIDE_LABELS
        for region in _REGION_LABELS
        for kind in _KIND_LABELS[:_MAIN_KINDS]
    ]
    labels += ["手:指异常", "脚:趾异常", "左:指/趾异常", "右:指/趾异常", "耳前小孔", "拴马桩"]
    return tuple(labels)


_BIT_LABELS = _bit_labels()
assert len(_BIT_LABELS) == MARK_BITS


def describe_marks(mask: int) -> str:
    """A short readable list of the features in a mask, most general first.

    Raises
    ------
    InputError
        When ``mask`` is negative or uses bits past :data:`MARK_BITS`.

    Examples
    --------
    >>> describe_marks(mark_features("右手背有烫伤疤痕"))
    '疤, 手:疤, 右上肢:疤'
    >>> describe_marks(0)
    ''
    """
    if not 0 <= mask < 1 << MARK_BITS:
        raise InputError(f"describe_marks: expected a mask in [0, 2**{MARK_BITS}), got {mask}")
    return ", ".join(label for bit, label in enumerate(_BIT_LABELS) if mask >> bit & 1)
