"""Static tables of the generator: surnames, name characters, childhood names, marks, provinces, births.

Weights are approximate and meant to give realistic collisions, not to be cited as statistics.
"""

from __future__ import annotations

# Surnames: order of the top 100 after the Ministry of Public Security's household-register name report
# for 2019 (公安部户政管理研究中心《二〇一九年全国姓名报告》, released January 2020). Shares of the top 10
# are the report's rounded percentages; ranks 11-100 decay geometrically from 1.25% to 0.14% so the top
# 100 cover about 87% as the report says. The tail below is a truncated sample of rarer single and
# compound surnames (and surnames with special readings) with rough shares; all weights are
# renormalised when drawn.
TOP_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢"
    "姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常"
)
TOP10_SHARES = (7.1, 7.0, 6.6, 5.4, 4.6, 3.1, 2.4, 2.2, 2.0, 1.9)
TAIL_SURNAMES: tuple[tuple[str, float], ...] = (
    ("汤", 0.12), ("葛", 0.11), ("文", 0.11), ("傅", 0.11), ("殷", 0.06), ("庞", 0.08), ("樊", 0.07),
    ("兰", 0.06), ("施", 0.08), ("洪", 0.1), ("牛", 0.08), ("温", 0.09), ("季", 0.06), ("聂", 0.07),
    ("章", 0.07), ("鲁", 0.07), ("伍", 0.06), ("喻", 0.04), ("柴", 0.04), ("岳", 0.06), ("齐", 0.06),
    ("祝", 0.05), ("易", 0.07), ("甘", 0.04), ("柳", 0.04), ("包", 0.05), ("苗", 0.05), ("凌", 0.04),
    ("尚", 0.04), ("卜", 0.03), ("艾", 0.04), ("俞", 0.05), ("安", 0.05), ("庄", 0.06), ("耿", 0.05),
    ("关", 0.07), ("车", 0.03), ("邢", 0.05), ("梅", 0.04), ("童", 0.05), ("冉", 0.03), ("路", 0.04),
    ("柯", 0.04), ("管", 0.04), ("滕", 0.03), ("裴", 0.04), ("焦", 0.05), ("蓝", 0.03), ("鲍", 0.04),
    ("纪", 0.04), ("颜", 0.06), ("宁", 0.04), ("穆", 0.03), ("戚", 0.02), ("项", 0.03), ("阮", 0.03),
    ("霍", 0.04), ("涂", 0.05), ("邝", 0.02),
    # special readings: 单 shan, 区 ou, 仇 qiu, 解 xie, 查 zha, 朴 piao, 盖 ge, 乐 yue, 缪 miao, 翟 zhai
    ("单", 0.04), ("区", 0.01), ("仇", 0.02), ("解", 0.03), ("查", 0.02), ("朴", 0.02), ("盖", 0.01),
    ("乐", 0.02), ("缪", 0.03), ("翟", 0.06),
    # compound surnames
    ("欧阳", 0.07), ("司徒", 0.02), ("上官", 0.01), ("诸葛", 0.01), ("司马", 0.006), ("皇甫", 0.005),
    ("令狐", 0.004), ("夏侯", 0.003), ("东方", 0.003), ("慕容", 0.002), ("尉迟", 0.001), ("端木", 0.001),
    ("公孙", 0.001),
)

# Given-name characters in rank order (most frequent first), one list per sex and era. Early lists are
# typical of children born around 1975-1990, late lists of 1990-2005; a child's pool mixes the two by
# birth year. Two-character items are whole given names.
FEMALE_EARLY = (
    "丽芳红艳娟霞燕敏静玲英萍梅华琴兰凤平玉秀莉云洁春娜琳颖丹慧芬珍翠莹晶雪欣婷蓉倩佳美菊容月亚"
)
FEMALE_LATE = "婷欣怡雪佳慧颖琳悦晶倩丹静敏雨萱涵璐瑶琪梦思月欢楠莹洁媛蕾薇晨妍蓓玥露雯娜丽芳"
MALE_EARLY = "伟强军勇磊明平杰斌华刚辉波超涛峰健国建林东海亮文武兵宏成新龙飞鹏锋彬忠永春志祥生荣德"
MALE_LATE = "浩宇鑫鹏磊杰伟超涛俊帅凯旭阳博豪宁晨帆龙轩航昊睿毅哲然洋健斌文明林亮威勇强"
FEMALE_FIRST = "秀桂丽玉春晓小海红雪美佳思雨欣梦子婷一晶亚金"
MALE_FIRST = "建国志晓小海永文家俊子宇浩天明德立云振伟"
FEMALE_WHOLE_EARLY = (
    "秀英", "桂英", "秀兰", "玉兰", "桂兰", "秀珍", "凤英", "玉珍", "丽娟", "海燕", "丽华", "红梅", "春梅",
    "雪梅", "晓燕", "小红", "丽萍", "丹丹", "莉莉", "晶晶",
)
FEMALE_WHOLE_LATE = ("婷婷", "欣怡", "子涵", "梦瑶", "雨萱", "思雨", "佳怡", "晶晶", "丹丹", "雨欣")
MALE_WHOLE_EARLY = (
    "建军", "建华", "建国", "志强", "志明", "国庆", "国强", "海涛", "小龙", "晓东", "春生", "永强", "伟强",
    "明辉", "小军",
)
MALE_WHOLE_LATE = ("俊杰", "浩然", "子轩", "宇航", "家豪", "文博", "浩宇", "子豪", "宇轩", "明轩")
ONE_CHAR_GIVEN_SHARE = 0.3
WHOLE_GIVEN_SHARE = 0.25  # of two-character given names

