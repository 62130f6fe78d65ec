"""The routines Limber ships, one TOML file each, installed with the bot as package data.

``bot`` reads them through :mod:`importlib.resources`, so an installed bot finds them wherever
pip put it; ``ROUTINES_DIR`` points the bot at a folder of other routine files instead.
"""
