"""USB cannot be exercised for real here: parsing is tested elsewhere, and here, against a mock
specced to pyusb's Device, that every timeout reaches pyusb in milliseconds and never as 0."""
from unittest import mock

import pytest
import usb.core

from printer import PRINTED, PrinterModel, commands, encode_ticket, open_printer
from printer.status import encode_paper_reply, encode_realtime
from printer.transports.usb import UsbTransport, ms


def test_ms_never_rounds_to_pyusbs_forever():
    assert ms(0.3) == 300 and ms(5) == 5000 and ms(0.0001) == 1 and ms(0) == 1


@pytest.fixture
def device():
    dev = mock.create_autospec(usb.core.Device, instance=True)
    dev.is_kernel_driver_active.return_value = False
    replies = [encode_realtime("ready"), encode_paper_reply("ready")]
    dev.read.side_effect = lambda ep, n, timeout: bytearray(replies.pop(0)) if replies else bytearray()
    dev.write.side_effect = lambda ep, data, timeout: len(data)
    with mock.patch("usb.core.find", return_value=dev) as find, mock.patch("usb.util.claim_interface"), \
            mock.patch("usb.util.release_interface"), mock.patch("usb.util.dispose_resources"):
        yield dev, find


def test_print_over_usb_passes_timeouts_in_ms(device, make_ticket):
    dev, find = device
    model = PrinterModel.from_config("TM-T20II", 80)
    ticket = encode_ticket(make_ticket(), model)
    with open_printer("usb:04b8:0e15:81:01", model, status_timeout=0.3, write_timeout=5.0,
                      confirm_timeout=4.0) as p:
        assert p.print(ticket).outcome == PRINTED
    find.assert_called_once_with(idVendor=0x04B8, idProduct=0x0E15)
    writes = dev.write.call_args_list
    assert writes[0] == mock.call(0x01, commands.STATUS_QUERY, timeout=300)
    assert writes[1] == mock.call(0x01, ticket + commands.PAPER_STATUS_AFTER_JOB, timeout=5000)
    read_timeouts = [c.kwargs["timeout"] for c in dev.read.call_args_list]
    assert read_timeouts[0] <= 300 and all(isinstance(t, int) and t >= 1 for t in read_timeouts)
    assert all(c.args[0] == 0x81 for c in dev.read.call_args_list)


def test_absent_usb_printer_is_offline_with_a_hint():
    with mock.patch("usb.core.find", return_value=None):
        t = UsbTransport(0x04B8, 0x0E15)
        with pytest.raises(Exception) as e:
            t.open(1.0)
    assert "no USB device 04b8:0e15 found" in str(e.value)


def test_usb_write_timeout_is_reported_as_a_stall(device):
    dev, _ = device
    dev.write.side_effect = usb.core.USBTimeoutError("timeout")
    t = UsbTransport(0x04B8, 0x0E15, 0x81, 0x01)
    t.open(1.0)
    with pytest.raises(Exception, match="stopped accepting data"):
        t.write(b"x", 0.5)
    assert dev.write.call_args.kwargs["timeout"] == 500


def test_an_interface_claimed_by_another_program_is_busy_not_broken(device):
    import errno

    from printer.transports import DeviceBusy, OpenError

    with mock.patch("usb.util.claim_interface", side_effect=usb.core.USBError("busy", errno=errno.EBUSY)):
        with pytest.raises(DeviceBusy, match="in use by another program"):
            UsbTransport(0x04B8, 0x0E15).open(1.0)
    with mock.patch("usb.util.claim_interface", side_effect=usb.core.USBError("denied", errno=errno.EACCES)):
        with pytest.raises(OpenError) as denied:
            UsbTransport(0x04B8, 0x0E15).open(1.0)
    assert not isinstance(denied.value, DeviceBusy) and "udev rule" in denied.value.detail
