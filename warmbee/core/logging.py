"""Log filter that keeps personal data and forged lines out of logs (R19)."""

from __future__ import annotations

import logging
import re

from . import context

ID_NUMBER_RE = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dXx])(?!\d)")
MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86)?(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def scrub(text: str) -> str:
    text = ID_NUMBER_RE.sub(lambda m: m.group(1) + "********" + m.group(3)[-1:].rjust(4, "*"), text)
    text = MOBILE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    # Neutralise log injection: a newline in user input must not start a forged line.
    return text.replace("\r", "\\r").replace("\n", "\\n")


class ScrubPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            message = str(record.msg)
        scrubbed = scrub(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text).replace("\\n", "\n")
        record.msg, record.args = scrubbed, None
        return True
