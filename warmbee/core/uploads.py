"""The one image-upload mechanism (R32-R34): station photos, report photos, aid evidence.

An upload is checked by size, by magic bytes and by Pillow restricted to the same format, and
its pixel count is checked from the header before anything is decoded. The decoded pixels are
re-encoded (JPEG, or PNG when the image really uses transparency) without EXIF, XMP, ICC or
comments, and written atomically under ``MEDIA_ROOT`` with a random 128-bit name; the original
bytes never touch the disk here. Stored images are only ever served through an access-checked
view calling :func:`image_response`.

Every rejection is a ``DomainError`` naming the field and the rule; whatever the bytes, an
upload cannot make this module raise anything else (the fuzz corpus in the tests holds us to
it). Only a failing disk does.
"""

from __future__ import annotations

import io
import logging
import os
import re
import secrets
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

from .errors import DomainError, NotFound

log = logging.getLogger(__name__)

# Magic bytes -> the only Pillow format allowed to decode that file.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)
# libjpeg cannot encode a side longer than this.
MAX_SIDE = 65_500
_SUBDIR = re.compile(r"[a-z0-9_-]+(?:/[a-z0-9_-]+)*")
_NAME = re.compile(r"[a-z0-9_/-]+/[0-9a-f]{32}\.(jpg|png)")
_CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png"}
_ALPHA_MODES = {"RGBA", "LA", "PA"}


@dataclass(frozen=True)
class StoredImage:
    """A re-encoded image under ``MEDIA_ROOT``; ``name`` is what models keep."""

    name: str
    width: int
    height: int
    content_type: str
    size: int


def _sniff(head: bytes) -> str | None:
    for magic, fmt in _MAGIC:
        if head.startswith(magic):
            return fmt
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _webp_header_size(data: bytes) -> tuple[int, int] | None:
    """The canvas size from a WebP header: libwebp allocates the canvas when the decoder is
    created, inside ``Image.open``, so the pixel limit must be checked before that."""
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        w = int.from_bytes(data[26:28], "little") & 0x3FFF
        h = int.from_bytes(data[28:30], "little") & 0x3FFF
        return w, h
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _pixel_limit(fmt: str) -> int:
    """``UPLOAD_MAX_PIXELS``, halved for WebP: Pillow's WebP decoder holds the canvas, the frame
    bytes and the image at once, about twice the peak memory of JPEG or PNG (measured: 40 MP
    WebP ~610 MB over the worker's baseline, 40 MP JPEG ~270 MB)."""
    return settings.UPLOAD_MAX_PIXELS // (2 if fmt == "WEBP" else 1)


def _too_many_pixels(fmt: str, field: str) -> DomainError:
    limit = f"{_pixel_limit(fmt) / 1_000_000:g}"
    return DomainError(
        _("The image is larger than %(limit)s megapixels.") % {"limit": limit},
        code="upload_pixels",
        field=field,
    )


def _damaged(field: str) -> DomainError:
    return DomainError(
        _("The image could not be read; it may be damaged."), code="upload_damaged", field=field
    )


def _check_size(size: tuple[int, int], fmt: str, field: str) -> None:
    width, height = size
    if width * height > _pixel_limit(fmt):
        raise _too_many_pixels(fmt, field)
    if width > MAX_SIDE or height > MAX_SIDE:
        raise DomainError(
            _("The image is wider or taller than %(limit)s pixels.") % {"limit": MAX_SIDE},
            code="upload_dimensions",
            field=field,
        )


def _read_capped(upload, field: str) -> bytes:
    limit = settings.UPLOAD_MAX_BYTES
    too_large = DomainError(
        _("The file is larger than %(limit)s MB.") % {"limit": f"{limit / 1024 / 1024:g}"},
        code="upload_too_large",
        field=field,
    )
    if (getattr(upload, "size", None) or 0) > limit:
        raise too_large
    upload.seek(0)
    data = upload.read(limit + 1)  # never trust the declared size
    if len(data) > limit:
        raise too_large
    if not data:
        raise DomainError(_("The file is empty."), code="upload_empty", field=field)
    return data


