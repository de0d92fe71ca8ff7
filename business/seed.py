"""Deterministic demo data (``seed_data``) for an empty database, and appointment slots
kept topped up for the next 14 days on every start.

Deterministic: the same ``today`` gives the same rows. Dates are relative to ``today``
(applications were filed some working days ago, slots start today), everything else
comes from a fixed random seed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Collection
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from business import numbers, workdays
from business.catalog import KINDS
from business.models import (
    Application,
    ApplicationEvent,
    Card,
    Contribution,
    Hall,
    HallService,
    PensionPayment,
    Person,
    Slot,
    Ticket,
)
from business.seed_data import BANKS, EMPLOYERS, HALL_HOURS, HALLS, OFFICES, PERSONS, STEPS
from channels.masking import mask_card

SEED = 12333
SLOT_DAYS = 14
# Half-hour slots: 9:00–12:00 and 13:30–17:00.
SLOT_STARTS = tuple(dt.time(h, m) for h, m in
                    [(9, 0), (9, 30), (10, 0), (10, 30), (11, 0), (11, 30),
                     (13, 30), (14, 0), (14, 30), (15, 0), (15, 30), (16, 0), (16, 30)])
# Working days between filing and now, by status (never 0: a step today may lie ahead).
AGE_BY_STATUS = {"accepted": (1, 2), "reviewing": (3, 8), "completed": (12, 40), "returned": (4, 10)}
STEPS_BY_STATUS = {"accepted": ("受理",), "reviewing": ("受理", "审核"),
                   "completed": ("受理", "审核", "办结"), "returned": ("受理", "退回")}


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Person))


def seed(session: Session, today: dt.date, holidays: Collection[dt.date] = ()) -> None:
    rng = random.Random(SEED)
    for hall_id, name, district, address, phone, services in HALLS:
        session.add(Hall(id=hall_id, name=name, city="北京市", district=district, address=address,
                         phone=phone, hours=HALL_HOURS,
                         services=[HallService(service=s) for s in services]))
    serial = 1000
    for index, (name, gender, birth, county, district, card, apps, retired) in enumerate(PERSONS, 1):
        birth_date = dt.date.fromisoformat(birth)
        person = Person(ref=f"p{rng.getrandbits(64):016x}",
                        id_number=_id_number(county, birth_date, gender, rng), name=name,
                        gender=gender, birth_date=birth_date, phone=f"1380000{index:04d}",
                        province="北京市", district=district)
        session.add(person)
        session.flush()
        retired_on = dt.date.fromisoformat(retired) if retired else None
        for kind, status in apps:
            serial += rng.randint(1, 40)
            done = _application(session, person, kind, status, serial, today, holidays, rng)
            if kind == "retirement" and status == "completed":
                retired_on = _next_month(done)
        _contributions(session, person, retired_on, today, rng)
        if retired_on:
            _pension(session, person, retired_on, today, holidays, rng)
        _card(session, person, card, rng)
    _tickets(session, today, holidays)
    session.flush()


def top_up_slots(session: Session, today: dt.date, holidays: Collection[dt.date] = ()) -> int:
    """Slots for every hall service on the working days of the next 14 days; returns how
    many were added. Existing slots (and their bookings) are never touched."""
    days = workdays.working_days(today, SLOT_DAYS, holidays)
    if not days:
        return 0
    have = set(session.execute(select(Slot.hall_id, Slot.service, Slot.day, Slot.start)
                               .where(Slot.day >= days[0], Slot.day <= days[-1])).tuples())
    rows = []
    for hall_id, service in session.execute(select(HallService.hall_id, HallService.service)).tuples():
        for day in days:
            for start in SLOT_STARTS:
                if (hall_id, service, day, start) in have:
                    continue
                # One generator per slot: the same slot gets the same capacity whenever it is made.
                rng = random.Random(f"{SEED}|{hall_id}|{service}|{day}|{start}")
                capacity = rng.randint(1, 5)
                # Places already taken at the window and in other channels.
                taken = capacity if rng.random() < 0.15 else rng.randint(0, capacity - 1)
                end = (dt.datetime.combine(day, start) + dt.timedelta(minutes=30)).time()
                rows.append({"hall_id": hall_id, "service": service, "day": day, "start": start,
                             "end": end, "capacity": capacity, "booked": taken})
    if rows:
        session.execute(insert(Slot), rows)
    return len(rows)


def _id_number(county: str, birth: dt.date, gender: str, rng: random.Random) -> str:
    sequence = rng.randrange(1, 999, 2) if gender == "男" else rng.randrange(2, 999, 2)
    body = f"{county}{birth:%Y%m%d}{sequence:03d}"
    return ric.validate(body + ric.calc_check_digit(body + "0"))


def _back(day: dt.date, count: int, holidays: Collection[dt.date]) -> dt.date:
    while count > 0:
        day -= dt.timedelta(days=1)
        if workdays.is_working_day(day, holidays):
            count -= 1
    return day


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9 + rng.randint(0, 7), rng.choice((5, 17, 28, 42, 51))))


def _application(session: Session, person: Person, kind: str, status: str, serial: int, today: dt.date,
                 holidays: Collection[dt.date], rng: random.Random) -> dt.date:
    notes, next_steps = STEPS[kind]
    age = rng.randint(*AGE_BY_STATUS[status])
    submitted = _back(today, age, holidays)
    application = Application(
        acceptance_no=numbers.make(KINDS[kind].prefix, submitted, serial), person_id=person.id,
        kind=kind, status=status, office=OFFICES[kind].format(district=person.district),
        next_step=next_steps[status], submitted_on=submitted)
    session.add(application)
    session.flush()
    day = submitted
    steps = STEPS_BY_STATUS[status]
    for position, step in enumerate(steps):
        if position:
            remaining = _working_days_between(day, today, holidays)
            day = workdays.add_working_days(day, rng.randint(1, max(1, remaining // 2)), holidays)
            day = min(day, _back(today, 1, holidays))
        session.add(ApplicationEvent(application_id=application.id, step=step, at=_at(day, rng),
                                     note=notes[step]))
    return day


def _working_days_between(start: dt.date, end: dt.date, holidays: Collection[dt.date]) -> int:
    return sum(1 for i in range(1, (end - start).days + 1)
               if workdays.is_working_day(start + dt.timedelta(days=i), holidays))


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _contributions(session: Session, person: Person, retired_on: dt.date | None, today: dt.date,
                   rng: random.Random) -> None:
    first = max(person.birth_date.year + 22, 1998)
    last = retired_on.year if retired_on else today.year
    base = Decimal(rng.randrange(1800, 4200, 50))
    employer = rng.choice(EMPLOYERS)
    for year in range(first, last + 1):
        if retired_on and year == retired_on.year:
            months = retired_on.month - 1
        elif year == today.year:
            months = today.month - 1    # paid through last month
        else:
            months = 12 if rng.random() > 0.12 else rng.randint(5, 11)
        if months <= 0:
            continue
        if rng.random() < 0.15:
            employer = rng.choice(EMPLOYERS)
        session.add(Contribution(person_id=person.id, year=year, months_paid=months,
                                 base=base.quantize(Decimal("0.01")), employer=employer))
        base = (base * Decimal("1.06")).quantize(Decimal("1"))


def _pension(session: Session, person: Person, retired_on: dt.date, today: dt.date,
             holidays: Collection[dt.date], rng: random.Random) -> None:
    amount = Decimal(rng.randrange(320000, 680000)) / 100
    month = max(retired_on, today.replace(day=1, year=today.year - 1))
    while True:
        paid_on = dt.date(month.year, month.month, 15)
        while not workdays.is_working_day(paid_on, holidays):
            paid_on += dt.timedelta(days=1)
        if paid_on > today:
            break
        # The yearly adjustment shows in January's payment.
        if month.month == 1 and month > retired_on:
            amount = (amount * Decimal("1.02")).quantize(Decimal("0.01"))
        session.add(PensionPayment(person_id=person.id, month=f"{month:%Y-%m}", amount=amount,
                                   paid_on=paid_on))
        month = _next_month(month)


def _card(session: Session, person: Person, status: str, rng: random.Random) -> None:
    bank, bin_ = rng.choice(BANKS)
    issued = dt.date(rng.randint(2012, 2025), rng.randint(1, 12), rng.randint(1, 28))
    notes = {"reported_lost": "已办理挂失，可到网点或线上申请补卡。",
             "in_production": "新卡制作中，制卡完成后短信通知领卡。",
             "ready_for_pickup": "新卡已到受理网点，请本人携带身份证领取。",
             "not_activated": "社保卡金融功能未启用，请携带身份证到发卡银行网点启用。"}
    number = bin_ + "".join(str(rng.randint(0, 9)) for _ in range(15))
    session.add(Card(person_id=person.id, status=status,
                     generation="第三代" if issued.year >= 2020 else "第二代", bank=bank,
                     card_no_masked=mask_card(number),
                     issued_on=None if status == "in_production" else issued, note=notes.get(status, "")))


def _tickets(session: Session, today: dt.date, holidays: Collection[dt.date]) -> None:
    filed = _back(today, 6, holidays)
    demo = (
        Ticket(kind="report", summary="举报用人单位拖欠工资",
               details={"employer": "北京瑞丰建筑工程有限公司", "where": "丰台区某在建工地",
                        "when": "近三个月", "amount_owed": "27600", "people_affected": 9},
               channel="webchat", contact_phone="13800000026", status="processing",
               time_limit_days=60, due_date=workdays.add_working_days(filed, 60, holidays),
               created_at=_at(filed, random.Random(SEED))),
        Ticket(kind="hard_question", summary="外省视同缴费年限能否合并计算", details={},
               channel="sms", contact_phone="13800000011", status="answered",
               time_limit_days=5, due_date=workdays.add_working_days(filed, 5, holidays),
               created_at=_at(filed, random.Random(SEED + 1)),
               reply="已由养老保险经办人员电话答复：视同缴费年限由原参保地依据档案认定，"
                     "所需材料以原参保地经办机构的要求为准。"),
    )
    for ticket in demo:
        session.add(ticket)
        session.flush()
        ticket.no = numbers.make(numbers.TICKET_PREFIX, filed, ticket.id)
