"""The synthetic demo data seeded into an empty database (``seed``). One demo city: 北京市.

Every person here is invented. Names are common given names joined at random; the
身份证号 are computed (``seed._id_number``) from a real county code, the birth date below
and a sequence drawn from a fixed seed, so they pass the GB 11643 check digit and the
region/date checks, but none was taken from a person; a match with someone's real
number would be chance. Mobile numbers are 1380000xxxx test numbers. Use only for demos.
"""

from __future__ import annotations

# name, gender, birth date, county code of birth, district insured in, card status,
# applications (type, status), retired on (YYYY-MM-DD) when long retired.
PERSONS: tuple[tuple[str, str, str, str, str, str, tuple[tuple[str, str], ...], str | None], ...] = (
    ("张伟", "男", "1985-03-12", "110105", "朝阳区", "active",
     (("unemployment_benefit", "reviewing"), ("skill_subsidy", "completed")), None),
    ("王芳", "女", "1990-07-25", "110108", "海淀区", "ready_for_pickup",
     (("social_security_card", "completed"),), None),
    ("李娜", "女", "1988-11-02", "510121", "朝阳区", "active", (("pension_transfer", "reviewing"),), None),
    ("刘洋", "男", "1979-05-18", "110106", "丰台区", "active", (("work_injury", "accepted"),), None),
    ("陈静", "女", "1971-02-08", "110101", "东城区", "active", (("retirement", "completed"),), None),
    ("杨磊", "男", "1992-09-30", "430121", "朝阳区", "active", (("startup_loan", "reviewing"),), None),
    ("赵敏", "女", "1995-12-14", "110102", "西城区", "active", (("unemployment_benefit", "returned"),), None),
    ("黄强", "男", "1965-06-21", "110105", "朝阳区", "active", (("retirement", "reviewing"),), None),
    ("周婷", "女", "1987-04-03", "340121", "海淀区", "reported_lost",
     (("social_security_card", "returned"),), None),
    ("吴刚", "男", "1982-08-16", "110108", "海淀区", "active", (("work_injury", "completed"),), None),
    ("徐丽", "女", "1970-01-27", "110101", "东城区", "active", (("pension_transfer", "completed"),),
     "2020-02-01"),
    ("孙浩", "男", "1998-10-09", "110106", "丰台区", "active", (("skill_subsidy", "reviewing"),), None),
    ("马云霞", "女", "1993-03-22", "430121", "朝阳区", "active", (("startup_loan", "completed"),), None),
    ("朱建国", "男", "1960-11-11", "110102", "西城区", "active", (), "2020-12-01"),
    ("胡晓梅", "女", "1984-06-06", "110105", "朝阳区", "reported_lost",
     (("social_security_card", "accepted"),), None),
    ("郭志强", "男", "1976-02-14", "510121", "丰台区", "active",
     (("unemployment_benefit", "completed"),), None),
    ("何丹", "女", "1991-08-28", "110108", "海淀区", "active", (("skill_subsidy", "returned"),), None),
    ("高峰", "男", "1986-12-01", "110101", "东城区", "active", (("pension_transfer", "accepted"),), None),
    ("林燕", "女", "1967-05-15", "110106", "丰台区", "active", (), "2017-06-01"),
    ("罗斌", "男", "1989-09-19", "340121", "朝阳区", "active", (("work_injury", "reviewing"),), None),
    ("郑红", "女", "1994-04-11", "110102", "西城区", "active", (("startup_loan", "accepted"),), None),
    ("梁晨", "男", "1997-07-07", "110105", "朝阳区", "active", (("unemployment_benefit", "accepted"),), None),
    ("宋佳", "女", "1999-01-20", "110108", "海淀区", "in_production",
     (("social_security_card", "reviewing"),), None),
    ("谢文军", "男", "1965-03-03", "110101", "东城区", "active", (("retirement", "accepted"),), None),
    ("韩雪", "女", "1983-10-24", "510121", "海淀区", "active", (("pension_transfer", "returned"),), None),
    ("唐鹏", "男", "1981-06-29", "110106", "丰台区", "active", (("work_injury", "returned"),), None),
    ("冯秀英", "女", "1958-09-09", "110105", "朝阳区", "active", (), "2008-10-01"),
    ("于洋", "男", "1996-02-17", "110102", "西城区", "not_activated", (("skill_subsidy", "accepted"),), None),
    ("董倩", "女", "1992-11-23", "430121", "朝阳区", "active", (("startup_loan", "returned"),), None),
    ("曹刚", "男", "1964-12-05", "110108", "海淀区", "active", (("retirement", "returned"),), None),
)

