"""A GBK CSV some of whose lines are also valid UTF-8 (SYNTHETIC figures): read as GBK, not refused as mixed."""

import pytest

from index.errors import SubmissionError
from index.ingest import _decode_text, _reads_as_utf8


def test_gbk_pair_that_is_valid_utf8_reads_as_gbk():
    # 突泉 in GBK is CD BB C8 AA, also UTF-8 for "ͻȪ" (a Greek letter): a GBK misread, not a UTF-8 line
    line = "突泉,12.5".encode("gbk")
    assert line.decode("utf-8") == "ͻȪ,12.5"
    assert not _reads_as_utf8(line)


def test_gbk_file_with_such_a_line_is_read_whole():
    text = "旗县（市、区）,5G用户普及率（%）\n突泉,12.5\n扎赉特旗,13.1\n"
    assert _decode_text("2024_兴安盟统计局_旗县.csv", text.encode("gbk")) == text


def test_a_real_utf8_line_in_a_gbk_file_is_still_refused_by_line():
    data = "旗县,值\n".encode("gbk") + "突泉县,1\n".encode() + "扎赉特旗,2\n".encode("gbk")
    with pytest.raises(SubmissionError) as info:
        _decode_text("mixed.csv", data)
    [problem] = info.value.problems
    assert problem.row == 2 and "UTF-8 while the rest of the file is GBK" in problem.message


def test_latin1_signs_alone_cannot_be_told_apart_and_stay_utf8():
    # "m²" in UTF-8 (C2 B2) is also GBK (虏): nothing says which, so the line is not silently read as GBK
    line = "面积m²".encode()[len("面积".encode()) :]
    assert _reads_as_utf8(line)
