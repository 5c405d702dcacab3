import sys, time, random
sys.path.insert(0, "/tmp")
from decimal import Decimal as D
def test_phases(personas, now, supplier, shelf):
    import patch_timing
    from soporte.inventory import services
    from soporte.inventory.models import StockItem
    items = [StockItem.objects.create(sku=f"S{n}", name="x", created_at=now, cost_method="fifo" if n%2 else "") for n in range(50)]
    rng = random.Random(1)
    def run(k):
        for n in range(k):
            services.receive_stock(actor=personas.agent, supplier=supplier, location=shelf, invoice_number=f"B{n}",
              lines=[services.ReceiptLine(i, D(3), D("12.50")) for i in rng.sample(items, 20)], now=now)
    run(5)
    patch_timing.install(); patch_timing.ACC.clear()
    t=time.perf_counter(); run(50); total=time.perf_counter()-t
    for k, v in sorted(patch_timing.ACC.items(), key=lambda kv: -kv[1])[:14]:
        print(f"{v*1000/50:7.2f} ms  {k}")
    print("total per receipt", round(total*1000/50,2))
