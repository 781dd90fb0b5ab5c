"""Names of the JSON values in the store's `state` table, shared by the UI, agent and CLI."""

SERVICE_DAY = "service_day"          # "YYYY-MM-DD": the numbering high-water mark, never backwards
LOCK = "kiosk.lock"                  # {"locked": bool, "by": str, "at": iso}
SERVER_CLOCK = "clock.server"        # {"checked_at": iso, "drift_s": float, "ok": bool} (agent)
PRINTER = "printer.status"           # {"state": str, "detail": str, "at": iso} (UI / CLI)
QUEUE_STATS = "queue.stats"          # {"fetched_at": iso, PREFIX: {"waiting": int, "avg_service_s": float}} (agent)
