"""The phone the browser tests and bench/offline.py use: Debian's Chromium as a Pixel 7."""

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# A Pixel 7, in CSS pixels.
PHONE = {
    "viewport": {"width": 412, "height": 915},
    "device_scale_factor": 2.625,
    "is_mobile": True,
    "has_touch": True,
}
# Without these Chromium keeps trying to reach Google's servers, which are unreachable.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
