"""Limber: a Telegram bot that coaches desk workers through short guided stretching routines."""
