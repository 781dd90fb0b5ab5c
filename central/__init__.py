"""Reference central queue server: the other side of the kiosk sync protocol.

Speaks the protocol in docs/openapi.yaml and nothing else: it never imports `kiosk`.
"""

__version__ = "0.1.0"
API_PREFIX = "/api/v1"
