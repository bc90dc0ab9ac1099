"""WCAG 2.x contrast of the text a page renders, computed in the browser from computed styles."""

from __future__ import annotations

from typing import Any

AA_TEXT = 4.5
"""WCAG AA for body text (labels included)."""

# Walks every visible element with its own text; paints the ancestors' backgrounds root-first, each
# with its alpha times the cumulative opacity (how a faded card renders), then the text the same way.
_MEASURE = """
(root) => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, alpha, under) => top.map((v, i) => v * alpha + under[i] * (1 - alpha));
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const out = [];
  for (const el of root.querySelectorAll("*")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const rects = el.getClientRects();
    if (!own || rects.length === 0 || getComputedStyle(el).visibility === "hidden") continue;
    const chain = [];
    for (let a = el; a; a = a.parentElement) chain.unshift(a);
    let canvas = [255, 255, 255];
    let opacity = 1;
    for (const a of chain) {
      const style = getComputedStyle(a);
      opacity *= Number(style.opacity);
      const [r, g, b, alpha] = parse(style.backgroundColor);
      canvas = over([r, g, b], alpha * opacity, canvas);
    }
    const [r, g, b, alpha] = parse(getComputedStyle(el).color);
    const text = over([r, g, b], alpha * opacity, canvas);
    const [hi, lo] = [lum(text), lum(canvas)].sort((x, y) => y - x);
    out.push({ text: el.textContent.trim().slice(0, 40), ratio: (hi + 0.05) / (lo + 0.05) });
  }
  return out;
}
"""


async def contrast_ratios(page: Any, selector: str = "body") -> list[tuple[str, float]]:
    """(text, contrast ratio) of every visible element with its own text under ``selector``."""
    rows = await page.locator(selector).evaluate(_MEASURE)
    return [(row["text"], round(row["ratio"], 2)) for row in rows]


async def below_aa(page: Any, selector: str = "body") -> list[tuple[str, float]]:
    """The texts under ``selector`` whose contrast is below WCAG AA (empty when all pass)."""
    return [(text, ratio) for text, ratio in await contrast_ratios(page, selector) if ratio < AA_TEXT]
