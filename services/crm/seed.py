"""Demo customers for the embedded CRM (fictional people, reserved 555 numbers)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoAccount:
    account_id: str
    account_type: str
    balance: str
    currency: str
    last4: str
    transactions: tuple[tuple[int, str, str], ...] = ()
    """(days ago, description, signed amount)."""


@dataclass(frozen=True)
class DemoCard:
    card_id: str
    card_type: str
    last4: str


@dataclass(frozen=True)
class DemoStatement:
    balance: str
    minimum: str
    currency: str
    due_day: int
    """Due on this day of next month."""


@dataclass(frozen=True)
class DemoCustomer:
    customer_id: str
    first_name: str
    last_name: str
    phone: str
    pin: str
    language: str
    accounts: tuple[DemoAccount, ...] = ()
    cards: tuple[DemoCard, ...] = ()
    statement: DemoStatement | None = None
    open_tickets: tuple[tuple[str, str], ...] = field(default=())


DEMO_CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer(
        customer_id="C1001",
        first_name="Carlos",
        last_name="Rivera",
        phone="+14255550100",
        pin="1234",
        language="en-US",
        accounts=(
            DemoAccount(
                "A1001-S",
                "savings",
                "1250.40",
                "USD",
                "4410",
                (
                    (2, "Transfer from checking", "200.00"),
                    (9, "Interest payment", "1.85"),
                    (20, "ATM withdrawal", "-60.00"),
                ),
            ),
            DemoAccount(
                "A1001-C",
                "checking",
                "310.75",
                "USD",
                "7782",
                (
                    (1, "Grocery store", "-54.20"),
                    (2, "Transfer to savings", "-200.00"),
                    (3, "Coffee shop", "-4.75"),
                    (5, "Payroll deposit", "1850.00"),
                    (6, "Electric utility", "-96.30"),
                    (8, "Gas station", "-41.10"),
                    (11, "Online bookstore", "-23.99"),
                ),
            ),
            DemoAccount(
                "A1001-K",
                "credit_card",
                "842.10",
                "USD",
                "9031",
                (
                    (1, "Airline ticket", "-412.00"),
                    (4, "Restaurant", "-68.40"),
                    (7, "Payment received", "500.00"),
                ),
            ),
        ),
        cards=(DemoCard("K1001-D", "debit", "7782"), DemoCard("K1001-C", "credit", "9031")),
        statement=DemoStatement("842.10", "35.00", "USD", 15),
        open_tickets=(("T5001", "card delivery delay"),),
    ),
    DemoCustomer(
        customer_id="C1002",
        first_name="María",
        last_name="González",
        phone="+5215555550101",
        pin="4321",
        language="es-MX",
        accounts=(
            DemoAccount(
                "A1002-S",
                "savings",
                "15200.00",
                "MXN",
                "1208",
                (
                    (1, "Depósito de nómina", "12000.00"),
                    (3, "Supermercado", "-845.50"),
                    (4, "Farmacia", "-210.00"),
                    (6, "Transferencia recibida", "1500.00"),
                    (10, "Retiro en cajero", "-1000.00"),
                ),
            ),
            DemoAccount(
                "A1002-K",
                "credit_card",
                "3450.00",
                "MXN",
                "5527",
                (
                    (2, "Tienda departamental", "-1899.00"),
                    (5, "Restaurante", "-640.00"),
                ),
            ),
        ),
        cards=(DemoCard("K1002-D", "debit", "3344"), DemoCard("K1002-C", "credit", "5527")),
        statement=DemoStatement("3450.00", "250.00", "MXN", 20),
    ),
)
