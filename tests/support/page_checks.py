"""What every page test checks: axe-core (from its npm package, tests/support/axe), no horizontal scroll, and
screenshots saved under var/screenshots/ for a person to look at."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "support" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
WIDTHS = (375, 1280)
"""A phone and a desktop browser."""


async def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's WCAG 2 A/AA violations of these impacts on the page as it is now, one line each.
    The page's context must be opened with ``bypass_csp=True`` (axe is injected as a script)."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: bash scripts/install_test_servers.sh")
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in impacts
    ]


async def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than its viewport (0: no horizontal scroll)."""
    return int(
        await page.evaluate(
            "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth"
        )
    )


async def too_wide(page: Any) -> list[str]:
    """The elements reaching past the viewport's right edge (what to fix when there is a scroll)."""
    return list(
        await page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
            "window.innerWidth + 0.5).map(e => e.tagName + (e.id ? '#' + e.id : '') + "
            "(e.className ? '.' + e.className : '')).slice(0, 10)"
        )
    )


async def screenshot(page: Any, folder: str, name: str) -> Path:
    path = SCREENSHOTS / folder / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path), full_page=True)
    return path


async def wait_until(page: Any, expression: str, timeout_s: float = 10.0) -> None:
    """Poll with page.evaluate (run by the DevTools protocol): the pages' Content-Security-Policy forbids
    the string evaluation wait_for_function uses."""
    deadline = time.monotonic() + timeout_s
    while not await page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        await asyncio.sleep(0.1)
