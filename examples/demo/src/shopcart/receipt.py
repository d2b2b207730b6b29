"""Receipts written to disk."""

from __future__ import annotations

import os

from shopcart.cart import Cart


def receipt_lines(cart: Cart) -> list[str]:
    lines = [f"{item.sku:<12}{item.quantity:>4} x {item.unit_cents / 100:8.2f}" for item in cart.items]
    lines.append(f"{'TOTAL':<12}{cart.total() / 100:>17.2f}")
    return lines


def save_receipt(cart: Cart, directory: str, order_id: str) -> str:
    path = os.path.join(directory, f"receipt-{order_id}.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(receipt_lines(cart)) + "\n")
    return path


def top_skus(order_history, n: int = 3) -> list[str]:
    """The n most ordered SKUs in an order history (a list of carts)."""
    counts: dict[str, int] = {}
    for cart in order_history:
        for item in cart.items:
            counts[item.sku] = counts.get(item.sku, 0) + item.quantity
    return sorted(counts, key=lambda sku: (-counts[sku], sku))[:n]
