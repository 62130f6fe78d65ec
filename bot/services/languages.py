"""Which language each user is spoken to in: Telegram's language code at first contact (the
nearest shipped language), until they choose one with /language."""

from __future__ import annotations

from bot.domain.clock import Clock
from bot.presentation.i18n import SHIPPED, negotiate
from bot.services.repositories import UserStore


class Languages:
    def __init__(self, users: UserStore, clock: Clock) -> None:
        self._users = users
        self._clock = clock

    async def of(self, user_id: int, first_name: str, telegram_code: str | None) -> str:
        """The user's language; on first contact, the one nearest their Telegram app's, stored."""
        user = await self._users.get_user(user_id)
        if user is not None and user.language in SHIPPED:
            return user.language
        language = negotiate(telegram_code)
        await self._users.upsert_user(user_id, first_name, self._clock.now(), language=language)
        if user is not None and user.language is not None:  # a language no longer shipped
            await self._users.set_language(user_id, language)
        return language

    async def choose(self, user_id: int, first_name: str, language: str) -> bool:
        """/language: store the user's choice; False (nothing changed) for one not shipped."""
        if language not in SHIPPED:
            return False
        await self._users.upsert_user(user_id, first_name, self._clock.now(), language=language)
        await self._users.set_language(user_id, language)
        return True
