"""Issue 5 done-when: report a missing manhole cover at phone size → the community officer
acknowledges and resolves → the reporter confirms and gets points → redeems at a station."""

import io
import os
import re

from PIL import Image
from playwright.sync_api import sync_playwright

BASE = os.environ.get("WARMBEE_URL", "http://127.0.0.1:8000")
CREDS = os.environ.get("WARMBEE_CREDENTIALS", "var/demo-credentials.txt")
SHOTS = os.environ.get("SHOTS", "var/shots")
os.makedirs(SHOTS, exist_ok=True)
creds = {}
with open(CREDS, encoding="utf-8") as fh:
    lines = fh.read().splitlines()
for line in lines:
    if line.startswith("#"):
        continue
    role, name, phone, pw = line.split("\t")
    creds[name] = (phone.replace("+86", ""), pw)


def login(b, who, width):
    ctx = b.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(BASE + "/accounts/login/")
    page.fill("input[name=phone]", creds[who][0])
    page.fill("input[name=password]", creds[who][1])
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def shot(page, name):
    w = page.evaluate("document.documentElement.scrollWidth")
    vw = page.viewport_size["width"]
    page.screenshot(path=f"{SHOTS}/flow-{name}.png", full_page=True)
    print(f"  [{name}] {page.url} scrollWidth={w}/{vw}", "OVERFLOW" if w > vw else "")


def balance(page):
    page.goto(BASE + "/me/points/")
    m = re.search(r'class="big">\s*([\d,]+)', page.content())
    return int(m.group(1).replace(",", "")) if m else None


with sync_playwright() as p:
    b = p.chromium.launch(
        executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=["--no-sandbox"]
    )
    courier = login(b, "孙小峰", 360)
    before = balance(courier)
    print("courier balance before", before)
    courier.goto(BASE + "/report/")
    courier.check("input[name=category][value=manhole]", force=True)
    courier.check("input[name=q-manhole-size][value=large]", force=True)
    courier.evaluate("""() => { const f = document.getElementById('civic-report');
        f.querySelector('input[name=lat]').value = '46.5885'; f.querySelector('input[name=lng]').value = '125.0461'; }""")
    buf = io.BytesIO()
    Image.new("RGB", (120, 90), "gray").save(buf, "JPEG")
    courier.set_input_files(
        "input[name=photo]",
        files=[{"name": "manhole.jpg", "mimeType": "image/jpeg", "buffer": buf.getvalue()}],
    )
    courier.fill("#id_description", "中央大街路口井盖缺失，很危险")
    shot(courier, "1-report-360")
    courier.click("#civic-report button[type=submit]")
    courier.wait_for_load_state("networkidle")
    code = courier.url.rstrip("/").split("/")[-1]
    print("report sent:", code)
    shot(courier, "2-sent-360")
    officer = login(b, "赵丽", 1280)
    officer.goto(BASE + "/console/reports/")
    assert code in officer.content(), "not in the officer's queue"
    shot(officer, "3-queue-1280")
    officer.goto(BASE + f"/console/reports/{code}/")
    for to in ("acknowledged", "in_progress", "resolved"):
        officer.click(f"form:has(input[name=to][value={to}]) button[type=submit]")
        officer.wait_for_load_state("networkidle")
        print("  officer ->", to)
    shot(officer, "4-resolved-1280")
    courier.goto(BASE + f"/me/reports/{code}/")
    shot(courier, "5-ask-fixed-360")
    courier.click("button[name=answer][value=fixed]")
    courier.wait_for_load_state("networkidle")
    shot(courier, "6-confirmed-360")
    after = balance(courier)
    print("courier balance after confirm", after)
    shot(courier, "7-points-360")
    redeem_code = re.search(r'class="code">\s*([A-Z0-9-]+)', courier.content()).group(1)
    host = login(b, "刘洋", 360)
    host.goto(BASE + "/host/")  # the host's first station that redeems (tier 1 or 2)
    for station in dict.fromkeys(re.findall(r'href="/host/([a-z0-9]+)/"', host.content())):
        host.goto(BASE + f"/host/stations/{station}/redeem/")
        if host.locator("form button.primary").count():
            break
    else:
        raise SystemExit("none of the host's stations redeems points")
    print("host station", station)
    host.fill("input[name=code]", redeem_code)
    shot(host, "8-host-redeem-360")
    host.click("form button.primary")
    host.wait_for_load_state("networkidle")
    shot(host, "9-host-waiting-360")
    courier.goto(BASE + "/me/points/")
    link = courier.locator("a[href*='/me/points/redemptions/']").first.get_attribute("href")
    courier.goto(BASE + link)
    shot(courier, "10-confirm-360")
    courier.click("form[action$='/confirm/'] button")
    courier.wait_for_load_state("networkidle")
    shot(courier, "11-confirmed-360")
    print("courier balance after redemption", balance(courier))
    host.reload()
    shot(host, "12-host-done-360")
    b.close()
