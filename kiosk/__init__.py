"""Self-service queue kiosk of a Kantor Imigrasi lobby."""

__version__ = "0.1.0"
