import pytest

from printer import PrinterModel


def test_epson_80mm_defaults_from_profile():
    m = PrinterModel.from_config("TM-T20II", 80)
    assert (m.dots, m.columns) == (576, 48)
    assert m.native_qr and m.cutter and m.status and m.graphics
    assert m.max_text_size == 8 and m.nv_logo_key is None


def test_58mm_clone_profile_has_no_qr_and_no_cutter():
    m = PrinterModel.from_config("POS-5890", 58)
    assert (m.dots, m.columns) == (384, 32)
    assert not m.native_qr and not m.cutter


def test_flags_override_profile():
    m = PrinterModel.from_config("POS-5890", 58, native_qr=True, cutter=True, status=False,
                                 max_text_size=4, nv_logo_key="LG")
    assert m.native_qr and m.cutter and not m.status
    assert m.max_text_size == 4 and m.nv_logo_key == "LG"


@pytest.mark.parametrize("kwargs, named", [
    (dict(profile="TM-T20III", paper_mm=80), "'TM-T20III'"),
    (dict(profile="TM-T20II", paper_mm=76), "76"),
    (dict(profile="TM-T20II", paper_mm=80, max_text_size=9), "9"),
    (dict(profile="TM-T20II", paper_mm=80, max_text_size=0), "0"),
    (dict(profile="TM-T20II", paper_mm=80, nv_logo_key="LOGO"), "'LOGO'"),
    (dict(profile="TM-T20II", paper_mm=80, nv_logo_key="L\x01"), "'L\\x01'"),
    (dict(profile="TM-T20II", paper_mm=80, cutter="yes"), "'yes'"),
    (dict(profile="TM-T20II", paper_mm=80, columns=60), "60"),
])
def test_bad_values_raise_value_error_naming_the_value(kwargs, named):
    with pytest.raises(ValueError) as e:
        PrinterModel.from_config(kwargs.pop("profile"), kwargs.pop("paper_mm"), **kwargs)
    assert named in str(e.value)


def test_unknown_profile_error_lists_known_ones():
    with pytest.raises(ValueError, match="TM-T20II"):
        PrinterModel.from_config("TM-T20III", 80)
