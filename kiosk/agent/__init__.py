"""The sync agent: pushes the outbox to the central server, pulls catalogue, queue and time.

Runs as its own process (`kiosk agent`) next to the UI; both share the SQLite store and neither
waits for the other. See docs/sync.md.
"""
