"""Regenerates the sample PDF `knowledge/en/credit-card-agreement.pdf`.

Run: `python knowledge/tools/make_card_agreement_pdf.py` (needs fpdf2 from requirements-dev.txt).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF  # fpdf2, pinned in requirements-dev.txt; only this generator needs it

TITLE = "Contoso credit card agreement"
SECTIONS: list[tuple[str, str]] = [
    (
        "Interest rates (APR)",
        "The Contoso Classic card has an annual percentage rate (APR) of 21.99% for purchases. "
        "The Contoso Platinum card has a purchase APR of 18.99%. "
        "The cash advance APR is 27.99% on both cards.",
    ),
    (
        "Annual fee",
        "The Contoso Classic card has no annual fee. "
        "The Contoso Platinum card has an annual fee of $95, waived for the first year.",
    ),
    (
        "Grace period",
        "You get a grace period of 25 days without interest on purchases if you pay your full statement "
        "balance by the due date. Cash advances have no grace period.",
    ),
    (
        "Foreign transaction fee",
        "The Contoso Classic card charges a foreign transaction fee of 3% on purchases made in a foreign "
        "currency. The Contoso Platinum card has no foreign transaction fee.",
    ),
    (
        "Cash advance fee",
        "A cash advance with your credit card costs $10 or 5% of the amount, whichever is greater.",
    ),
]


def build(path: Path) -> None:
    """Write the agreement with one bold heading per section, so extraction keeps the structure."""
    pdf = FPDF()
    pdf.set_title(TITLE)
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))  # reproducible bytes
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 10, TITLE, new_x="LMARGIN", new_y="NEXT")
    for heading, body in SECTIONS:
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.output(str(path))


if __name__ == "__main__":
    build(Path(__file__).resolve().parents[1] / "en" / "credit-card-agreement.pdf")
