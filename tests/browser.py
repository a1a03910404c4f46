"""Look at an HTML report in a real browser (headless Chromium): a screenshot, the elements that overflow the
viewport, and the images that do not decode. Tests that need it skip with a reason when Chromium is absent
(``make test`` installs Debian's ``chromium``)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

VIEWPORT = 1280
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
# Run after load: every element whose box ends right of the viewport (and is not inside a scrolling box,
# which is how wide tables are meant to fit), and every <img> that did not decode.
_PROBE = """
<script>
window.addEventListener("load", () => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => { for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p); if (s.overflowX === "auto" || s.overflowX === "scroll") return true; }
    return false; };
  const over = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 1 && !scrolls(el)) over.push(el.tagName + " right=" + Math.round(r.right));
  }
  const clipped = [...document.querySelectorAll("pre, pre > code")].filter((c) => c.scrollWidth > c.clientWidth + 1)
    .map((c) => c.textContent.slice(0, 60));
  const quoted = [...document.querySelectorAll("blockquote pre, blockquote code, blockquote blockquote")]
    .map((c) => c.textContent.slice(0, 60));
  const broken = [...document.images].filter((i) => !(i.complete && i.naturalWidth > 0))
    .map((i) => i.alt || i.src.slice(0, 40));
  const out = document.createElement("pre");
  out.id = "affectlab-probe";
  out.textContent = JSON.stringify({width, scrollWidth: document.documentElement.scrollWidth, over, broken,
                                    images: document.images.length, clipped, quoted});
  document.body.appendChild(out);
});
</script>
"""


@dataclass(frozen=True)
class PageCheck:
    """What the browser saw: viewport width, page width, overflowing elements, broken and all images, code
    blocks that scroll sideways (clipped) and code or nested quotes inside quotes."""

    width: int
    scroll_width: int
    overflowing: list[str]
    broken_images: list[str]
    images: int
    screenshot: Path | None
    clipped_code: list[str] = field(default_factory=list)
    quoted_code: list[str] = field(default_factory=list)


def chromium() -> str:
    """The Chromium binary, or skip the test."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    pytest.skip("headless Chromium is not installed (apt-get install chromium; make test installs it)")


def check_page(html: Path, screenshot: Path | None, height: int = 2400) -> PageCheck:
    """Load ``html`` at a 1280 px wide viewport; write a screenshot (unless None); report overflow, clipped or
    quoted code and broken images."""
    binary = chromium()
    with tempfile.TemporaryDirectory() as profile:
        probe = Path(profile) / "probe.html"
        # the probe copy lives elsewhere: <base> makes the page's relative links (stylesheets, images) resolve
        page = html.read_text(encoding="utf-8").replace("</body>", _PROBE + "</body>")
        base = f'<base href="{html.parent.resolve().as_uri()}/">'
        page = re.sub(r"(<head[^>]*>)", lambda m: m.group(1) + base, page, count=1, flags=re.I)
        probe.write_text(page if base in page else base + page, encoding="utf-8")
        common = [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={VIEWPORT},{height}"]
        dom = subprocess.run(
            [*common, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
            capture_output=True, text=True, timeout=120, check=True,
        ).stdout  # fmt: skip
        if screenshot is not None:
            subprocess.run(
                [*common, f"--screenshot={screenshot}", html.resolve().as_uri()],
                capture_output=True, timeout=120, check=True,
            )  # fmt: skip
    start = dom.index('id="affectlab-probe">') + len('id="affectlab-probe">')
    data = json.loads(_unescape(dom[start : dom.index("</pre>", start)]))
    return PageCheck(data["width"], data["scrollWidth"], data["over"], data["broken"], data["images"], screenshot,
                     data.get("clipped", []), data.get("quoted", []))  # fmt: skip


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)
