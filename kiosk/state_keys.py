"""Names of the JSON values in the store's `state` table, shared by the UI, agent and CLI."""

SERVICE_DAY = "service_day"          # "YYYY-MM-DD": the numbering high-water mark, never backwards
LOCK = "kiosk.lock"                  # {"locked": bool, "by": str, "at": iso}
SERVER_CLOCK = "clock.server"        # {"checked_at": iso, "drift_s": float, "ok": bool} (agent)
PRINTER = "printer.status"           # {"state": str, "detail": str, "at": iso} (UI / CLI)
PRINTER_LOGO = "printer.nv_logo"     # {"key", "device", "delivered", "confirmed", "at"}: last NV logo upload (CLI)
QUEUE_STATS = "queue.stats"          # {"fetched_at": iso, PREFIX: {"waiting": int, "avg_service_s": float}} (agent)
ADMIN_PIN_ATTEMPTS = "admin.pin_attempts"  # {"failures": int, "locked_until": iso | null} (UI)
AGENT_LAST_SYNC = "agent.last_sync"        # {"at": iso, "delivered": int, "pending": int} (agent)
AGENT_LAST_ERROR = "agent.last_error"      # {"at": iso, "during": "push"|"pull"|"heartbeat", "error": str}
AGENT_STATUS = "agent.status"              # {"state": "running"|"stopped", "pid": int, "started_at": iso, "alive_at": iso}
REMOTE_CATALOGUE = "catalogue.remote"      # {"etag", "applied_at", "checked_at", "rejected_etag", "error"} (agent)
BOOKINGS_LIST = "bookings.list"            # {"office", "etag", "fetched_at", "days", "count", "checked_at", "error"} (agent)
AGENT_COMMANDS = "agent.commands"          # {"applied": [{"id", "action", "applied_at"}]}: central commands applied (agent)
