from unittest import mock

from shopcart import Cart
from shopcart.receipt import receipt_lines, save_receipt, top_skus


def test_receipt_lines_end_with_total():
    cart = Cart()
    cart.add("apple", 150, 2)
    assert receipt_lines(cart)[-1].split() == ["TOTAL", "3.00"]


def test_save_receipt(tmp_path):
    cart = Cart()
    cart.add("apple", 150)
    path = save_receipt(cart, str(tmp_path), "42")
    assert open(path).read().startswith("apple")


def test_save_receipt_to_mocked_dir():
    cart = Cart()
    out_dir = mock.Mock()
    save_receipt(cart, out_dir, "7")


def test_top_skus_from_mocked_history():
    history = mock.Mock()
    assert top_skus(history) == []
