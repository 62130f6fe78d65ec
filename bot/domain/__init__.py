"""What stretching with Limber is, as plain Python: routines, a session's state machine, reminder
schedules, reach measurements, the input people type. No I/O, no Telegram, no database."""
