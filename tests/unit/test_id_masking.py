"""ID numbers are masked in every text reunite writes: also when the cell holds them in full-width
digits (as Chinese input methods and some exports write them) or grouped 6-8-4 with spaces or
hyphens -- the forms normalize reads as the same ID number."""

from __future__ import annotations

import pytest

from reunite.ingest._safe import mask_id_numbers

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ID18, ID15 = "11010519491231002X", "110105491231002"


@pytest.mark.parametrize("written", [
    ID18.translate(FULL_WIDTH),
    ID15.translate(FULL_WIDTH),
    "110105 19491231 002X",
    "110105-19491231-002X",
    "１１０１０５　１９４９１２３１　００２Ｘ",
    "110105 491231 002",
])
def test_an_id_number_however_written_is_masked(written: str) -> None:
    for text in (written, f"身份证：{written}，左耳后有痣", f"P7,{written},王芳"):
        masked = mask_id_numbers(text)
        assert "1949" not in masked.translate(str.maketrans("０１２３４５６７８９", "0123456789")), masked
        assert "491231" not in masked.replace(" ", "").replace("-", ""), masked
        assert masked.replace("*", "") != text


@pytest.mark.parametrize("text", ["case 2019-000123", "电话 138 1234 5678", "P0000001", "１２３４５",
                                  "110105 19491331 002X", "2001-2003 1990-1995"])
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_id_numbers(text) == text
