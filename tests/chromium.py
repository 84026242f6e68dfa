"""Debian's headless Chromium for the browser tests, driven by Playwright for Python.

Chromium comes from apt (``make system-deps``), never from ``playwright install``. Each test
module starts it once, with a fresh, empty profile and the network features switched off.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"  # screenshots to look at
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def browser_marks(group: str) -> list:
    """A browser module's marks: ``browser``; its own xdist group, so the module's Chromium and
    fixtures are made on one worker; skipped, saying why, where Debian's chromium is missing."""
    return [pytest.mark.browser, pytest.mark.xdist_group(group),
            pytest.mark.skipif(shutil.which(CHROMIUM) is None,
                               reason=f"needs Debian's chromium at {CHROMIUM} (make system-deps)")]


@contextmanager
def chromium(sync_api, profile: Path, viewport: dict):
    """An offline persistent Chromium context on the empty folder ``profile``; closed after."""
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS,
            viewport=viewport, offline=True)
        try:
            yield context
        finally:
            context.close()