# hall id, name, district, address, phone, services
HALLS = (
    ("BJ-DC-01", "东城区人力资源和社会保障服务大厅", "东城区", "东城区和平里东街 18 号", "010-64000101",
     ("social_security_card", "pension_transfer", "retirement", "work_injury", "skill_subsidy")),
    ("BJ-XC-01", "西城区社会保险服务大厅", "西城区", "西城区阜成门外大街 6 号", "010-68000201",
     ("social_security_card", "unemployment_benefit", "startup_loan")),
    ("BJ-CY-01", "朝阳区社会保险服务大厅", "朝阳区", "朝阳区朝阳北路 99 号", "010-85000301",
     ("social_security_card", "unemployment_benefit", "pension_transfer", "retirement")),
    ("BJ-CY-02", "朝阳区就业创业服务中心", "朝阳区", "朝阳区东三环中路 39 号", "010-85000302",
     ("unemployment_benefit", "skill_subsidy", "startup_loan")),
    ("BJ-HD-01", "海淀区人力资源和社会保障服务大厅", "海淀区", "海淀区紫竹院路 2 号", "010-82000401",
     ("unemployment_benefit", "social_security_card", "pension_transfer", "retirement", "work_injury",
      "skill_subsidy", "startup_loan")),
    ("BJ-HD-02", "海淀区社会保障卡服务网点（中关村）", "海淀区", "海淀区中关村大街 27 号", "010-82000402",
     ("social_security_card",)),
    ("BJ-FT-01", "丰台区人力资源和社会保障服务大厅", "丰台区", "丰台区丰台北路 32 号", "010-63000501",
     ("social_security_card", "unemployment_benefit", "retirement", "work_injury")),
)
HALL_HOURS = "工作日 9:00-12:00，13:30-17:00"

EMPLOYERS = ("北京恒远达商贸有限公司", "北京青禾信息技术有限公司", "北京瑞丰建筑工程有限公司",
             "北京华安物业管理有限公司", "北京启明星教育咨询有限公司", "北京同舟物流有限公司",
             "北京佳和餐饮管理有限公司", "北京新程机电设备有限公司")
BANKS = (("中国工商银行", "6222"), ("中国农业银行", "6228"), ("中国银行", "6217"),
         ("中国建设银行", "6227"), ("北京银行", "6214"), ("交通银行", "6222"))

OFFICES = {
    "unemployment_benefit": "北京市{district}社会保险事业管理中心",
    "social_security_card": "北京市{district}社会保障卡服务中心",
    "pension_transfer": "北京市{district}社会保险事业管理中心",
    "retirement": "北京市{district}人力资源和社会保障局",
    "work_injury": "北京市{district}人力资源和社会保障局工伤认定科",
    "skill_subsidy": "北京市{district}职业技能鉴定和培训服务中心",
    "startup_loan": "北京市{district}就业创业服务中心",
}

