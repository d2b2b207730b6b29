"""Prices in cents, so that sums are exact."""


def price_with_tax(amount_cents: int, rate_percent: float) -> int:
    """The price including tax, rounded half up to a whole cent."""
    if amount_cents < 0:
        raise ValueError("amount must not be negative")
    return int(amount_cents * (100 + rate_percent) / 100 + 0.5)


def apply_discount(amount_cents: int, percent: float) -> int:
    if not 0 <= percent <= 100:
        raise ValueError(f"discount must be between 0 and 100, got {percent}")
    return amount_cents - int(amount_cents * percent / 100)


def bulk_price(unit_cents: int, quantity: int) -> int:
    """Ten or more of one item cost 5 % less."""
    total = unit_cents * quantity
    if quantity >= 10:
        total = apply_discount(total, 5)
    return total
