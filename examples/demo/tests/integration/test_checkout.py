from shopcart import Cart


def test_checkout_total():
    cart = Cart(tax_percent=20)
    cart.add("book", 1250, 2)
    cart.add("pen", 120, 10)
    assert cart.total() == 4368


def test_merge_carts():
    # Cart.merge takes the cart's lock and then calls add(), which takes it again.
    first, second = Cart(), Cart()
    first.add("book", 1250)
    second.add("pen", 120)
    first.merge(second)
    assert len(first.items) == 2


def test_checkout_after_merge_attempt():
    cart = Cart()
    cart.add("mug", 800)
    assert cart.total() == 800
