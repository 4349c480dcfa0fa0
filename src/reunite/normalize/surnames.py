"""Name data: compound and common surnames, surname readings, and the words of name cells.

pypinyin has no surname mode (``lazy_pinyin("单")`` is ``dan``, the surname reads ``shan``), and no
package on the project's registries ships a surname frequency table, so the data lives here.

Sources
-------
- ``COMMON_SURNAMES``: the first 100 follow (approximately) the order of the national
  ranking published yearly by the Ministry of Public Security's household-registration research
  centre (公安部户政管理研究中心,《全国姓名报告》, 2019/2020 editions); the rest, about 240
  more, are further common surnames of the Chinese Academy of Sciences frequency study
  (袁义达 等,《中国姓氏·群体遗传和人口分布》, 2007), in approximate order. The order is only
  used as a coarse rank to break ties (which end of a Latin name is the surname), so an inexact
  position late in the list does not change results.
- ``COMPOUND_SURNAMES``: the compound surnames of 《百家姓》 that still have bearers.
- ``SURNAME_READINGS``: readings of characters whose surname reading differs from pypinyin's
  first (everyday) reading, from 《现代汉语词典》 (7th ed.) and 《百家姓》 usage notes.
- ``ALIAS_MARKERS``, ``NAME_MARKERS``, ``BRACKET_TAGS``, ``NAME_PLACEHOLDERS``: words that
  introduce a childhood or further name, mark a bracket as a remark, or stand for "no name",
  collected from public family-seeking postings.
"""

from __future__ import annotations

__all__ = [
    "ALIAS_MARKERS",
    "BRACKET_TAGS",
    "COMMON_SURNAMES",
    "COMPOUND_SURNAMES",
    "NAME_MARKERS",
    "NAME_PLACEHOLDERS",
    "SURNAME_RANK",
    "SURNAME_READINGS",
]

_COMMON_SURNAME_TEXT = (
    # 1-100, in the order of the national ranking
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
    "郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余"
    "于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖"
    "石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷"
    "龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常"
    # 101 onwards, approximate order
    "汤易牛洪温葛乔文施兰赖柯庄樊殷齐倪欧"
    "左靳安焦盛童詹管祝裴申涂鲁聂包俞宁纪代蓝"
    "柳褚游甘邢卜华岳舒路尚凌成柴晏滕苗谷霍房"
    "解骆鲍巩饶翟仇郁查覃区单缪朴盖乐伍巫冉穆"
    "屈艾阮梅杭芦米邬蒙丰臧邝车连粟应宗戚简蒲"
    "敖原卫项沙喻邸隋汝栾丛荣花景储水吉符池阳"
    "商祁闵时佟娄宫麦司鞠刁阚邰卓宿全冷单植雍"
    "桂苑官郎柏于辛姬邓迟苟楚宁鄢巴茅费容凤阳"
    "谈逯訾党师和农习尤臧尉鲜边衡匡门燕练伏芮"
    "秘毕寇揭晋危闫冀明国井荆鄂帅廉席步况钭滑"
    "杭靖蔺肇胥惠印强禹浦隆谌聂仲东霍利丘卿"
    "韶畅褚邴封瞿邱虞都邵贝谯权寿亓仝羊铁承纵"
    "员召隗种仉冼佘顿漆来巨佟乜扶缑蓬晁竺"
)


