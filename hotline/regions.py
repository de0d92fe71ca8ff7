"""Province-level regions (GB/T 2260 names) and finding one in a citizen's words.

Rules that differ by region are answered for the citizen's province, so the gateway
needs to recognise "我在广州" as 广东省. Cities listed are the provincial capitals and
the largest cities by caller volume; a province's own short name always works.
"""

from __future__ import annotations

PROVINCES = (
    "北京市", "天津市", "河北省", "山西省", "内蒙古自治区", "辽宁省", "吉林省", "黑龙江省",
    "上海市", "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省",
    "湖南省", "广东省", "广西壮族自治区", "海南省", "重庆市", "四川省", "贵州省", "云南省",
    "西藏自治区", "陕西省", "甘肃省", "青海省", "宁夏回族自治区", "新疆维吾尔自治区",
    "新疆生产建设兵团",
)

_SHORT = {p: p.removesuffix("市").removesuffix("省") for p in PROVINCES}
_SHORT.update({"内蒙古自治区": "内蒙古", "广西壮族自治区": "广西", "西藏自治区": "西藏",
               "宁夏回族自治区": "宁夏", "新疆维吾尔自治区": "新疆", "新疆生产建设兵团": "兵团"})

_CITIES = {
    "石家庄": "河北省", "太原": "山西省", "呼和浩特": "内蒙古自治区", "沈阳": "辽宁省", "大连": "辽宁省",
    "长春": "吉林省", "哈尔滨": "黑龙江省", "南京": "江苏省", "苏州": "江苏省", "无锡": "江苏省",
    "杭州": "浙江省", "宁波": "浙江省", "温州": "浙江省", "义乌": "浙江省", "合肥": "安徽省",
    "福州": "福建省", "厦门": "福建省", "泉州": "福建省", "南昌": "江西省", "济南": "山东省",
    "青岛": "山东省", "郑州": "河南省", "武汉": "湖北省", "长沙": "湖南省", "广州": "广东省",
    "深圳": "广东省", "东莞": "广东省", "佛山": "广东省", "珠海": "广东省", "南宁": "广西壮族自治区",
    "海口": "海南省", "三亚": "海南省", "成都": "四川省", "贵阳": "贵州省", "昆明": "云南省",
    "拉萨": "西藏自治区", "西安": "陕西省", "兰州": "甘肃省", "西宁": "青海省",
    "银川": "宁夏回族自治区", "乌鲁木齐": "新疆维吾尔自治区",
}

# Longest names first, so 内蒙古 wins over a shorter accidental match.
_NAMES = sorted(
    [(p, p) for p in PROVINCES] + [(s, p) for p, s in _SHORT.items()] + list(_CITIES.items()),
    key=lambda pair: len(pair[0]), reverse=True,
)


def find(text: str) -> str | None:
    """The first province named (directly or through a city) in ``text``."""
    best: tuple[int, str] | None = None
    for name, province in _NAMES:
        at = text.find(name)
        if at >= 0 and (best is None or at < best[0]):
            best = (at, province)
    return best[1] if best else None
