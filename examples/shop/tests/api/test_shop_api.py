"""API tests of the shop (run by the ``api`` gate: ``gate_api`` is a requests Session bound to
the gate's ``base_url``, with its headers, auth, timeout and retries; every request is timed
for the gate's latency figures)."""

from __future__ import annotations

from decimal import Decimal


def said(resp):
    """What the API answered, for the failure message."""
    return f"{resp.request.method} {resp.url} answered {resp.status_code}: {resp.text[:300]}"


def test_health(gate_api):
    resp = gate_api.get("/api/health")
    assert resp.status_code == 200, said(resp)
    body = resp.json()
    assert body["status"] == "ok"
    assert isinstance(body["pid"], int)


def test_products(gate_api):
    resp = gate_api.get("/api/products")
    assert resp.status_code == 200, said(resp)
    products = resp.json()
    assert [p["name"] for p in products] == ["Coffee beans", "Tea leaves", "Cocoa"]
    assert all(Decimal(p["price"]) > 0 for p in products)


def test_one_product_and_an_unknown_one(gate_api):
    resp = gate_api.get("/api/products/2")
    assert resp.status_code == 200, said(resp)
    assert resp.json() == {"id": 2, "name": "Tea leaves", "price": "8.00"}

    resp = gate_api.get("/api/products/999")
    assert resp.status_code == 404, said(resp)
    assert "999" in resp.json()["error"]


def test_adding_to_cart(gate_api):
    # The cart lives on the server and other tests may have filled it: compare with before.
    before = gate_api.get("/api/cart").json()
    resp = gate_api.post("/api/cart", json={"product": 3, "qty": 2})
    assert resp.status_code == 201, said(resp)
    after = resp.json()
    assert after["items"] == before["items"] + 2
    assert Decimal(after["total"]) == Decimal(before["total"]) + Decimal("12.50")


def test_a_bad_cart_body_is_refused(gate_api):
    resp = gate_api.post("/api/cart", data=b"not json", headers={"Content-Type": "text/plain"})
    assert resp.status_code == 400, said(resp)
    assert "expected JSON" in resp.json()["error"]

    resp = gate_api.post("/api/cart", json={"product": 42, "qty": 1})
    assert resp.status_code == 400, said(resp)
