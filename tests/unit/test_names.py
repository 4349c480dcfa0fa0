"""Chinese name normalization: cleaning, cells, surnames, pinyin and dialect folding."""

from __future__ import annotations

import numpy as np
import pytest

from reunite.errors import InputError
from reunite.normalize.name_cells import NameCell, parse_alias_cell, parse_former_names, parse_name_cell
from reunite.normalize.names import MAX_READINGS, clean_name, dialect_fold, name_parts, split_surname
from reunite.normalize.surnames import COMMON_SURNAMES, COMPOUND_SURNAMES, SURNAME_READINGS


# ------------------------------------------------------------------------------------ clean_name
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("王 芳", "王芳"),
        ("ＷＡＮＧ　Ｆａｎｇ", "wangfang"),  # full-width letters and space
        ("張麗華", "张丽华"),
        ("阿依古丽·买买提", "阿依古丽买买提"),
        ("艾力・托合提", "艾力托合提"),
        ("王芳2", "王芳"),
        ("李-小红。", "李小红"),
        ("Lǚ Fāng", "lüfang"),
        ("", ""),
    ],
)
def test_clean_name(raw: str, expected: str) -> None:
    assert clean_name(raw) == expected


def test_clean_name_rejects_non_text() -> None:
    with pytest.raises(InputError, match="expected a str, got float"):
        clean_name(float("nan"))  # type: ignore[arg-type]


# -------------------------------------------------------------------------------- split_surname
@pytest.mark.parametrize(
    ("name", "surname", "given"),
    [
        ("单田芳", "单", "田芳"),
        ("歐陽鍾麗華", "欧阳", "钟丽华"),
        ("司马光", "司马", "光"),
        ("诸葛亮", "诸葛", "亮"),
        ("尉迟恭", "尉迟", "恭"),
        ("上官婉儿", "上官", "婉儿"),
        ("张王丽丽", "张王", "丽丽"),  # double surname of both parents
        ("王芳", "王", "芳"),
        ("欧阳", "欧", "阳"),  # two characters are always surname + given name
        ("王小明", "王", "小明"),
        ("Wang Xiaoming", "wang", "xiaoming"),
        ("XIAO-MING WANG", "wang", "xiaoming"),
        ("wang xiao ming", "wang", "xiaoming"),
        ("Ouyang Xiaoming", "ouyang", "xiaoming"),
        ("Xiaoming Ouyang", "ouyang", "xiaoming"),
        ("Li Yuwen", "li", "yuwen"),  # 宇文 at the end is less likely than 李 in front
        ("", "", ""),
    ],
)
def test_split_surname(name: str, surname: str, given: str) -> None:
    assert split_surname(name) == (surname, given)


# ---------------------------------------------------------------------------------- name_parts
def test_shan_tian_fang_uses_the_surname_reading() -> None:
    parts = name_parts("单田芳")
    assert (parts.surname, parts.given) == ("单", "田芳")
    assert parts.surname_pinyin == "shan"
    assert parts.given_pinyin == "tian fang"
    assert parts.initials == "tf"


def test_traditional_compound_surname() -> None:
    parts = name_parts("歐陽鍾麗華")
    assert (parts.surname, parts.given, parts.surname_pinyin) == ("欧阳", "钟丽华", "ou yang")
    assert parts.given_pinyin == "zhong li hua"


@pytest.mark.parametrize(
    ("name", "reading"),
    [("曾小红", "zeng"), ("区伟", "ou"), ("仇英", "qiu"), ("解放", "xie"), ("查良镛", "zha"),
     ("朴正", "piao"), ("盖叫天", "ge"), ("乐平", "yue"), ("覃芳", "qin"), ("翟明", "zhai"),
     ("缪斌", "miao"), ("尉迟恭", "yu chi"), ("万俟卨", "mo qi"), ("长孙无忌", "zhang sun"),
     ("单于丽", "chan yu")],
)
def test_surname_readings(name: str, reading: str) -> None:
    assert name_parts(name).surname_pinyin == reading


@pytest.mark.parametrize("latin", ["Wang Xiaoming", "XIAO-MING WANG", "wang xiao ming", "WANG Xiao Ming"])
def test_romanized_names_give_the_pinyin_of_the_characters(latin: str) -> None:
    chinese, roman = name_parts("王小明"), name_parts(latin)
    assert roman.surname_pinyin == chinese.surname_pinyin == "wang"
    assert roman.given_pinyin == chinese.given_pinyin == "xiao ming"
    assert roman.given_fuzzy == chinese.given_fuzzy
    assert roman.initials == chinese.initials == "xm"


def test_passport_spelling_lyu_is_lv() -> None:
    assert name_parts("LYU Fang").surname_pinyin == name_parts("吕芳").surname_pinyin == "lv"


