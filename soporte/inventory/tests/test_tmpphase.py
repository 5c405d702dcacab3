import time, random, functools
from decimal import Decimal as D
from collections import defaultdict
def test_phases(personas, now, supplier, shelf):
    from soporte.inventory import services
    from soporte.inventory.models import StockItem
    from soporte.logbook import services as lb
    items = [StockItem.objects.create(sku=f"S{n}", name="x", created_at=now, cost_method="fifo" if n%2 else "") for n in range(50)]
    acc = defaultdict(float)
    def wrap(mod, name):
        f = getattr(mod, name)
        @functools.wraps(f)
        def g(*a, **k):
            t = time.perf_counter()
            try: return f(*a, **k)
            finally: acc[name] += time.perf_counter() - t
        setattr(mod, name, g)
    for n in ("_lock_buckets", "_store", "_post_all", "_content_entry", "_capture_serials"):
        wrap(services, n)
    wrap(services.StockMovement.objects, "bulk_create")
    rng = random.Random(1)
    def run(k):
        for n in range(k):
            services.receive_stock(actor=personas.agent, supplier=supplier, location=shelf, invoice_number=f"B{n}",
              lines=[services.ReceiptLine(i, D(3), D("12.50")) for i in rng.sample(items, 20)], now=now)
    run(5); acc.clear()
    t = time.perf_counter(); run(50); total = time.perf_counter() - t
    print("per receipt ms", {k: round(v*1000/50, 2) for k, v in acc.items()}, "total", round(total*1000/50, 2))