# Extra characters that are plausible in names, so a homophone is a name-like character (丽 -> 莉 俐 立).
NAME_LIKE_EXTRA = (
    "俐立利莉力礼理黎丽李里历励荔芳方放仿舫坊红宏鸿虹洪弘泓军君均钧峻骏俊娟鹃涓隽燕艳雁彦妍岩言颜衍延"
    "静晶菁靖婧敬竞镜境精京景敏民珉闵旻明铭鸣茗名华桦骅铧伟维玮炜薇巍威卫蔚魏玉钰煜育毓宇雨语羽禹"
    "强蔷墙磊蕾雷霞侠峡夏涛韬滔桃陶超潮朝巢勇涌永咏泳颖英莹盈营滢婷亭庭廷霆挺平萍苹屏秀绣岫琴勤芹"
    "琳林霖麟淋玲铃灵凌岭龄梅玫枚媚美兰岚蓝澜斌彬滨宾冰兵辉晖徽慧惠会卉珍真贞桢臻振震镇峰锋枫风丰"
    "凤海涵寒晗翰航杭浩昊皓豪好佳嘉家欣馨新心鑫春淳纯杰洁捷婕倩茜谦芊雪学轩萱宣璇瑶遥尧姚怡宜仪"
)

# Childhood names (小名/乳名) used regardless of the given name.
FEMALE_ALIASES = (
    "丫丫", "妞妞", "二妞", "大妞", "小妞", "三丫", "小红", "小花", "毛毛", "囡囡", "招娣", "来娣", "盼娣",
    "花花", "圆圆", "英子", "燕子", "小芳", "玲玲", "小英", "二丫", "胖丫",
)
MALE_ALIASES = (
    "狗蛋", "铁蛋", "毛毛", "石头", "小虎", "虎子", "小宝", "宝宝", "栓柱", "柱子", "二娃", "小龙", "冬冬",
    "明明", "亮亮", "小军", "强强", "牛牛", "黑子", "三毛", "小兵", "东东", "小胖", "二狗", "阿福",
)

# Marks: body parts (with written variants) and kinds of mark (with templates; {p} is the part).
BODY_PARTS: tuple[tuple[str, ...], ...] = (
    ("左耳后", "左耳朵后面", "左耳后边"), ("右耳后", "右耳朵后面", "右耳后边"), ("左耳垂", "左耳朵垂"),
    ("额头", "脑门", "额头上"), ("后脑勺", "后脑"), ("左脸", "左脸颊", "左边脸上"),
    ("右脸", "右脸颊", "右边脸上"), ("下巴", "下巴上"), ("脖子", "颈部", "脖子上"), ("左肩", "左肩膀"),
    ("右肩", "右肩膀"), ("背部", "后背", "背上"),
    ("腰部", "腰上", "后腰"), ("胸口", "胸前"), ("左手腕", "左手腕上"), ("右手腕", "右手腕上"),
    ("左手背", "左手背上"), ("右手背", "右手背上"), ("左腿", "左大腿", "左腿上"),
    ("右腿", "右大腿", "右腿上"),
    ("左脚踝", "左脚脖子"), ("臀部", "屁股", "屁股上"), ("右眼角", "右眼角旁"), ("左眉毛", "左眉中"),
)
MARK_KINDS: tuple[tuple[str, ...], ...] = (
    ("{p}有痣", "{p}有颗痣", "{p}黑痣", "{p}有一颗黑痣", "{p}长了颗痣", "{p}有颗小黑痣"),
    ("{p}有疤", "{p}有伤疤", "{p}有一道疤痕", "{p}疤痕", "{p}有个疤"),
    ("{p}有胎记", "{p}有青色胎记", "{p}胎记", "{p}有块胎记", "{p}有一块红色胎记"),
    ("{p}有烫伤", "{p}烫伤疤", "{p}小时候烫伤留疤", "{p}有烫伤痕迹"),
)
NO_MARKS = ("无", "不详", "没有", "无明显特征")

