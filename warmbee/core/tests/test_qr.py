"""QR codes and the A4 check-in poster."""

from __future__ import annotations

import io

import pytest
import segno
from PIL import Image

from warmbee.core import qr

URL = "https://warmbee.example.cn/s/QT7K2M"
POSTER = {
    "url": URL,
    "title": "齐齐哈尔市龙沙区户外劳动者暖蜂驿站",
    "subtitle": "龙沙区南航街道 · 全天开放",
    "footer": "扫码签到 · Scan to check in\n站点代码 QT7K2M",
}


def test_qr_png_is_segnos_own_rendering():
    expected = io.BytesIO()
    segno.make(URL, error="m", micro=False).save(expected, kind="png", scale=10)
    assert qr.qr_png(URL) == expected.getvalue()
    img = Image.open(io.BytesIO(qr.qr_png(URL, scale=3)))
    assert img.format == "PNG"
    assert img.size[0] == img.size[1] == segno.make_qr(URL).symbol_size(scale=3)[0]


def test_short_data_is_never_micro_qr():
    assert qr._qr("A1").designator.startswith(("1", "2", "3"))  # a version, not "M1".."M4"
    assert qr._qr("A1").error in {"M", "Q", "H"}


def test_qr_svg():
    svg = qr.qr_svg(URL)
    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert "<?xml" not in svg and "<script" not in svg


def test_poster_png_is_a4_at_150_dpi():
    img = Image.open(io.BytesIO(qr.poster_png(**POSTER)))
    assert img.format == "PNG"
    assert img.size == qr.POSTER_SIZE == (1240, 1754)
    assert round(img.info["dpi"][0]) == 150
    # Something is drawn in the title area, the code area and the footer area.
    for box in ((0, 0, 1240, 300), (150, 500, 1090, 1300), (0, 1500, 1240, 1754)):
        assert img.convert("L").crop(box).getextrema()[0] < 64, box


def test_poster_pdf():
    pdf = qr.poster_pdf(**POSTER)
    assert pdf.startswith(b"%PDF")
    assert b"/MediaBox [ 0 0 595.2 841.92 ]" in pdf  # A4 in points: 1240x1754 px at 150 dpi


def test_poster_with_only_a_url_and_a_very_long_title():
    img = Image.open(io.BytesIO(qr.poster_png(url=URL, title="")))
    assert img.size == (1240, 1754)
    long = qr.poster_png(url=URL + "?" + "x" * 300, title="暖蜂驿站" * 40, footer="A\nB\nC")
    assert Image.open(io.BytesIO(long)).size == (1240, 1754)


def test_poster_falls_back_to_the_default_font(monkeypatch):
    monkeypatch.setattr(qr, "find_cjk_font", lambda **kwargs: None)
    img = Image.open(io.BytesIO(qr.poster_png(**POSTER)))
    assert img.size == (1240, 1754)
    assert qr.poster_pdf(**POSTER).startswith(b"%PDF")


def test_font_lookup_prefers_the_environment(monkeypatch, tmp_path):
    qr.find_cjk_font.cache_clear()
    monkeypatch.setenv("WARMBEE_CJK_FONT", str(tmp_path / "missing.ttf"))
    try:
        found = qr.find_cjk_font()  # a missing file is skipped, not an error
        assert found is None or found[0] != str(tmp_path / "missing.ttf")
        bogus = tmp_path / "bogus.ttf"
        bogus.write_bytes(b"not a font")
        monkeypatch.setenv("WARMBEE_CJK_FONT", str(bogus))
        qr.find_cjk_font.cache_clear()
        found = qr.find_cjk_font(bold=True)
        assert found is None or found[0] != str(bogus)
    finally:
        qr.find_cjk_font.cache_clear()


@pytest.mark.skipif(qr.find_cjk_font() is None, reason="no CJK font installed")
def test_noto_collection_uses_the_simplified_chinese_face():
    path, index = qr.find_cjk_font()
    if path.endswith("NotoSansCJK-Regular.ttc"):
        from PIL import ImageFont

        assert ImageFont.truetype(path, 12, index=index).getname()[0] == "Noto Sans CJK SC"
