"""State keys the agent writes (JSON values in the store's `state` table), beside kiosk.state_keys."""

LAST_SYNC = "agent.last_sync"          # {"at": iso, "delivered": int, "pending": int}
LAST_ERROR = "agent.last_error"        # {"at": iso, "during": "push"|"pull"|"heartbeat", "error": str}
STATUS = "agent.status"                # {"state": "running"|"stopped", "pid": int, "started_at": iso, "alive_at": iso}
CATALOGUE = "catalogue.remote"         # {"etag", "applied_at", "checked_at", "rejected_etag", "error"}