def test_given_name_heteronym_gives_a_second_reading() -> None:
    parts = name_parts("乐乐", alias=True)
    assert (parts.surname, parts.given) == ("", "乐乐")
    assert parts.given_pinyin == "le le"
    assert parts.given_pinyin_alt == "yue yue"
    plain = name_parts("王芳")
    assert plain.given_pinyin_alt == plain.given_pinyin == "fang"


def test_phrase_context_picks_the_reading() -> None:
    assert name_parts("李长乐").given_pinyin == "chang le"


def test_given_fuzzy_is_the_folded_reading() -> None:
    parts = name_parts("王淑华")
    assert parts.given_pinyin == "shu hua"
    assert parts.given_fuzzy == dialect_fold("su fa") == "su fa"


def test_alias_keeps_the_whole_text_as_given() -> None:
    parts = name_parts("毛毛", alias=True)
    assert (parts.surname, parts.surname_pinyin, parts.given_pinyin) == ("", "", "mao mao")


# -------------------------------------------------------------------------------- dialect_fold
@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("ci", "chi"), ("cao", "chao"), ("si", "shi"), ("san", "shan"), ("zi", "zhi"),
        ("zou", "zhou"), ("fu", "hu"), ("fei", "hui"), ("fang", "huang"), ("fa", "hua"),
        ("ga", "ka"), ("gong", "kong"), ("lan", "nan"), ("lv", "nv"), ("lou", "rou"),
        ("lan", "ran"), ("an", "ang"), ("zhan", "zhang"), ("en", "eng"), ("chen", "cheng"),
        ("in", "ing"), ("lin", "ling"), ("xian", "xiang"), ("jian", "jiang"), ("guan", "guang"),
        ("chuan", "chuang"), ("huan", "huang"),
    ],
)
def test_dialect_pairs_fold_together(left: str, right: str) -> None:
    assert dialect_fold(left) == dialect_fold(right)


def test_dialect_fold_keeps_distinct_sounds_apart() -> None:
    assert dialect_fold("hao") != dialect_fold("fao")
    assert dialect_fold("ma") != dialect_fold("ba")
    assert dialect_fold("xiao hong") == "xiao hong"
    assert dialect_fold("  Zhang   SAN ") == "zan san"


# -------------------------------------------------------------------------------- name cells
@pytest.mark.parametrize(
    "cell",
    ["无", "不详", "未知", "女孩", "男孩", "女婴", "男婴", "未取名", "没有名字", "還沒取名字", "某某",
     "小女孩", "unknown", "不記得了", "N/A", "不知道名字", "刚出生没名字", "没起名", "名字不详", "无名"],
)
def test_placeholders_give_no_name(cell: str) -> None:
    assert parse_name_cell(cell) == NameCell(names=(), aliases=(), placeholder=True)


@pytest.mark.parametrize(
    ("cell", "surname"),
    [("王某某", "王"), ("王某", "王"), ("王xx", "王"), ("王XX", "王"), ("王家女孩", "王"), ("王姓女孩", "王"),
     ("王家的男孩", "王"), ("姓王", "王"), ("欧阳某", "欧阳"),
     # a child named by its parent or family, a woman by her clan, a surname said beside "unknown"
     ("李某某之女", "李"), ("王建国的儿子", "王"), ("张家的闺女", "张"), ("王家二丫头", "王"), ("张氏", "张"),
     ("欧阳氏", "欧阳"), ("不详（姓王）", "王"), ("李娃", "李"), ("王丫", "王")],
)
def test_placeholders_keep_a_known_surname(cell: str, surname: str) -> None:
    assert parse_name_cell(cell) == NameCell(names=(surname,), aliases=(), placeholder=True)


@pytest.mark.parametrize(("cell", "names"), [("王未名", ("王未名",)), ("王芳或王芬", ("王芳", "王芬")),
                                            ("王或", ("王或",)), ("姓名", ())])
def test_words_that_look_like_placeholders_or_separators(cell: str, names: tuple[str, ...]) -> None:
    assert parse_name_cell(cell).names == names


def test_former_names_keep_their_childhood_shapes() -> None:
    # a register's 曾用名 毛毛 is a former name, not a childhood name the case side reported
    assert parse_former_names("毛毛；李小红") == ("毛毛", "李小红")


def test_empty_cell_is_not_a_placeholder() -> None:
    assert parse_name_cell("  ") == NameCell(names=(), aliases=(), placeholder=False)