def _ordered_unique(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for char in text:
        seen.setdefault(char, None)
    return tuple(seen)


COMMON_SURNAMES: tuple[str, ...] = _ordered_unique(_COMMON_SURNAME_TEXT)
"""Common single-character surnames, most frequent first (simplified characters)."""

SURNAME_RANK: dict[str, int] = {name: rank for rank, name in enumerate(COMMON_SURNAMES, start=1)}
"""1-based frequency rank (approximate past the first 100) of each common surname."""

COMPOUND_SURNAMES: frozenset[str] = frozenset(
    {
        "欧阳", "司马", "上官", "诸葛", "尉迟", "东方", "皇甫", "慕容", "令狐", "公孙",
        "夏侯", "长孙", "宇文", "司徒", "独孤", "端木", "南宫", "西门", "轩辕", "呼延",
        "澹台", "万俟", "单于", "闻人", "赫连", "公冶", "宗政", "濮阳", "淳于", "太叔",
        "申屠", "钟离", "仲孙", "鲜于", "闾丘", "东郭", "公羊", "百里", "羊舌",
        "微生", "梁丘", "左丘", "东门", "公良", "漆雕", "乐正", "壤驷", "拓跋", "司空",
        "司寇", "亓官", "巫马", "公西", "颛孙", "子车", "谷梁", "段干", "第五", "公门",
        "完颜", "纳兰", "爱新觉罗", "叶赫那拉",
    }
)
"""Surnames of more than one character (simplified)."""

SURNAME_READINGS: dict[str, str] = {
    # single characters whose surname reading is not pypinyin's everyday one
    "单": "shan", "区": "ou", "仇": "qiu", "曾": "zeng", "解": "xie", "查": "zha",
    "朴": "piao", "盖": "ge", "乐": "yue", "覃": "qin", "翟": "zhai", "缪": "miao",
    "纪": "ji", "种": "chong", "秘": "bi", "召": "shao", "员": "yun", "隗": "wei",
    "尉": "wei", "繁": "po", "句": "gou", "冼": "xian", "黑": "he", "粘": "nian",
    "折": "she", "佴": "nai", "能": "nai", "宿": "su", "祭": "zhai", "薄": "bo",
    "都": "du", "重": "chong", "藏": "zang", "莘": "shen", "眭": "sui", "缑": "gou",
    "蕃": "pi", "牟": "mou", "洗": "xian", "沈": "shen", "柏": "bai", "燕": "yan",
    "华": "hua", "任": "ren", "过": "guo", "朝": "chao", "阚": "kan", "乜": "nie",
    "仉": "zhang", "亓": "qi", "逄": "pang", "谌": "chen", "臧": "zang", "尧": "yao",
    "褚": "chu", "贲": "ben", "费": "fei", "长": "chang", "车": "che", "应": "ying",
    "相": "xiang", "曲": "qu", "石": "shi", "叶": "ye", "行": "xing", "卜": "bu",
    "恽": "yun", "澹": "tan", "万": "wan", "那": "na", "阿": "a", "和": "he",
    # compound surnames with a special reading of one syllable
    "尉迟": "yu chi", "万俟": "mo qi", "长孙": "zhang sun", "单于": "chan yu",
    "澹台": "tan tai", "令狐": "ling hu", "乐正": "yue zheng", "亓官": "qi guan",
    "仲长": "zhong chang",
}
"""Surname -> toneless reading, syllables space-joined."""

# ------------------------------------------------------------------ name-cell vocabulary
# Words met in the name cells of family-seeking postings (see DESIGN.md, "What real records look like").

ALIAS_MARKERS: tuple[str, ...] = ("小名", "乳名", "奶名", "昵称", "爱称", "外号", "绰号")
NAME_MARKERS: tuple[str, ...] = (
    "又名", "曾用名", "曾名", "原名", "别名", "又叫", "也叫", "现名", "学名", "原姓名",
)
BRACKET_TAGS: tuple[str, ...] = (
    "送养", "送人", "遗弃", "抛弃", "丢弃", "抱养", "收养", "领养", "过继", "被拐", "拐卖", "走失",
    "失散", "丢失", "照片", "图片", "相片", "家人", "本人", "父亲", "母亲", "爸爸", "妈妈", "哥哥",
    "姐姐", "弟弟", "妹妹", "音", "可能", "大概", "好像", "确定", "不详", "待定", "化名", "已故",
    "去世", "暂定", "随", "姓", "岁", "出生", "胎", "寻", "家属", "亲属", "孩子", "本名", "真名",
    "有误", "错", "字", "男", "女", "名",
)
NAME_PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "无", "空", "略", "未", "没有", "暂无", "不详", "未知", "不知", "不知道", "不清楚", "不记得",
        "不记得了", "忘记", "忘记了", "忘了", "待定", "待查", "不明", "无名", "无名氏", "无名字", "无姓名",
        "没名字", "没有名字", "没取名", "没取名字", "未取名", "未取名字", "未起名", "未起名字", "没起名",
        "没起名字", "还没取名", "还没取名字", "还没起名", "还没起名字", "未命名", "名字不详", "姓名不详",
        "不知姓名", "不知名字", "未知姓名", "婴儿", "宝宝", "小孩", "孩子", "女儿", "儿子", "弃婴",
        "双胞胎", "龙凤胎", "unknown", "none", "null", "nan", "na", "undefined", "nil",
    }
)
