"""Everything the bot keeps, on SQLite or PostgreSQL: one repository per aggregate over one
:class:`~bot.storage.database.Database`. Services see only the protocols in
``bot.services.repositories``."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.database import Database, StorageUnavailable, sqlite_url
from bot.storage.inbox import InboxRepository
from bot.storage.leases import LeaseRepository
from bot.storage.measurements import MeasurementRepository
from bot.storage.schedules import DeliveryRepository, ScheduleRepository
from bot.storage.sessions import SessionRepository
from bot.storage.users import UserDataRepository, UserRepository

__all__ = ["Database", "Repositories", "StorageUnavailable", "sqlite_url"]


@dataclass(frozen=True)
class Repositories:
    """One of each repository over the same database."""

    db: Database
    users: UserRepository
    user_data: UserDataRepository
    sessions: SessionRepository
    schedules: ScheduleRepository
    deliveries: DeliveryRepository
    measurements: MeasurementRepository
    inbox: InboxRepository
    leases: LeaseRepository

    @classmethod
    def over(cls, db: Database) -> Repositories:
        return cls(
            db=db,
            users=UserRepository(db),
            user_data=UserDataRepository(db),
            sessions=SessionRepository(db),
            schedules=ScheduleRepository(db),
            deliveries=DeliveryRepository(db),
            measurements=MeasurementRepository(db),
            inbox=InboxRepository(db),
            leases=LeaseRepository(db),
        )
