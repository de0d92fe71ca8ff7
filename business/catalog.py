"""What the business system knows about: business types, statuses and ticket types.

Codes are English identifiers used in the API; names are what a citizen reads.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    code: str
    prefix: str      # the two letters that open a 受理编号 of this type
    name: str


KINDS: dict[str, Kind] = {k.code: k for k in (
    Kind("unemployment_benefit", "SY", "失业保险金申领"),
    Kind("social_security_card", "SB", "社保卡申领/补换"),
    Kind("pension_transfer", "ZY", "养老保险关系转移接续"),
    Kind("retirement", "TX", "退休申请"),
    Kind("work_injury", "GS", "工伤认定"),
    Kind("skill_subsidy", "JN", "职业技能提升补贴"),
    Kind("startup_loan", "CY", "创业担保贷款"),
)}
KIND_BY_PREFIX = {k.prefix: k for k in KINDS.values()}

# Application statuses, in the order a case moves through them.
APPLICATION_STATUSES = {"accepted": "已受理", "reviewing": "审核中", "completed": "已办结",
                        "returned": "已退回"}

APPOINTMENT_STATUSES = {"booked": "已预约", "cancelled": "已取消"}

TICKET_KINDS = {"complaint": "投诉", "report": "举报", "callback": "回电",
                "hard_question": "疑难问题"}
TICKET_STATUSES = {"registered": "已登记", "processing": "办理中", "answered": "已答复",
                   "closed": "已办结"}

# 答复时限 in working days, counted from the working day after the ticket is filed.
# These are configurable defaults of this reference system (BUSINESS_TICKET_DUE_DAYS), not
# national rules. For reference only: 《劳动保障监察条例》第十七条 gives 劳动保障行政部门
# 60 working days from 立案 to finish investigating a violation (extendable by 30), which is
# why a report (举报, e.g. 欠薪) defaults to 60; a province sets its own commitments.
TICKET_DUE_WORKING_DAYS = {"complaint": 15, "report": 60, "callback": 1, "hard_question": 5}

CARD_STATUSES = {"active": "正常使用", "reported_lost": "已挂失", "in_production": "制卡中",
                 "ready_for_pickup": "待领卡", "not_activated": "未启用金融功能"}
