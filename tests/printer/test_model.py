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


@pytest.mark.parametrize("profile, paper, dots, dpi, cols, cols_b", [
    ("TM-T20II", 80, 576, 203, 48, 64),
    ("TM-T20II", 58, 384, 203, 32, 42),
    ("TM-T88V", 80, 512, 180, 42, 56),  # issue 16: 42 columns, not 48
    ("POS-5890", 58, 384, 203, 32, 42),
    ("ZJ-5870", 58, 384, 203, 32, None),  # no Font B in its profile
    ("default", 80, 576, 203, 42, 56),  # generic: the profile's conservative count
])
def test_dots_and_columns_come_from_the_profile(profile, paper, dots, dpi, cols, cols_b):
    m = PrinterModel.from_config(profile, paper)
    assert (m.dots, m.dpi, m.columns, m.font_b_columns) == (dots, dpi, cols, cols_b)


def test_columns_override_may_narrow_but_never_widen_the_profile():
    assert PrinterModel.from_config("TM-T88V", 80, columns=40).columns == 40
    with pytest.raises(ValueError) as e:
        PrinterModel.from_config("TM-T88V", 80, columns=48)
    assert e.value.option == "columns"
    assert "TM-T88V profile prints 42 Font A columns (512 dots at 180 dpi) on 80 mm paper" in str(e.value)


def test_smoothing_only_for_epson_profiles():
    assert PrinterModel.from_config("TM-T20II", 80).smoothing
    assert not PrinterModel.from_config("POS-5890", 58).smoothing
