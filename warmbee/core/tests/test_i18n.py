"""Simplified Chinese catalogue: complete, compiled, and actually used by the pages."""

from __future__ import annotations

import ast
import gettext
import shutil
import subprocess
from pathlib import Path

import pytest

LC_MESSAGES = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"


def _parse_po(path: Path) -> list[dict]:
    """A deliberately small .po reader: enough for Django's makemessages output.

    Returns one dict per entry (header included) with ``flags``, ``msgid``, ``msgid_plural``
    and ``msgstr`` (a list: one item, or one per plural form). Obsolete ``#~`` entries are skipped.
    """
    entries: list[dict] = []
    entry: dict | None = None
    key: str | None = None

    def new_entry() -> dict:
        return {"flags": set(), "msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": {}}

    def finish() -> None:
        nonlocal entry, key
        if entry is not None and entry["msgid"] is not None:
            entry["msgstr"] = [entry["msgstr"][i] for i in sorted(entry["msgstr"])]
            entries.append(entry)
        entry, key = None, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if entry is not None and entry["msgid"] is not None:
                finish()
            if entry is None:
                entry = new_entry()
            if line.startswith("#,"):
                entry["flags"].update(f.strip() for f in line[2:].split(","))
            continue
        if entry is None:
            entry = new_entry()
        if line.startswith('"'):
            value = ast.literal_eval(line)
            if key.startswith("msgstr"):
                index = int(key[7:-1]) if "[" in key else 0
                entry["msgstr"][index] += value
            else:
                entry[key] += value
            continue
        keyword, _, rest = line.partition(" ")
        value = ast.literal_eval(rest)
        if keyword.startswith("msgstr"):
            if entry["msgid"] is None:
                raise AssertionError(f"msgstr without msgid in {path}: {raw!r}")
            index = int(keyword[7:-1]) if "[" in keyword else 0
            entry["msgstr"][index] = value
        elif keyword in ("msgctxt", "msgid", "msgid_plural"):
            if entry["msgid"] is not None and keyword in ("msgctxt", "msgid"):
                finish()
                entry = new_entry()
            entry[keyword] = value
        else:
            raise AssertionError(f"Unexpected line in {path}: {raw!r}")
        key = keyword
    finish()
    return entries


def _mo_catalog(path: Path) -> dict:
    with path.open("rb") as fh:
        return dict(gettext.GNUTranslations(fh)._catalog)


def test_po_and_mo_exist():
    assert PO.is_file(), f"{PO} is missing: run makemessages -l zh_Hans"
    assert MO.is_file(), f"{MO} is missing: run compilemessages -l zh_Hans"


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = _parse_po(PO)
    header, messages = entries[0], entries[1:]
    assert header["msgid"] == ""
    assert "fuzzy" not in header["flags"], "The .po header is still marked fuzzy"
    header_text = header["msgstr"][0]
    assert "Language: zh_Hans\n" in header_text
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header_text
    assert messages, "The catalogue has no messages"

    untranslated = [e["msgid"] for e in messages if not all(s.strip() for s in e["msgstr"])]
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    wrong_plurals = [
        e["msgid"] for e in messages if e["msgid_plural"] is not None and len(e["msgstr"]) != 1
    ]
    assert not untranslated, f"Untranslated messages: {untranslated}"
    assert not fuzzy, f"Fuzzy messages: {fuzzy}"
    assert not wrong_plurals, f"Plural entries need exactly msgstr[0] (nplurals=1): {wrong_plurals}"


def test_compiled_mo_matches_po(tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (GNU gettext) is not installed")
    fresh = tmp_path / "django.mo"
    subprocess.run([msgfmt, "--check", "-o", str(fresh), str(PO)], check=True)
    assert _mo_catalog(MO) == _mo_catalog(fresh), (
        "django.mo is stale: run compilemessages -l zh_Hans and commit the result"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/login/"])
def test_pages_default_to_chinese(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "登录" in html
    assert "Log in" not in html


@pytest.mark.django_db
def test_switching_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    html = client.get("/accounts/login/").content.decode()
    assert "Log in" in html
    assert "登录" not in html


@pytest.mark.django_db
def test_chinese_is_the_default_whatever_the_browser_asks(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "登录" in response.content.decode()
    assert response["Content-Language"] == "zh-hans"
