"""Request and response bodies of the API, with the examples shown in ``/openapi.json``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PHONE = r"^1[3-9]\d{9}$"
TicketKind = Literal["complaint", "report", "callback", "hard_question"]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- persons ----------------------------------------------------------------------------

class VerifyRequest(BaseModel):
    id_number: str = Field(min_length=15, max_length=18, description="18 位居民身份证号码",
                           examples=["110105198001010019"])
    name: str = Field(min_length=1, max_length=32, description="身份证上的姓名", examples=["张伟"])


class VerifyResult(Out):
    match: bool = Field(description="身份证号码与姓名是否与登记信息一致；不一致时不说明是哪一项")
    person_ref: str | None = Field(default=None, description="不透明的人员标识，用于后续查询（不是身份证号）",
                                   examples=["p8c1f0e2a9b7d4c33"])
    phone: str | None = Field(default=None, description="登记的手机号码（用于发送验证码）",
                              examples=["13800000001"])
    phone_masked: str | None = Field(default=None, examples=["138****0001"])
    region: str | None = Field(default=None, description="参保地（省级）", examples=["北京市"])
    district: str | None = Field(default=None, description="参保地（区县）", examples=["朝阳区"])


# -- applications -----------------------------------------------------------------------

class TimelineEntry(Out):
    step: str = Field(description="受理 / 审核 / 办结 / 退回", examples=["受理"])
    at: dt.datetime = Field(description="北京时间", examples=["2026-11-03T09:42:00"])
    note: str = Field(examples=["材料齐全，已受理。"])


class ApplicationOut(BaseModel):
    acceptance_no: str = Field(examples=["SY20261103000123"])
    type: str = Field(description="业务类型代码", examples=["unemployment_benefit"])
    type_name: str = Field(examples=["失业保险金申领"])
    status: str = Field(description="accepted / reviewing / completed / returned", examples=["reviewing"])
    status_name: str = Field(examples=["审核中"])
    submitted_on: dt.date
    office: str = Field(description="经办机构", examples=["北京市朝阳区社会保险事业管理中心"])
    next_step: str = Field(description="市民下一步要做什么",
                           examples=["正在审核，审核完成后会短信通知您；可随时用受理编号查询进度。"])
    applicant_masked: str = Field(examples=["张*"])
    person_ref: str
    timeline: list[TimelineEntry]


class ApplicationList(BaseModel):
    person_ref: str
    applications: list[ApplicationOut]


# -- halls and slots --------------------------------------------------------------------

class ServiceOut(BaseModel):
    code: str = Field(examples=["social_security_card"])
    name: str = Field(examples=["社保卡申领/补换"])


class HallOut(BaseModel):
    hall_id: str = Field(examples=["BJ-CY-01"])
    name: str = Field(examples=["朝阳区人力资源和社会保障服务大厅"])
    city: str = Field(examples=["北京市"])
    district: str = Field(examples=["朝阳区"])
    address: str
    phone: str
    hours: str = Field(examples=["工作日 9:00-12:00，13:30-17:00"])
    services: list[ServiceOut]


class HallList(BaseModel):
    halls: list[HallOut]


class SlotOut(BaseModel):
    slot_id: int = Field(examples=[1042])
    hall_id: str
    service: str
    date: dt.date
    start: str = Field(examples=["09:00"])
    end: str = Field(examples=["09:30"])
    capacity: int = Field(examples=[3])
    remaining: int = Field(examples=[1])


class SlotList(BaseModel):
    slots: list[SlotOut]


# -- appointments -----------------------------------------------------------------------

class BookingRequest(BaseModel):
    slot_id: int = Field(description="GET /halls/{hall_id}/slots 返回的时段", examples=[1042])
    person_ref: str | None = Field(default=None, description="已核验身份的市民；与 contact_phone 至少填一项")
    contact_phone: str | None = Field(default=None, pattern=PHONE, examples=["13800000001"])
    channel: str = Field(default="webchat", max_length=16, examples=["webchat"])


class RescheduleRequest(BaseModel):
    slot_id: int = Field(description="新的时段（同一业务）", examples=[1043])


class AppointmentOut(BaseModel):
    booking_no: str = Field(examples=["YY20261103000007"])
    status: str = Field(description="booked / cancelled", examples=["booked"])
    status_name: str = Field(examples=["已预约"])
    service: str
    service_name: str
    date: dt.date
    start: str = Field(examples=["09:00"])
    end: str = Field(examples=["09:30"])
    slot_id: int
    hall: HallOut
    person_ref: str | None
    contact_phone_masked: str | None = Field(examples=["138****0001"])
    created_at: dt.datetime


class AppointmentList(BaseModel):
    person_ref: str
    appointments: list[AppointmentOut] = Field(description="尚未到时间、未取消的预约，时间早的在前")


# -- tickets ----------------------------------------------------------------------------

class TicketDetails(BaseModel):
    """投诉举报的要素，均可选；欠薪举报请尽量填写 employer、amount_owed。"""

    who: str | None = Field(default=None, max_length=200, description="涉及的人或单位",
                            examples=["某建筑公司项目部"])
    what: str | None = Field(default=None, max_length=2000, description="发生了什么",
                             examples=["拖欠3个月工资"])
    where: str | None = Field(default=None, max_length=200, description="地点", examples=["朝阳区某工地"])
    when: str | None = Field(default=None, max_length=100, description="时间（可为口述）",
                             examples=["2026年8月至10月"])
    amount_owed: Decimal | None = Field(default=None, ge=0, description="拖欠金额（元）", examples=["18000"])
    employer: str | None = Field(default=None, max_length=200, description="用人单位名称",
                                 examples=["北京某某建筑工程有限公司"])
    people_affected: int | None = Field(default=None, ge=1, description="涉及人数", examples=[12])


class TicketRequest(BaseModel):
    type: TicketKind = Field(description="complaint 投诉 / report 举报 / callback 回电 / "
                                         "hard_question 疑难问题")
    summary: str = Field(min_length=1, max_length=500, examples=["举报用人单位拖欠工资"])
    details: TicketDetails = Field(default_factory=lambda: TicketDetails())
    channel: str = Field(default="webchat", max_length=16, examples=["webchat"])
    person_ref: str | None = None
    contact_phone: str | None = Field(default=None, pattern=PHONE, examples=["13800000001"])


class TicketOut(BaseModel):
    ticket_no: str = Field(examples=["GD20261103000042"])
    type: str
    type_name: str = Field(examples=["举报"])
    status: str = Field(examples=["registered"])
    status_name: str = Field(examples=["已登记"])
    summary: str
    details: TicketDetails
    channel: str
    person_ref: str | None
    contact_phone_masked: str | None
    created_at: dt.datetime
    due_date: dt.date = Field(description="答复期限（按工作日计算）")
    time_limit_working_days: int = Field(examples=[60])
    reply: str | None = Field(description="答复内容（已答复后才有）")


# -- personal records -------------------------------------------------------------------

class ContributionYear(Out):
    year: int = Field(examples=[2025])
    months_paid: int = Field(examples=[12])
    base: Decimal = Field(description="月缴费基数（元）", examples=["8500.00"])
    employer: str


class Contributions(BaseModel):
    person_ref: str
    insurance: str = Field(examples=["城镇职工基本养老保险"])
    total_months: int = Field(description="累计缴费月数", examples=[186])
    years: list[ContributionYear]


class PensionPaymentOut(Out):
    month: str = Field(examples=["2026-10"])
    amount: Decimal = Field(examples=["4235.60"])
    paid_on: dt.date


class PensionPayments(BaseModel):
    person_ref: str
    retired: bool = Field(description="是否在领取养老金（有发放记录）")
    payments: list[PensionPaymentOut] = Field(description="最近 12 个月，新的在前")


class CardOut(BaseModel):
    person_ref: str
    status: str = Field(examples=["active"])
    status_name: str = Field(examples=["正常使用"])
    generation: str = Field(examples=["第三代"])
    bank: str = Field(examples=["中国工商银行"])
    card_no_masked: str = Field(examples=["6222********1234"])
    issued_on: dt.date | None
    note: str


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    database: str = Field(examples=["ok"])
