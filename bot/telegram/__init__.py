"""The Telegram edge: updates in (intake), messages out (dispatcher), and the HTTP transport.

Nothing outside this package and :mod:`bot.telegram.handlers` talks to python-telegram-bot directly.
"""
