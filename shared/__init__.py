"""The few pieces kiosk/ and central/ both run, kept here so neither imports the other: the SQLite
migration runner and the way to stop a waitress server from another thread. Imports only the
standard library and waitress; never kiosk/, central/ or printer/."""
