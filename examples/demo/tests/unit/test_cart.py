from shopcart import Cart


def test_add_merges_same_sku():
    cart = Cart()
    cart.add("apple", 50, 2)
    cart.add("apple", 50, 3)
    assert [(i.sku, i.quantity) for i in cart.items] == [("apple", 5)]


def test_total_includes_tax():
    cart = Cart(tax_percent=10)
    cart.add("pear", 200, 2)
    assert cart.total() == 440


def test_remove_item():
    cart = Cart()
    cart.add("apple", 50)
    cart.remove_item("apple")  # the method is called discard() now
    assert cart.items == []


def test_discard():
    cart = Cart()
    cart.add("apple", 50)
    cart.add("pear", 70)
    cart.discard("apple")
    assert [i.sku for i in cart.items] == ["pear"]
