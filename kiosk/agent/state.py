"""The agent's state keys, under the short names its modules use (declared in kiosk.state_keys)."""

from ..state_keys import AGENT_LAST_ERROR as LAST_ERROR  # noqa: F401
from ..state_keys import AGENT_LAST_SYNC as LAST_SYNC  # noqa: F401
from ..state_keys import AGENT_STATUS as STATUS  # noqa: F401
from ..state_keys import REMOTE_CATALOGUE as CATALOGUE  # noqa: F401
