"""Booking scanners without a GUI: code checks, the serial reader thread, the HID frame recogniser,
and a virtual scanner on a pty. The Kivy glue that feeds HID key events lives in kiosk/ui."""

from .codes import CodeRules, Refused, check_code
from .device import ScannerDevice, parse_scanner_device
from .hid import HidRecogniser
from .serial_reader import SerialScanner

__all__ = ["CodeRules", "HidRecogniser", "Refused", "ScannerDevice", "SerialScanner", "check_code",
           "parse_scanner_device"]
