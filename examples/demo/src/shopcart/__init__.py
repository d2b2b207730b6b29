"""A tiny shopping cart."""

from shopcart.cart import Cart, LineItem
from shopcart.pricing import apply_discount, price_with_tax

__all__ = ["Cart", "LineItem", "apply_discount", "price_with_tax"]
