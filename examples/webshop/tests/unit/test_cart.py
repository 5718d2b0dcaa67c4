from decimal import Decimal

import pytest

from webshop.cart import Cart, shipping


@pytest.mark.parametrize("qty", range(1, 37))
def test_subtotal_scales_with_quantity(qty: int) -> None:
    cart = Cart()
    cart.add("mug", Decimal("3.50"), qty)
    assert cart.subtotal() == Decimal("3.50") * qty


@pytest.mark.parametrize(
    ("country", "expected"),
    [("DE", Decimal("11.90")), ("FR", Decimal("12.00")), ("NL", Decimal("12.10"))],
)
def test_vat_by_country(country: str, expected: Decimal) -> None:
    cart = Cart(country=country)
    cart.add("book", Decimal("10.00"))
    assert cart.total() == expected


@pytest.mark.parametrize(
    ("code", "discount"),
    [(None, Decimal(0)), ("TEN", Decimal("6.00")), ("FIVEOFF", Decimal(5)), ("BOGUS", Decimal(0))],
)
def test_discount_codes(code: str | None, discount: Decimal) -> None:
    cart = Cart()
    cart.add("lamp", Decimal("60.00"))
    assert cart.discount(code) == discount


def test_fiveoff_needs_fifty() -> None:
    cart = Cart()
    cart.add("pen", Decimal("2.00"))
    assert cart.discount("FIVEOFF") == 0


def test_unknown_country_has_no_vat() -> None:
    cart = Cart(country="XX")
    cart.add("pen", Decimal("2.00"))
    with pytest.raises(KeyError):
        cart.total()


def test_quantity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Cart().add("pen", Decimal(1), 0)


def test_remove_line() -> None:
    cart = Cart()
    cart.add("pen", Decimal(1))
    cart.remove("pen")
    assert cart.subtotal() == 0


@pytest.mark.parametrize(
    ("total", "express", "cost"),
    [(Decimal(10), False, Decimal("4.90")), (Decimal(100), False, Decimal(0)),
     (Decimal(10), True, Decimal("9.90"))],
)
def test_shipping(total: Decimal, express: bool, cost: Decimal) -> None:
    assert shipping(total, express) == cost