# Name-cell placeholders for children without a name, and bracketed tags seen in postings.
PLACEHOLDERS = ("无", "不详", "未取名", "不知道", "没有名字", "{sex}孩", "{sex}婴", "（送养）", "（遗弃）")
NAME_TAGS = ("（送养）", "（被拐）", "（小名）", "（照片是家人）", "(遗弃)", "【寻亲】", "（走失）")

# Village and township names for address detail.
PLACE_STEMS = (
    "城关", "新华", "石桥", "红旗", "东风", "前进", "和平", "黄土", "白沙", "大河", "杨柳", "青山", "龙泉",
    "桃园", "高桥", "马村", "柳树", "南关", "北街", "三合", "清水", "长岭", "沙坪", "双河", "太平", "永安",
    "新庄", "古城",
)

# Population of each province at the Seventh National Population Census, 1 November 2020, in units of
# 10,000 (国家统计局《第七次全国人口普查公报（第三号）》). Keys are GB/T 2260 province codes.
PROVINCE_POPULATION_2020: dict[int, float] = {
    110000: 2189.3, 120000: 1386.6, 130000: 7461.0, 140000: 3491.6, 150000: 2404.9, 210000: 4259.1,
    220000: 2407.3, 230000: 3185.0, 310000: 2487.1, 320000: 8474.8, 330000: 6456.8, 340000: 6102.7,
    350000: 4154.0, 360000: 4518.9, 370000: 10152.7, 410000: 9936.6, 420000: 5775.3, 430000: 6644.5,
    440000: 12601.3, 450000: 5012.7, 460000: 1008.1, 500000: 3205.4, 510000: 8367.5, 520000: 3856.2,
    530000: 4720.9, 540000: 364.8, 610000: 3952.9, 620000: 2502.0, 630000: 592.4, 640000: 720.3,
    650000: 2585.2,
}

# Approximate live births in China per year, millions (China Statistical Yearbook: crude birth rate x
# mid-year population, rounded). Used as birth-year weights.
BIRTHS_BY_YEAR: dict[int, float] = {
    1975: 21.0, 1976: 18.5, 1977: 17.9, 1978: 17.5, 1979: 17.3, 1980: 17.9, 1981: 20.8, 1982: 22.6,
    1983: 20.5, 1984: 20.5, 1985: 22.0, 1986: 23.8, 1987: 25.2, 1988: 24.6, 1989: 24.1, 1990: 23.9,
    1991: 22.6, 1992: 21.3, 1993: 21.3, 1994: 21.0, 1995: 20.6, 1996: 20.7, 1997: 20.4, 1998: 19.4,
    1999: 18.3, 2000: 17.7, 2001: 17.0, 2002: 16.5, 2003: 16.0, 2004: 15.9, 2005: 16.2,
}

# Southern-dialect confusions as rewrites of a toneless syllable: (part, from, to); part is the initial
# or the final. Each is applied only where the rewritten syllable is a real character's reading.
DIALECT_RULES: tuple[tuple[str, str, str], ...] = (
    ("initial", "zh", "z"), ("initial", "z", "zh"), ("initial", "ch", "c"), ("initial", "c", "ch"),
    ("initial", "sh", "s"), ("initial", "s", "sh"), ("initial", "n", "l"), ("initial", "l", "n"),
    ("initial", "f", "h"), ("initial", "h", "f"), ("initial", "l", "r"), ("initial", "r", "l"),
    ("initial", "g", "k"), ("initial", "k", "g"),
    ("final", "ang", "an"), ("final", "an", "ang"), ("final", "eng", "en"), ("final", "en", "eng"),
    ("final", "ing", "in"), ("final", "in", "ing"), ("final", "iang", "ian"), ("final", "ian", "iang"),
    ("final", "uang", "uan"), ("final", "uan", "uang"),
)
INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z",
            "c", "s", "y", "w")
