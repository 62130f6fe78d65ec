"""The use cases: the coach running sessions, reminders, the courier sending them, progress.
Services take the repositories they use, a clock and a messenger, and return outcomes."""
