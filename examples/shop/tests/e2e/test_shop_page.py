"""E2E: the shop page in a real browser (run by the ``selenium`` gate: ``gate_browser`` is a
WebDriver configured by the gate, ``gate_base_url`` its ``base_url``)."""

from __future__ import annotations

from decimal import Decimal

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 10  # seconds for the page's JavaScript to update the cart


def test_page_loads_with_its_title(gate_browser, gate_base_url):
    gate_browser.get(gate_base_url + "/")
    assert gate_browser.title == "Gates Shop"
    assert gate_browser.find_element(By.TAG_NAME, "h1").text == "Gates Shop"


def test_three_products_are_listed(gate_browser, gate_base_url):
    gate_browser.get(gate_base_url + "/")
    rows = gate_browser.find_elements(By.CSS_SELECTOR, "#products tr.product")
    names = [row.find_element(By.CLASS_NAME, "name").text for row in rows]
    assert names == ["Coffee beans", "Tea leaves", "Cocoa"], "the page lists the wrong products"
    for row in rows:
        assert row.find_element(By.TAG_NAME, "button").text == "Add to cart"


def test_adding_to_cart_updates_counter_and_total(gate_browser, gate_base_url):
    gate_browser.get(gate_base_url + "/")
    count = gate_browser.find_element(By.ID, "cart-count")
    total = gate_browser.find_element(By.ID, "cart-total")
    assert count.text == "0"

    # The cart lives on the server (other tests may have filled it): compare with the
    # first answer, not with zero.
    gate_browser.find_element(By.ID, "add-1").click()
    WebDriverWait(gate_browser, WAIT).until(lambda d: count.text != "0")
    items, amount = int(count.text), Decimal(total.text)
    assert items >= 1
    assert amount >= Decimal("12.50")

    gate_browser.find_element(By.ID, "add-3").click()
    WebDriverWait(gate_browser, WAIT).until(lambda d: count.text == str(items + 1))
    assert Decimal(total.text) == amount + Decimal("6.25")
    assert gate_browser.find_element(By.ID, "status").text == ""
