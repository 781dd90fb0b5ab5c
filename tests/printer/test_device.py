import pytest

from printer.device import DeviceSpec, parse_device


@pytest.mark.parametrize("text, spec", [
    ("virtual", DeviceSpec("virtual")),
    ("serial:/dev/ttyUSB0@19200", DeviceSpec("serial", path="/dev/ttyUSB0", baud=19200)),
    ("serial:/dev/ttyS0@9600,rtscts", DeviceSpec("serial", path="/dev/ttyS0", baud=9600, flow="rtscts")),
    ("serial:var/printer.tty@115200", DeviceSpec("serial", path="var/printer.tty", baud=115200)),
    ("serial:/dev/serial/by-id/usb-Prolific@x-if00@38400,dsrdtr",
     DeviceSpec("serial", path="/dev/serial/by-id/usb-Prolific@x-if00", baud=38400, flow="dsrdtr")),
    ("usb:04b8:0e15", DeviceSpec("usb", vendor=0x04B8, product=0x0E15)),
    ("usb:04B8:0E15:81:01", DeviceSpec("usb", vendor=0x04B8, product=0x0E15, in_ep=0x81, out_ep=0x01)),
    ("tcp:192.168.1.50", DeviceSpec("tcp", host="192.168.1.50", port=9100)),
    ("tcp:printer.lan:9101", DeviceSpec("tcp", host="printer.lan", port=9101)),
    ("tcp:[fd00::5]:9100", DeviceSpec("tcp", host="fd00::5", port=9100)),
    ("file:/tmp/jobs.bin", DeviceSpec("file", path="/tmp/jobs.bin")),
])
def test_valid_device_strings(text, spec):
    assert parse_device(text) == spec


@pytest.mark.parametrize("text, why", [
    ("", "empty"),
    ("/dev/ttyUSB0", "missing the kind prefix"),
    ("serial:/dev/ttyUSB0", "PATH@BAUD"),
    ("serial:/dev/ttyUSB0@19000", "baud rate '19000'"),
    ("serial:/dev/ttyUSB0@9600,xonxoff", "xonxoff"),
    ("serial:/dev/ttyUSB0@9600,hardware", "flow control 'hardware'"),
    ("usb:04b8", "VID:PID"),
    ("usb:04b8:zz15", "product id 'zz15'"),
    ("usb:04b8:0e15:01:81", "IN endpoint"),
    ("tcp:", "HOST"),
    ("tcp:host:99999", "port 99999"),
    ("file:", "path"),
    ("lpt:1", "unknown kind 'lpt'"),
])
def test_malformed_device_strings_name_the_string_and_the_forms(text, why):
    with pytest.raises(ValueError) as e:
        parse_device(text)
    message = str(e.value)
    assert repr(text) in message and why in message
    assert "serial:/dev/ttyUSB0@19200" in message and "usb:04b8:0e15" in message and "tcp:" in message


def test_every_transport_module_is_a_registered_kind():
    """A new transport is one module declaring KIND: forgetting to list it in KINDS fails here."""
    import pkgutil

    import printer.transports as package
    from printer.device import KINDS

    declared = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = __import__(f"printer.transports.{info.name}", fromlist=["KIND"])
        if hasattr(module, "KIND"):
            declared[module.KIND.name] = module.KIND
    assert declared == KINDS
    for kind in KINDS.values():  # each kind's own syntax example parses as that kind
        example = kind.syntax.split("[")[0]
        assert parse_device(example).kind == kind.name, example