# Per type: the note of each timeline step, then the next step per status.
STEPS = {
    "unemployment_benefit": (
        {"受理": "申请材料齐全，已受理。", "审核": "正在核定领取期限和发放标准。",
         "办结": "已核定，按月发放失业保险金。", "退回": "缺少与原单位解除或终止劳动关系的证明。"},
        {"accepted": "已受理，等待审核。审核结果会短信通知您，无需重复提交。",
         "reviewing": "正在审核，审核完成后会短信通知您；可随时用受理编号查询进度。",
         "completed": "失业保险金按月发放到您的社会保障卡银行账户，请留意到账情况并积极求职。",
         "returned": "请补充原单位出具的解除或终止劳动关系证明，到受理网点或网上办事大厅重新提交。"}),
    "social_security_card": (
        {"受理": "已受理补换卡申请。", "审核": "信息核验通过，已送银行制卡。", "办结": "新卡已制作完成。",
         "退回": "照片不符合制卡要求。"},
        {"accepted": "正在核验信息，通过后送银行制卡。",
         "reviewing": "制卡中，制卡完成后会短信通知您领卡。",
         "completed": "新卡已制作完成，请本人携带身份证到受理网点领卡，领卡后启用金融功能。",
         "returned": "照片需为白色背景、免冠正面照，请重新上传照片后再提交申请。"}),
    "pension_transfer": (
        {"受理": "已受理转移接续申请。", "审核": "已向转出地社保经办机构发出联系函。",
         "办结": "基金已转入，缴费年限合并计算。", "退回": "参保缴费凭证信息与转出地记录不一致。"},
        {"accepted": "已受理，将由我们向转出地发出联系函，您无需再到转出地办理。",
         "reviewing": "正在等待转出地办理转出手续，完成后会短信通知您。",
         "completed": "转移已完成，可在个人权益记录中查看合并后的缴费年限。",
         "returned": "请向转出地社保经办机构重新开具参保缴费凭证，补齐后重新提交。"}),
    "retirement": (
        {"受理": "已受理退休申请。", "审核": "正在审核档案、缴费年限和待遇。",
         "办结": "已核准退休，核定基本养老金。", "退回": "档案中出生日期记载不一致。"},
        {"accepted": "已受理，正在调取人事档案，等待审核。",
         "reviewing": "正在审核档案、缴费年限和待遇，审核结果会短信通知您。",
         "completed": "已核准退休，基本养老金从次月起按月发放到您的社会保障卡银行账户。",
         "returned": "档案中出生日期记载不一致，请联系存档单位补充出生日期认定材料后重新申请。"}),
    "work_injury": (
        {"受理": "已受理工伤认定申请。", "审核": "正在调查核实事故情况。",
         "办结": "已作出工伤认定决定，决定书已送达。", "退回": "缺少医疗机构出具的诊断证明。"},
        {"accepted": "已受理，工作人员可能会联系您和用人单位核实情况，请保持电话畅通。",
         "reviewing": "正在调查核实，作出认定决定后会书面通知您和用人单位。",
         "completed": "已认定为工伤。需要劳动能力鉴定的，可向劳动能力鉴定委员会提出申请。",
         "returned": "请补充医疗机构出具的受伤后诊断证明书，再重新提交申请。"}),
    "skill_subsidy": (
        {"受理": "已受理技能提升补贴申请。", "审核": "正在核验证书和参保缴费情况。",
         "办结": "补贴已发放到社会保障卡银行账户。", "退回": "证书信息未能通过联网核验。"},
        {"accepted": "已受理，等待审核。",
         "reviewing": "正在核验证书和参保情况，审核通过后补贴发放到您的社会保障卡银行账户。",
         "completed": "补贴已发放，请查看社会保障卡银行账户的入账记录。",
         "returned": "证书信息未能核验，请确认证书编号无误或补充证书扫描件后重新申请。"}),
    "startup_loan": (
        {"受理": "已受理创业担保贷款申请。", "审核": "正在进行资格审核和项目评估。",
         "办结": "审核通过，担保手续已完成。", "退回": "营业执照登记的经营者与申请人不一致。"},
        {"accepted": "已受理，等待资格审核。",
         "reviewing": "正在审核，可能需要实地走访经营场所，请保持电话畅通。",
         "completed": "请按经办银行的通知签订借款合同；按期还款可享受财政贴息。",
         "returned": "请补充本人作为经营者的营业执照或相关证明材料后重新申请。"}),
}
