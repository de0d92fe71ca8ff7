"""``python -m business --demo``: who to try the bot with (synthetic people only)."""

from __future__ import annotations

from sqlalchemy import select

from business import db as database
from business.app import prepare
from business.models import Application, Person
from business.settings import Settings
from business.workdays import today


def show(settings: Settings) -> None:
    db = database.connect(settings.database_url.get_secret_value())
    try:
        prepare(db, settings, today())
        with db.reader.begin() as session:
            for person in session.scalars(select(Person).order_by(Person.id)):
                numbers = session.scalars(select(Application.acceptance_no)
                                          .where(Application.person_id == person.id))
                print(f"{person.name}\t{person.id_number}\t{person.phone}\t{person.district}\t"
                      f"{' '.join(numbers)}")
    finally:
        db.close()