@pytest.mark.parametrize(
    ("cell", "names", "aliases"),
    [
        ("王芳（送养）", ("王芳",), ()),
        ("（照片是家人）", (), ()),
        ("王芳(音)", ("王芳",), ()),
        ("王芳【已找到家人】", ("王芳",), ()),
        ("王芳（小名芳芳）", ("王芳",), ("芳芳",)),
        ("王芳 小名:毛毛", ("王芳",), ("毛毛",)),
        ("王芳，乳名叫狗蛋", ("王芳",), ("狗蛋",)),
        ("乳名狗蛋", (), ("狗蛋",)),
        ("毛毛（小名）", (), ("毛毛",)),
        ("王芳(芳芳)", ("王芳",), ("芳芳",)),
        ("王芳（王方）", ("王芳", "王方"), ()),
        ("王芳/李明", ("王芳", "李明"), ()),
        ("王芳、李明；赵四", ("王芳", "李明", "赵四"), ()),
        ("王芳又名王方", ("王芳", "王方"), ()),
        ("李四（曾用名：李三）", ("李四", "李三"), ()),
        ("張麗（小名麗麗）", ("张丽",), ("丽丽",)),
        ("张丽/莉", ("张丽", "张莉"), ()),
        ("Wang Fang", ("wangfang",), ()),
        # what a form writes before the name
        ("姓名：陈平安", ("陈平安",), ()),
        ("孩子名字叫陈平安", ("陈平安",), ()),
        ("姓名陈平安", ("陈平安",), ()),
        # childhood names written as the name: no surname is read into them
        ("小军（大名不详）", (), ("小军",)),
        ("老三", (), ("老三",)),
        ("狗蛋", (), ("狗蛋",)),
        ("毛毛", (), ("毛毛",)),
        ("阿明", (), ("阿明",)),
        ("王二毛", ("王二毛",), ()),
        ("王家乐", ("王家乐",), ()),
        # two names side by side; an unknown character inside a name
        ("黄文 黄斌", ("黄文", "黄斌"), ()),
        ("王芳 小芳", ("王芳",), ("小芳",)),
        ("欧阳 娜娜", ("欧阳娜娜",), ()),
        ("陈 小 明", ("陈小明",), ()),
        ("杨X军", ("杨军",), ()),
    ],
)
def test_name_cells(cell: str, names: tuple[str, ...], aliases: tuple[str, ...]) -> None:
    parsed = parse_name_cell(cell)
    assert (parsed.names, parsed.aliases, parsed.placeholder) == (names, aliases, False)


def test_variant_characters_give_every_reading() -> None:
    parsed = parse_name_cell("张（章）丽（莉）")
    assert parsed.names[:2] == ("张丽", "章莉")
    assert set(parsed.names) == {"张丽", "章莉", "张莉", "章丽"}


def test_variant_readings_are_capped() -> None:
    parsed = parse_name_cell("张（章）丽（莉）华（花）英（瑛）")
    assert len(parsed.names) == MAX_READINGS
    assert parsed.names[:2] == ("张丽华英", "章莉花瑛")


def test_placeholder_with_childhood_name() -> None:
    assert parse_name_cell("女孩（小名毛毛）") == NameCell(names=(), aliases=("毛毛",), placeholder=True)


def test_alias_cell_lists_several_and_drops_tags() -> None:
    assert parse_alias_cell("毛毛、狗蛋（音）") == ("毛毛", "狗蛋")
    assert parse_alias_cell("不详") == ()
    assert parse_alias_cell("小紅") == ("小红",)


def test_former_names_separators() -> None:
    assert parse_former_names("李小红;张红；王红,赵红、钱红/孙红") == (
        "李小红", "张红", "王红", "赵红", "钱红", "孙红",
    )
    assert parse_former_names("") == ()


def test_former_names_written_side_by_side_are_several_names() -> None:
    # a register that lists former names with spaces between them, as a name cell may
    assert parse_former_names("陈晶 陈菁") == ("陈晶", "陈菁")
    assert parse_former_names(" 王芳  王芳芳 ") == ("王芳", "王芳芳")
    # a space inside one name is not two names: a compound surname, or a lone surname character
    assert parse_former_names("欧阳 娜娜") == ("欧阳娜娜",)
    assert parse_former_names("张 伟") == ("张伟",)


# -------------------------------------------------------------------------------------- data
def test_surname_tables() -> None:
    assert len(COMMON_SURNAMES) >= 300
    assert len(set(COMMON_SURNAMES)) == len(COMMON_SURNAMES)
    assert COMMON_SURNAMES[:3] == ("王", "李", "张")
    assert {"欧阳", "司马", "上官", "诸葛", "尉迟", "澹台"} <= COMPOUND_SURNAMES
    assert all(clean_name(name) == name for name in COMMON_SURNAMES)
    assert all(reading.replace(" ", "").isalpha() for reading in SURNAME_READINGS.values())


def test_childhood_keys_of_whole_columns_equal_the_rule_name_by_name() -> None:
    from reunite.matching.prepare import _childhood_keys
    from reunite.normalize.name_cells import childhood_key

    given = np.array(["小红", "阿军", "芳芳", "丽红", "小", "", "小a", "小𠀀", "aa", "小小", "红红红", "晓红"],
                     dtype=object)
    key, last = _childhood_keys(given)
    assert key.tolist() == [childhood_key(g) for g in given]
    assert last.tolist() == [g[-1:] for g in given]
