"""Prices, discounts and the checkout total of a small web shop."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

VAT = {"DE": Decimal("0.19"), "FR": Decimal("0.20"), "NL": Decimal("0.21")}


@dataclass
class Cart:
    country: str = "DE"
    lines: dict[str, tuple[Decimal, int]] = field(default_factory=dict)

    def add(self, sku: str, price: Decimal, qty: int = 1) -> None:
        if qty <= 0:
            raise ValueError("quantity must be positive")
        old = self.lines.get(sku, (price, 0))[1]
        self.lines[sku] = (price, old + qty)

    def remove(self, sku: str) -> None:
        self.lines.pop(sku, None)

    def subtotal(self) -> Decimal:
        return sum((p * q for p, q in self.lines.values()), Decimal(0))

    def discount(self, code: str | None) -> Decimal:
        sub = self.subtotal()
        if code is None:
            return Decimal(0)
        if code == "TEN":
            return (sub * Decimal("0.10")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if code == "FIVEOFF" and sub >= 50:
            return Decimal(5)
        return Decimal(0)

    def total(self, code: str | None = None) -> Decimal:
        net = self.subtotal() - self.discount(code)
        rate = VAT.get(self.country)
        if rate is None:
            raise KeyError(f"no VAT rate for {self.country}")
        return (net * (1 + rate)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def shipping(total: Decimal, express: bool = False) -> Decimal:
    if express:
        return Decimal("9.90")
    if total >= 100:
        return Decimal(0)
    return Decimal("4.90")


def gift_wrap(items: int) -> Decimal:  # not covered by the tests, on purpose
    return Decimal("2.50") * items
