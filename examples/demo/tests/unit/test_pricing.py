import pytest

from shopcart.pricing import apply_discount, bulk_price, price_with_tax


def test_price_with_tax_rounds_half_up():
    assert price_with_tax(1000, 7.5) == 1075
    assert price_with_tax(999, 10) == 1099


def test_negative_amount_is_rejected():
    with pytest.raises(ValueError, match="negative"):
        price_with_tax(-1, 10)


def test_tax_rate_keyword():
    # Written against the old signature price_with_tax(amount_cents, tax_rate)
    assert price_with_tax(1000, tax_rate=20) == 1200


@pytest.mark.parametrize("percent,expected", [(0, 1000), (10, 900), (100, 0)])
def test_apply_discount(percent, expected):
    assert apply_discount(1000, percent) == expected


def test_bulk_price_below_ten_has_no_discount():
    assert bulk_price(100, 3) == 300


def test_bulk_price_discount_expectation():
    # Expects 10 % off, but the rule is 5 %.
    assert bulk_price(100, 20) == 1800


@pytest.mark.skip(reason="currency conversion not implemented yet")
def test_price_in_euros():
    pass


@pytest.mark.xfail(reason="rounding of fractional cents is still half-even", strict=False)
def test_discount_rounds_half_up():
    assert apply_discount(5, 50) == 2
