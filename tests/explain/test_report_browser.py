"""The report in a real browser: Debian's Chromium, driven by Playwright for Python.

Chromium comes from apt (``make system-deps``), never from ``playwright install``. The page
is opened from a file URL with every network feature of the browser switched off; the test
fails on any console error, on any request leaving the page, on an image that does not
decode, on missing or unrendered math, and on content wider than a laptop screen. A
full-page screenshot is kept in test-artifacts/report.png.
"""

from __future__ import annotations

import pytest

from chromium import ARTIFACTS, browser_marks, chromium

LAPTOP = {"width": 1366, "height": 768}

sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright for Python (pip)")
pytestmark = browser_marks("report-browser")

CHECK_PAGE = """async () => {
  const images = Array.from(document.images);
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  const maths = Array.from(document.querySelectorAll('math'));
  const scripts = Array.from(document.querySelectorAll('msub, msup, msubsup, munder'));
  const wraps = Array.from(document.querySelectorAll('.table-wrap'));
  return {
    images: images.length,
    broken: images.filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.alt),
    maths: maths.length,
    invisibleMath: maths.filter(m => m.getBoundingClientRect().width === 0
                                     && m.closest('details:not([open])') === null).length,
    mathDisplay: maths.length ? getComputedStyle(maths[0]).display : '',
    scriptHeights: scripts.slice(0, 20).map(e => e.getBoundingClientRect().height),
    pageWidth: document.documentElement.scrollWidth,
    viewWidth: window.innerWidth,
    overflowingTables: wraps.filter(w => w.scrollWidth > w.clientWidth + 1).length,
    headings: Array.from(document.querySelectorAll('h2')).map(h => h.textContent),
  };
}"""


@pytest.fixture(scope="module")
def report_path(digits_report):
    """``write_report(preprocessed_model(), test, path, model_name="digits.safetensors")``,
    written once per run (tests/explain/conftest.py)."""
    return digits_report


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory):
    with chromium(sync_api, tmp_path_factory.mktemp("chromium-profile"), LAPTOP) as context:
        yield context.new_page()


def test_report_in_chromium(report_path, browser_page):
    page = browser_page
    errors, outside = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: None if request.url.startswith(("file:", "data:"))
            else outside.append(request.url))
    page.goto(report_path.as_uri(), wait_until="load")
    facts = page.evaluate(CHECK_PAGE)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)

    assert errors == [], errors
    assert outside == [], f"requests leaving the page: {outside}"
    assert facts["images"] >= 14 and facts["broken"] == [], facts["broken"]
    assert facts["maths"] > 20 and facts["invisibleMath"] == 0
    assert "math" in facts["mathDisplay"]  # rendered as MathML, not as unknown inline elements
    assert facts["scriptHeights"] and min(facts["scriptHeights"]) > 0
    assert facts["pageWidth"] <= facts["viewWidth"], "the page is wider than a laptop screen"
    assert facts["overflowingTables"] == 0
    assert facts["headings"] == ["The model", "Training", "Training health", "Evaluation", "What the network learned",
                                 "Mistakes", "Predictions explained"]


@pytest.mark.parametrize("width", [390, 1280])
def test_no_sideways_scroll_on_a_phone_or_a_laptop(report_path, browser_page, width):
    """Every example opened: nothing may make the page itself scroll sideways (wide tables
    and equations scroll inside their own boxes)."""
    page = browser_page
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(report_path.as_uri(), wait_until="load")
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    scroll_width, inner_width = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert inner_width == width
    assert scroll_width <= inner_width, f"the page scrolls sideways at {width} px"


def test_the_underbrace_is_drawn(report_path, browser_page):
    page = browser_page
    page.set_viewport_size(LAPTOP)
    page.goto(report_path.as_uri(), wait_until="load")
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
    braces = page.evaluate("""() => Array.from(document.querySelectorAll('.gn-trace .gn-brace'))
        .map(e => [parseFloat(getComputedStyle(e).borderBottomWidth),
                   e.getBoundingClientRect().width, e.firstElementChild.getBoundingClientRect().width])""")
    assert braces, "no underbrace in the page"
    for line, width, base in braces:
        assert line >= 1 and width >= base > 0  # a visible line as wide as what it labels
