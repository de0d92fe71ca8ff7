"""Database rows → API bodies. Pure functions; masking as citizens see it on receipts."""

from __future__ import annotations

from business import schemas
from business.catalog import APPLICATION_STATUSES, APPOINTMENT_STATUSES, KINDS, TICKET_KINDS, TICKET_STATUSES
from business.models import Application, Appointment, Hall, Slot, Ticket
from channels.masking import mask_name, mask_phone


def application(row: Application) -> schemas.ApplicationOut:
    return schemas.ApplicationOut(
        acceptance_no=row.acceptance_no, type=row.kind, type_name=KINDS[row.kind].name,
        status=row.status, status_name=APPLICATION_STATUSES[row.status],
        submitted_on=row.submitted_on, office=row.office, next_step=row.next_step,
        applicant_masked=mask_name(row.person.name), person_ref=row.person.ref,
        timeline=[schemas.TimelineEntry.model_validate(event) for event in row.events],
    )


def hall(row: Hall) -> schemas.HallOut:
    return schemas.HallOut(
        hall_id=row.id, name=row.name, city=row.city, district=row.district, address=row.address,
        phone=row.phone, hours=row.hours,
        services=[schemas.ServiceOut(code=s.service, name=KINDS[s.service].name) for s in row.services],
    )


def slot(row: Slot) -> schemas.SlotOut:
    return schemas.SlotOut(slot_id=row.id, hall_id=row.hall_id, service=row.service, date=row.day,
                           start=f"{row.start:%H:%M}", end=f"{row.end:%H:%M}",
                           capacity=row.capacity, remaining=row.capacity - row.booked)


def appointment(row: Appointment) -> schemas.AppointmentOut:
    assert row.no is not None
    return schemas.AppointmentOut(
        booking_no=row.no, status=row.status, status_name=APPOINTMENT_STATUSES[row.status],
        service=row.slot.service, service_name=KINDS[row.slot.service].name, date=row.slot.day,
        start=f"{row.slot.start:%H:%M}", end=f"{row.slot.end:%H:%M}", slot_id=row.slot_id,
        hall=hall(row.slot.hall), person_ref=row.person.ref if row.person else None,
        contact_phone_masked=mask_phone(row.contact_phone) if row.contact_phone else None,
        created_at=row.created_at,
    )


def ticket(row: Ticket) -> schemas.TicketOut:
    assert row.no is not None
    return schemas.TicketOut(
        ticket_no=row.no, type=row.kind, type_name=TICKET_KINDS[row.kind], status=row.status,
        status_name=TICKET_STATUSES[row.status], summary=row.summary,
        details=schemas.TicketDetails.model_validate(row.details or {}), channel=row.channel,
        person_ref=row.person.ref if row.person else None,
        contact_phone_masked=mask_phone(row.contact_phone) if row.contact_phone else None,
        created_at=row.created_at, due_date=row.due_date,
        time_limit_working_days=row.time_limit_days, reply=row.reply,
    )
