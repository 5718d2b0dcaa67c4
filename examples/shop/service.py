"""The example shop service that the staging gates of examples/shop test for real.

A small web service (stdlib only): an HTML page and a JSON API.

    python service.py --port 8080 [--pidfile shop.pid] [--broken]

Routes:
  GET  /                      the shop page (products, an "add to cart" button per product,
                              a cart counter updated by JavaScript through the API)
  GET  /api/health            {"status": "ok", "pid": ..., "started": ...}
  GET  /api/products          [{"id", "name", "price"}, ...]
  GET  /api/products/<id>     one product, 404 {"error": ...} when unknown
  POST /api/cart              {"product": id, "qty": n} -> 201 {"items": n, "total": "12.50"}
  GET  /api/cart              {"items": n, "total": "..."}

``--broken`` (or SHOP_BROKEN=1) simulates a bad release: the product API answers 500 and the
page renders no products, so the E2E, API and chaos gates fail and say why.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import signal
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PRODUCTS = [
    {"id": 1, "name": "Coffee beans", "price": "12.50"},
    {"id": 2, "name": "Tea leaves", "price": "8.00"},
    {"id": 3, "name": "Cocoa", "price": "6.25"},
]

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Gates Shop</title></head>
<body>
<h1>Gates Shop</h1>
<p>Cart: <span id="cart-count">0</span> items, <span id="cart-total">0.00</span> EUR</p>
<table id="products">
{rows}
</table>
<p id="status"></p>
<script>
async function add(id) {{
  const r = await fetch("/api/cart", {{method: "POST",
    headers: {{"Content-Type": "application/json"}},
    body: JSON.stringify({{product: id, qty: 1}})}});
  const body = await r.json();
  if (!r.ok) {{ document.getElementById("status").textContent = body.error; return; }}
  document.getElementById("cart-count").textContent = body.items;
  document.getElementById("cart-total").textContent = body.total;
}}
</script>
</body>
</html>
"""

ROW = (
    '<tr class="product" data-id="{id}"><td class="name">{name}</td>'
    '<td class="price">{price}</td>'
    '<td><button id="add-{id}" onclick="add({id})">Add to cart</button></td></tr>'
)


class Shop:
    def __init__(self, broken: bool) -> None:
        self.broken = broken
        self.started = time.time()
        self.lock = threading.Lock()
        self.cart: dict[int, int] = {}

    def cart_summary(self) -> dict[str, Any]:
        prices = {p["id"]: Decimal(str(p["price"])) for p in PRODUCTS}
        with self.lock:
            items = sum(self.cart.values())
            total = sum((prices[i] * q for i, q in self.cart.items()), Decimal("0"))
        return {"items": items, "total": f"{total:.2f}"}


def make_handler(shop: Shop) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "GatesShop/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def send(self, status: int, body: Any, ctype: str = "application/json") -> None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/":
                rows = (
                    ""
                    if shop.broken
                    else "\n".join(
                        ROW.format(id=p["id"], name=html.escape(str(p["name"])), price=p["price"])
                        for p in PRODUCTS
                    )
                )
                self.send(200, PAGE.format(rows=rows), "text/html; charset=utf-8")
            elif path == "/api/health":
                self.send(200, {"status": "ok", "pid": os.getpid(), "started": shop.started})
            elif path == "/api/products":
                if shop.broken:
                    self.send(500, {"error": "database unavailable"})
                else:
                    self.send(200, PRODUCTS)
            elif m := re.fullmatch(r"/api/products/(\d+)", path):
                found = [p for p in PRODUCTS if p["id"] == int(m.group(1))]
                if shop.broken:
                    self.send(500, {"error": "database unavailable"})
                elif found:
                    self.send(200, found[0])
                else:
                    self.send(404, {"error": f"no product {m.group(1)}"})
            elif path == "/api/cart":
                self.send(200, shop.cart_summary())
            else:
                self.send(404, {"error": f"no route {path}"})

        def do_POST(self) -> None:
            if self.path != "/api/cart":
                self.send(404, {"error": f"no route {self.path}"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"null")
                product, qty = int(body["product"]), int(body.get("qty", 1))
            except (ValueError, TypeError, KeyError):
                self.send(400, {"error": 'expected JSON {"product": id, "qty": n}'})
                return
            if shop.broken:
                self.send(500, {"error": "database unavailable"})
            elif product not in {p["id"] for p in PRODUCTS} or qty < 1:
                self.send(400, {"error": f"unknown product {product} or bad qty {qty}"})
            else:
                with shop.lock:
                    shop.cart[product] = shop.cart.get(product, 0) + qty
                self.send(201, shop.cart_summary())

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--pidfile", type=Path)
    broken = bool(os.environ.get("SHOP_BROKEN"))
    parser.add_argument("--broken", action="store_true", default=broken)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(Shop(args.broken)))
    server.daemon_threads = True
    if args.pidfile:
        args.pidfile.write_text(f"{os.getpid()}\n")
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"shop listening on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
