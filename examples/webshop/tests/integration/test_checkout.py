from decimal import Decimal

import pytest

from webshop.cart import Cart, shipping


@pytest.mark.parametrize("items", range(1, 11))
def test_checkout_total_with_shipping(items: int) -> None:
    cart = Cart(country="NL")
    for n in range(items):
        cart.add(f"sku-{n}", Decimal("12.00"))
    total = cart.total("TEN")
    expected_net = Decimal("12.00") * items * Decimal("0.9")
    assert total == (expected_net * Decimal("1.21")).quantize(Decimal("0.01"))
    assert shipping(total) in (Decimal(0), Decimal("4.90"))
