"""QR codes (segno) and the printable check-in poster for a station.

Codes are always full QR (never Micro QR, which WeChat and Alipay scanners do not read) with
error correction M or better: segno raises the level when that costs no extra modules. The
poster is an A4 portrait raster at 150 dpi drawn with Pillow, delivered as PNG or as a one-page
PDF of the same raster.

Chinese text needs a CJK font. :func:`find_cjk_font` looks at ``WARMBEE_CJK_FONT`` in the
environment and then at the usual Debian and macOS paths (install ``fonts-noto-cjk`` on
servers). Without one the poster still renders with Pillow's default font, but Chinese
characters then come out as empty boxes; the QR code and the printed URL are unaffected.
"""

from __future__ import annotations

import io
import os
from functools import lru_cache

import segno
from PIL import Image, ImageDraw, ImageFont

# A4 portrait at 150 dpi.
POSTER_SIZE = (1240, 1754)
POSTER_DPI = 150
_MARGIN = 90
_QR_SIDE = 900  # the largest the code may be drawn, in pixels, quiet zone included

_REGULAR_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
)
_BOLD_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",)

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _qr(data: str) -> segno.QRCode:
    return segno.make(data, error="m", micro=False)


def qr_svg(data: str, *, scale: int = 4) -> str:
    """A standalone SVG (with ``xmlns``, no XML declaration) that also works inline in HTML."""
    out = io.BytesIO()
    _qr(data).save(out, kind="svg", scale=scale, xmldecl=False, svgns=True)
    return out.getvalue().decode()


def qr_png(data: str, *, scale: int = 10) -> bytes:
    """A black-on-white PNG with the standard four-module quiet zone."""
    out = io.BytesIO()
    _qr(data).save(out, kind="png", scale=scale)
    return out.getvalue()


def _face_index(path: str) -> int:
    """In a font collection prefer the Simplified Chinese face (Noto's .ttc starts with JP)."""
    for index in range(16):
        try:
            name = ImageFont.truetype(path, 12, index=index).getname()[0] or ""
        except OSError:
            break
        if name.endswith(" SC"):
            return index
    return 0


@lru_cache(maxsize=2)
def find_cjk_font(*, bold: bool = False) -> tuple[str, int] | None:
    """``(path, face index)`` of a font that covers Chinese, or ``None``. Looked up once per
    process, so set ``WARMBEE_CJK_FONT`` before the first poster is drawn."""
    candidates = [os.environ.get("WARMBEE_CJK_FONT", "")]
    candidates += list(_BOLD_FONTS if bold else ()) + list(_REGULAR_FONTS)
    for path in candidates:
        if not path or not os.path.isfile(path):
            continue
        try:
            index = _face_index(path) if path.endswith(".ttc") else 0
            ImageFont.truetype(path, 12, index=index)
        except OSError:
            continue
        return path, index
    return None


def _font(size: int, *, bold: bool = False) -> Font:
    found = find_cjk_font(bold=bold)
    if found is not None:
        return ImageFont.truetype(found[0], size, index=found[1])
    return ImageFont.load_default(size=size)


def _width(draw: ImageDraw.ImageDraw, text: str, font: Font) -> float:
    left, _, right, _ = draw.textbbox((0, 0), text, font=font)
    return right - left


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> list[str]:
    """Break by character (Chinese has no spaces), preferring spaces when there are some."""
    lines: list[str] = []
    line = ""
    for char in text:
        if _width(draw, line + char, font) <= width:
            line += char
            continue
        head, space, tail = line.rpartition(" ")
        if space and head:
            lines.append(head)
            line = tail + char
        else:
            lines.append(line)
            line = char
    return [*lines, line] if line else lines


class _Block:
    """Lines of centred text, sized to the page width: the type shrinks before it wraps."""

    def __init__(
        self, draw: ImageDraw.ImageDraw, text: str, *, size: int, min_size: int, bold: bool
    ):
        width = POSTER_SIZE[0] - 2 * _MARGIN
        paragraphs = [p for p in text.splitlines() if p.strip()]
        font = _font(size, bold=bold)
        while size > min_size and any(_width(draw, p, font) > width for p in paragraphs):
            size = max(min_size, int(size * 0.9))
            font = _font(size, bold=bold)
        self.draw, self.font, self.step = draw, font, size * 4 // 3
        self.lines = [line for p in paragraphs for line in _wrap(draw, p, font, width)]
        self.height = self.step * len(self.lines)

    def render(self, top: int) -> int:
        for line in self.lines:
            left, _, right, _ = self.draw.textbbox((0, 0), line, font=self.font)
            x = (POSTER_SIZE[0] - (right - left)) / 2 - left
            self.draw.text((x, top), line, font=self.font, fill=0)
            top += self.step
        return top


def _poster(*, url: str, title: str, subtitle: str, footer: str) -> Image.Image:
    page = Image.new("L", POSTER_SIZE, 255)
    draw = ImageDraw.Draw(page)
    top = _Block(draw, title, size=110, min_size=56, bold=True).render(_MARGIN + 20)
    top = _Block(draw, subtitle, size=52, min_size=32, bold=False).render(top + 10)
    link = _Block(draw, url, size=28, min_size=18, bold=False)
    notes = _Block(draw, footer, size=56, min_size=30, bold=False)
    bottom = POSTER_SIZE[1] - _MARGIN - notes.height

    # The code takes what is left between the headings and the footer, up to _QR_SIDE.
    room = bottom - top - 2 * 40 - link.height
    qr = _qr(url)
    scale = max(1, min(_QR_SIDE, room) // qr.symbol_size(scale=1)[0])
    code = Image.open(io.BytesIO(qr_png(url, scale=scale))).convert("L")
    qr_top = top + 40 + max(0, (room - code.height) // 2)
    page.paste(code, ((POSTER_SIZE[0] - code.width) // 2, qr_top))
    link.render(qr_top + code.height)
    notes.render(bottom)
    return page


def poster_png(*, url: str, title: str, subtitle: str = "", footer: str = "") -> bytes:
    """The check-in poster as a 1240x1754 PNG (A4 at 150 dpi). ``footer`` may hold several
    lines, e.g. "扫码签到 · Scan to check in" and the station's short code."""
    out = io.BytesIO()
    _poster(url=url, title=title, subtitle=subtitle, footer=footer).save(
        out, format="PNG", dpi=(POSTER_DPI, POSTER_DPI), optimize=True
    )
    return out.getvalue()


def poster_pdf(*, url: str, title: str, subtitle: str = "", footer: str = "") -> bytes:
    """The same poster as a one-page A4 PDF (the raster at 150 dpi, JPEG quality 95)."""
    out = io.BytesIO()
    _poster(url=url, title=title, subtitle=subtitle, footer=footer).save(
        out, format="PDF", resolution=POSTER_DPI, quality=95
    )
    return out.getvalue()
