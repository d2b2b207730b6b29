"""The cart: line items, totals, and a lock for carts shared between threads."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from shopcart.pricing import bulk_price, price_with_tax


@dataclass
class LineItem:
    sku: str
    unit_cents: int
    quantity: int = 1

    def subtotal(self) -> int:
        return bulk_price(self.unit_cents, self.quantity)


@dataclass
class Cart:
    tax_percent: float = 0.0
    items: list[LineItem] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, sku: str, unit_cents: int, quantity: int = 1) -> None:
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        with self._lock:
            for item in self.items:
                if item.sku == sku:
                    item.quantity += quantity
                    return
            self.items.append(LineItem(sku, unit_cents, quantity))

    def discard(self, sku: str) -> None:
        with self._lock:
            self.items = [item for item in self.items if item.sku != sku]

    def total(self) -> int:
        subtotal = sum(item.subtotal() for item in self.items)
        return price_with_tax(subtotal, self.tax_percent)

    def merge(self, other: Cart) -> None:
        """Move other's items into this cart."""
        with self._lock:
            for item in other.items:
                # Bug: add() takes the same non-reentrant lock again -> deadlock.
                self.add(item.sku, item.unit_cents, item.quantity)