def _open_clean(data: bytes, fmt: str, field: str) -> Image.Image:
    """Decode to upright RGB, or RGBA when some pixel is not fully opaque, without metadata.

    Each step rebinds the only reference, so at most two full-size copies are alive at once
    (R32's memory budget: a 40 MP JPEG peaks about 270 MB above the worker's baseline).
    """
    img = Image.open(io.BytesIO(data), formats=[fmt])
    _check_size(img.size, fmt, field)  # from the header, before any decoding
    img.load()  # a truncated file fails here (LOAD_TRUNCATED_IMAGES is off)
    try:
        ImageOps.exif_transpose(img, in_place=True)
    except Exception:  # noqa: BLE001 - a broken orientation tag is no reason to refuse a photo
        log.info("EXIF orientation ignored", exc_info=True)
    if img.mode in ("I", "F") or img.mode.startswith("I;16"):
        # 16-bit greyscale PNG: scale to 8 bits rather than clipping everything to white.
        img = img.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    target = "RGB"
    if img.mode in _ALPHA_MODES and img.getchannel("A").getextrema()[0] < 255:
        target = "RGBA"
    if img.mode != target:
        img = img.convert(target)
    img.info = {}  # Pillow's encoders copy ICC, XMP and comments from here
    return img


def _decode(data: bytes, fmt: str, field: str) -> tuple[bytes, str, tuple[int, int]]:
    """Decode and re-encode; returns (encoded bytes, extension, size)."""
    if fmt == "WEBP" and (size := _webp_header_size(data)) is not None:
        _check_size(size, fmt, field)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = _open_clean(data, fmt, field)
            out = io.BytesIO()
            if img.mode == "RGBA":
                img.save(out, format="PNG")
                ext = "png"
            else:
                img.save(out, format="JPEG", quality=85, optimize=True)
                ext = "jpg"
            return out.getvalue(), ext, img.size
        except DomainError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(fmt, field) from None
        except Exception:  # noqa: BLE001 - hostile bytes can trip any decoder error
            log.info("image upload rejected as unreadable (%s)", fmt, exc_info=True)
            raise _damaged(field) from None


def _write_atomic(directory: Path, filename: str, content: bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, directory / filename)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def image_store(*, upload, subdir: str, field: str = "photo") -> StoredImage:
    """Check, clean and store an uploaded image under ``MEDIA_ROOT/subdir`` (R32, R33).

    ``upload`` is any Django ``UploadedFile``. Raises ``DomainError`` (codes ``upload_too_large``,
    ``upload_empty``, ``upload_type``, ``upload_pixels``, ``upload_dimensions``,
    ``upload_damaged``) with ``field`` set, so forms can show the message next to the input.
    """
    if not _SUBDIR.fullmatch(subdir):
        raise ValueError(f"bad upload subdir {subdir!r}")
    data = _read_capped(upload, field)
    fmt = _sniff(data[:16])
    if fmt is None:
        raise DomainError(
            _("Only JPEG, PNG or WebP images are accepted."), code="upload_type", field=field
        )
    content, ext, (width, height) = _decode(data, fmt, field)
    del data
    filename = f"{secrets.token_hex(16)}.{ext}"
    _write_atomic(Path(settings.MEDIA_ROOT) / subdir, filename, content)
    return StoredImage(
        name=f"{subdir}/{filename}",
        width=width,
        height=height,
        content_type=_CONTENT_TYPES[ext],
        size=len(content),
    )


def _resolve(name: str) -> Path:
    """The file for a stored name; ``NotFound`` for anything that is not one of ours."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise NotFound(_("Not found."))
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise NotFound(_("Not found."))
    return path


def image_delete(name: str) -> None:
    """Remove a stored image; a missing file is fine, a malformed name raises ``NotFound``."""
    _resolve(name).unlink(missing_ok=True)


def image_response(name: str, *, download_name: str | None = None) -> FileResponse:
    """Serve a stored image from an access-checked view (R34). The caller checks access first;
    a malformed, escaping or missing name raises ``NotFound`` like any out-of-scope object."""
    path = _resolve(name)
    try:
        fh = path.open("rb")
    except OSError:
        raise NotFound(_("Not found.")) from None
    ext = path.suffix.lstrip(".")
    response = FileResponse(
        fh,
        content_type=_CONTENT_TYPES[ext],
        as_attachment=False,
        filename=download_name or path.name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, max-age=3600"
    return response
