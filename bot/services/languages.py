"""Which language each user is spoken to in: Telegram's language code at first contact (the
nearest shipped language), until they choose one with /language.

Nothing is stored for someone who only said hello: the language found at first contact waits
in memory until the user has a profile (they start a routine, set a reminder...), and is
stored then.
"""

from __future__ import annotations

import time

from bot.domain.clock import Clock
from bot.presentation.i18n import DEFAULT, SHIPPED, Words, negotiate, words
from bot.services.repositories import UserStore

#: How long a user's language is remembered for what the clock sends (seconds): a change made
#: through another replica shows within this time.
REMEMBERED_FOR = 60.0
REMEMBERED_AT_MOST = 100_000


class Languages:
    def __init__(self, users: UserStore, clock: Clock) -> None:
        self._users = users
        self._clock = clock
        #: user id -> (language, when it was read: time.monotonic()).
        self._known: dict[int, tuple[str, float]] = {}
        #: Languages found at first contact for users without a profile yet.
        self._pending: dict[int, str] = {}

    def pending(self, user_id: int) -> bool:
        """Whether the user's language waits for their profile (no query needed)."""
        return user_id in self._pending

    async def settle(self, user_id: int) -> None:
        """After an update was handled: if it created the user's profile, store the language
        found at first contact with it."""
        language = self._pending.get(user_id)
        user = await self._users.get_user(user_id) if language is not None else None
        if language is not None and user is not None:
            if user.language is None:
                await self._users.set_language(user_id, language)
            self._pending.pop(user_id, None)

    def known(self, user_id: int) -> bool:
        """Whether this process has already learnt the user's language (no query needed)."""
        return user_id in self._known

    def remembered(self, user_id: int) -> str | None:
        """The user's language if this process knows it (however long ago), without a query."""
        found = self._known.get(user_id)
        return found[0] if found is not None else None

    async def of(self, user_id: int, first_name: str, telegram_code: str | None) -> str:
        """The user's language: stored, or (first contact) the one nearest their app's."""
        found = self._known.get(user_id)
        if found is not None and time.monotonic() - found[1] < REMEMBERED_FOR and user_id not in self._pending:
            return found[0]
        user = await self._users.get_user(user_id)
        if user is not None and user.language in SHIPPED:
            self._remember(user_id, user.language)
            return user.language
        language = negotiate(telegram_code)
        if user is not None:
            await self._users.set_language(user_id, language)
        else:
            self._pending[user_id] = language
        self._remember(user_id, language)
        return language

    async def words_of(self, user_id: int) -> Words:
        """The words of a user for what the bot sends on its own (pose cards, summaries),
        remembered for a minute: the session clock asks for every card."""
        found = self._known.get(user_id)
        if found is not None and time.monotonic() - found[1] < REMEMBERED_FOR:
            return words(found[0])
        user = await self._users.get_user(user_id)
        if user is not None and user.language in SHIPPED:
            language = user.language
        elif user_id in self._pending:
            language = self._pending[user_id]
            if user is not None:  # the profile exists now: the language found at first contact is kept
                await self._users.set_language(user_id, language)
                self._pending.pop(user_id, None)
        else:
            # Not known here (another replica met the user, or a profile from before languages
            # were stored): a guess, never stored; the user's next message tells the truth.
            return words(found[0] if found is not None else DEFAULT)
        self._remember(user_id, language)
        return words(language)

    async def choose(self, user_id: int, first_name: str, language: str) -> bool:
        """/language: store the user's choice; False (nothing changed) for one not shipped."""
        if language not in SHIPPED:
            return False
        await self._users.upsert_user(user_id, first_name, self._clock.now(), language=language)
        await self._users.set_language(user_id, language)
        self._pending.pop(user_id, None)
        self._remember(user_id, language)
        return True

    def _remember(self, user_id: int, language: str) -> None:
        if len(self._known) >= REMEMBERED_AT_MOST:
            self._known.clear()
        if len(self._pending) >= REMEMBERED_AT_MOST:
            self._pending.clear()
        self._known[user_id] = (language, time.monotonic())
