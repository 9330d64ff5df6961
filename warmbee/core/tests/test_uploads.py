"""R32-R34: image uploads are checked, cleaned, stored under random names and served safely."""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
import zlib
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import ExifTags, Image, ImageCms

from warmbee.core.errors import DomainError, NotFound
from warmbee.core.uploads import image_delete, image_response, image_store

NAME = re.compile(r"stations/[0-9a-f]{32}\.(jpg|png)")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    settings.UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    settings.UPLOAD_MAX_PIXELS = 40_000_000
    return root


def files_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **params)
    return out.getvalue()


def noise(size: tuple[int, int] = (64, 48), seed: int = 7) -> Image.Image:
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def grey1_png(width: int, height: int, *, with_data: bool = True) -> bytes:
    """A 1-bit greyscale PNG of one colour, written by hand so 100 MP costs no memory."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    parts = [b"\x89PNG\r\n\x1a\n", png_chunk(b"IHDR", ihdr)]
    if with_data:
        row = b"\x00" * (1 + (width + 7) // 8)
        z = zlib.compressobj(9)
        idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
        parts.append(png_chunk(b"IDAT", idat))
    parts.append(png_chunk(b"IEND", b""))
    return b"".join(parts)


def stored(media: Path, name: str) -> Image.Image:
    img = Image.open(media / name)
    img.load()
    return img


def assert_clean(media: Path, name: str) -> Image.Image:
    """The stored file is one of our re-encodes: JPEG/PNG, no metadata at all."""
    raw = (media / name).read_bytes()
    img = stored(media, name)
    assert img.format in {"JPEG", "PNG"}
    assert not img.getexif()
    for key in ("exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp"):
        assert key not in img.info
    for marker in (b"Exif\x00", b"ICC_PROFILE", b"http://ns.adobe.com/xap", b"<script", b"<html"):
        assert marker not in raw
    return img


def refused(data: bytes, code: str, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        image_store(upload=upload(data), subdir="stations", **kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


# --- accepted and re-encoded ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_valid_images_are_stored_as_a_clean_reencode(media, fmt):
    data = encode(noise(), fmt)
    result = image_store(upload=upload(data), subdir="stations")
    assert NAME.fullmatch(result.name)
    assert (result.width, result.height) == (64, 48)
    assert result.content_type == "image/jpeg"
    path = media / result.name
    assert result.size == path.stat().st_size
    assert path.read_bytes() != data
    assert assert_clean(media, result.name).format == "JPEG"


def test_names_are_random(media):
    data = encode(noise(), "JPEG")
    a = image_store(upload=upload(data), subdir="stations")
    b = image_store(upload=upload(data), subdir="stations")
    assert a.name != b.name
    assert len(files_in(media)) == 2  # no temp files left behind


def test_gps_exif_icc_xmp_and_comment_are_stripped_and_orientation_applied(media):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # rotate 90 degrees to display
    exif[ExifTags.Base.Make] = "PhoneCo"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update({1: "N", 2: (45.0, 30.0, 15.0), 3: "E", 4: (126.0, 38.0, 0.0)})
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(
        noise((40, 20)),
        "JPEG",
        exif=exif,
        icc_profile=icc,
        xmp=b"<x:xmpmeta>secret</x:xmpmeta>",
        comment=b"taken at home",
    )
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test file really has GPS

    result = image_store(upload=upload(data), subdir="stations")
    img = assert_clean(media, result.name)
    assert not img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert img.size == (20, 40) == (result.width, result.height)
    assert b"taken at home" not in (media / result.name).read_bytes()


def test_cmyk_jpeg_is_stored_as_rgb(media):
    data = encode(Image.new("CMYK", (30, 30), (0, 255, 255, 0)), "JPEG")
    result = image_store(upload=upload(data), subdir="stations")
    img = assert_clean(media, result.name)
    assert img.mode == "RGB"
    r, g, b = img.getpixel((15, 15))
    assert r > 200 and g < 60 and b < 60


def test_16_bit_png_is_scaled_not_clipped(media):
    data = encode(Image.new("I;16", (30, 30), 32768), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    result = image_store(upload=upload(data, "x.png"), subdir="stations")
    img = assert_clean(media, result.name)
    assert all(120 <= v <= 135 for v in img.getpixel((15, 15)))


def test_transparency_is_kept_as_png(media):
    for img in (
        Image.new("RGBA", (20, 20), (255, 0, 0, 128)),
        Image.new("LA", (20, 20), (128, 0)),
    ):
        result = image_store(upload=upload(encode(img, "PNG")), subdir="stations")
        assert result.content_type == "image/png"
        assert assert_clean(media, result.name).mode == "RGBA"


def test_palette_with_transparency_and_opaque_rgba(media):
    pal = Image.new("P", (20, 20), 0)
    pal.info["transparency"] = 0
    result = image_store(upload=upload(encode(pal, "PNG", transparency=0)), subdir="stations")
    assert result.name.endswith(".png")
    # An alpha channel that is fully opaque is dropped: the photo is stored as JPEG.
    opaque = Image.new("RGBA", (20, 20), (1, 2, 3, 255))
    assert image_store(upload=upload(encode(opaque, "PNG")), subdir="stations").name.endswith(
        ".jpg"
    )


def test_jpeg_html_polyglot_is_reencoded_clean(media):
    html = b"<html><script>alert(document.cookie)</script></html>"
    data = encode(noise(), "JPEG", comment=html) + html
    result = image_store(upload=upload(data), subdir="stations")
    assert_clean(media, result.name)


def test_long_thin_images(media):
    ok = image_store(upload=upload(encode(Image.new("L", (65500, 1)), "PNG")), subdir="stations")
    assert (ok.width, ok.height) == (65500, 1)
    refused(encode(Image.new("L", (65535, 1)), "PNG"), "upload_dimensions")
    assert len(files_in(media)) == 1


# --- refused --------------------------------------------------------------------------------


@pytest.mark.parametrize("factor", [1, 2, 5])
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_decompression_bombs_are_refused(settings, media, fmt, factor):
    settings.UPLOAD_MAX_PIXELS = 10_000
    bomb = encode(Image.new("L", (100 * factor, 101)), fmt)  # just over factor x the limit
    error = refused(bomb, "upload_pixels")
    assert error.field == "photo"
    limit = "0.005" if fmt == "WEBP" else "0.01"  # WebP gets half the budget
    assert str(error.message) == f"The image is larger than {limit} megapixels."
    assert files_in(media) == []


@pytest.mark.parametrize("fmt, height", [("PNG", 100), ("JPEG", 100), ("WEBP", 50)])
def test_image_exactly_at_the_pixel_limit_is_accepted(settings, media, fmt, height):
    settings.UPLOAD_MAX_PIXELS = 10_000
    data = encode(Image.new("L", (100, height)), fmt)
    result = image_store(upload=upload(data), subdir="s")
    assert (result.width, result.height) == (100, height)
    refused(encode(Image.new("L", (100, height + 1)), fmt), "upload_pixels")


def test_real_100_megapixel_png_is_refused_before_decoding(media):
    bomb = grey1_png(10_000, 10_000)
    assert len(bomb) < 100_000
    # Refused from the header: Image.open never allocates the 100-megapixel buffer.
    with mock.patch.object(Image.Image, "load", side_effect=AssertionError("decoded")):
        refused(bomb, "upload_pixels")
    assert files_in(media) == []


def test_pixel_limit_is_checked_from_the_header(media):
    # No pixel data at all: if we decoded first this would be "damaged", not "pixels".
    refused(grey1_png(50_000, 50_000, with_data=False), "upload_pixels")
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00" * 4 + (16382).to_bytes(3, "little") * 2
    webp = b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x
    refused(webp, "upload_pixels")


def test_truncated_jpeg(media):
    data = encode(noise((256, 256)), "JPEG")
    refused(data[: len(data) // 2], "upload_damaged")
    assert files_in(media) == []


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"<html><body>hi</body></html>",
        b"SIMPLE  =                    T" + b" " * 2850 + b"\x00" * 2880,  # FITS
        b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"%PDF-1.4\n",
    ],
    ids=["svg-script", "svg-onload", "html", "fits", "gif", "pdf"],
)
def test_other_types_are_refused(media, data):
    error = refused(data, "upload_type", field="evidence")
    assert error.field == "evidence"
    assert str(error.message) == "Only JPEG, PNG or WebP images are accepted."


def test_zip_renamed_jpg(media):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("photo.jpg", encode(noise(), "JPEG"))
    with pytest.raises(DomainError) as caught:
        image_store(upload=upload(buf.getvalue(), "photo.jpg"), subdir="stations")
    assert caught.value.code == "upload_type"


def test_bmp_and_tiff_are_refused_even_though_pillow_reads_them(media):
    refused(encode(noise(), "BMP"), "upload_type")
    refused(encode(noise(), "TIFF"), "upload_type")


def test_magic_and_decoder_must_agree(media):
    # PNG magic followed by a JPEG body: Pillow may only try the PNG decoder.
    refused(b"\x89PNG\r\n\x1a\n" + encode(noise(), "JPEG"), "upload_damaged")


def test_empty_file(media):
    refused(b"", "upload_empty")


def test_file_over_the_byte_limit(settings, media):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    data = b"\xff\xd8\xff" + bytes(1024 * 1024)
    error = refused(data, "upload_too_large")
    assert str(error.message) == "The file is larger than 1 MB."
    # A lying size attribute does not help: at most limit + 1 bytes are read.
    lying = upload(data)
    lying.size = 10
    with pytest.raises(DomainError) as caught:
        image_store(upload=lying, subdir="stations")
    assert caught.value.code == "upload_too_large"
    assert files_in(media) == []


def test_bad_subdir_is_a_programming_error(media):
    with pytest.raises(ValueError):
        image_store(upload=upload(encode(noise(), "JPEG")), subdir="../etc")


# --- fuzz corpus ----------------------------------------------------------------------------


@pytest.fixture
def corpus() -> list[tuple[str, bytes]]:
    rng = random.Random(20250112)
    jpeg = encode(noise((48, 32)), "JPEG")
    png = encode(noise((24, 24)), "PNG")
    webp = encode(noise((24, 24)), "WEBP")
    files = [
        ("jpeg", jpeg),
        ("png", png),
        ("webp", webp),
        ("empty", b""),
        ("one-byte", b"\xff"),
        ("jpeg-magic-only", b"\xff\xd8\xff"),
        ("png-signature-only", b"\x89PNG\r\n\x1a\n"),
        ("riff-webp-only", b"RIFF\x00\x00\x00\x00WEBP"),
        ("svg", b"<svg onload=alert(1)>"),
        ("png-header-no-data", grey1_png(4, 4, with_data=False)),
    ]
    files += [(f"jpeg-cut-{n}", jpeg[:n]) for n in (4, 20, 200, len(jpeg) - 2)]
    files += [(f"png-cut-{n}", png[:n]) for n in (16, 40, len(png) - 13)]
    files += [(f"webp-cut-{n}", webp[:n]) for n in (16, 31, len(webp) // 2)]
    for label, base, count in (("jpeg", jpeg, 30), ("png", png, 8), ("webp", webp, 8)):
        for i in range(count):
            data = bytearray(base)
            for _ in range(rng.randint(1, 24)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            files.append((f"{label}-mutant-{i}", bytes(data)))
    return files


def test_fuzz_corpus_stores_clean_images_or_raises_domain_error(media, corpus):
    assert len(corpus) >= 30
    outcomes = {"stored": 0, "refused": 0}
    for label, data in corpus:
        before = set(files_in(media))
        try:
            result = image_store(upload=upload(data), subdir="fuzz")
        except DomainError as error:
            assert error.code.startswith("upload_"), label
            assert set(files_in(media)) == before, label
            outcomes["refused"] += 1
        else:
            assert NAME.fullmatch(result.name.replace("fuzz/", "stations/")), label
            assert_clean(media, result.name)
            assert set(files_in(media)) - before == {media / result.name}, label
            outcomes["stored"] += 1
    assert outcomes["stored"] >= 3 and outcomes["refused"] >= 10, outcomes
    assert not [p for p in files_in(media) if p.name.startswith(".upload-")]


# --- serving and deleting -------------------------------------------------------------------


@pytest.mark.django_db
def test_image_response_headers(media):
    result = image_store(upload=upload(encode(noise(), "JPEG")), subdir="stations")
    response = image_response(result.name)
    try:
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
        assert response["Cache-Control"] == "private, max-age=3600"
        filename = result.name.rsplit("/", 1)[1]
        assert response["Content-Disposition"] == f'inline; filename="{filename}"'
        assert b"".join(response.streaming_content) == (media / result.name).read_bytes()
    finally:
        response.close()
    response = image_response(result.name, download_name="站点.jpg")
    response.close()
    assert response["Content-Disposition"].startswith("inline; filename*=utf-8''")


@pytest.mark.django_db
def test_png_is_served_as_png(media):
    result = image_store(
        upload=upload(encode(Image.new("RGBA", (5, 5)), "PNG")), subdir="reports/2025"
    )
    response = image_response(result.name, download_name="photo.png")
    response.close()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="photo.png"'


def test_image_response_refuses_traversal_and_unknown_names(media, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    hexname = "0123456789abcdef0123456789abcdef.jpg"
    (outside / hexname).write_bytes(encode(noise(), "JPEG"))
    media.mkdir()
    (media / "escape").symlink_to(outside)
    for name in (
        "../x",
        "../outside/" + hexname,
        str(outside / hexname),  # absolute path
        "escape/" + hexname,  # symlink out of MEDIA_ROOT
        "stations/" + hexname,  # well formed but unknown
        "stations/" + hexname + "\n",
        "stations/" + hexname.upper(),
        "stations/x.jpg",
        "stations/" + hexname.replace(".jpg", ".svg"),
        "",
    ):
        with pytest.raises(NotFound):
            image_response(name)


def test_image_delete(media):
    result = image_store(upload=upload(encode(noise(), "JPEG")), subdir="stations")
    image_delete(result.name)
    assert not (media / result.name).exists()
    image_delete(result.name)  # already gone: fine
    with pytest.raises(NotFound):
        image_delete("../settings.py")
    with pytest.raises(NotFound):
        image_delete("/etc/0123456789abcdef0123456789abcdef.jpg")


def test_broken_exif_orientation_does_not_refuse_the_photo(media, monkeypatch):
    def broken(img):
        raise SyntaxError("bad EXIF")

    monkeypatch.setattr("warmbee.core.uploads.ImageOps.exif_transpose", broken)
    result = image_store(upload=upload(encode(noise(), "JPEG")), subdir="stations")
    assert_clean(media, result.name)
