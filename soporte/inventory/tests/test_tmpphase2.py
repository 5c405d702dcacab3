import time
from decimal import Decimal as D
def test_ins(personas, now, supplier, shelf):
    from soporte.inventory import services
    from soporte.inventory.models import StockItem, StockLayer, StockMovement
    from soporte.inventory.tests.conftest import receive
    items = [StockItem.objects.create(sku=f"S{n}", name="x", created_at=now) for n in range(20)]
    r = receive(personas.agent, supplier, shelf, now, *[(i, 1, "1") for i in items])
    mv = list(r.movements.all())
    for label, fn in [("raw layers", lambda: services._insert([StockLayer(item_id=m.item_id, location_id=m.location_id, source_id=m.pk, remaining=D(1), remaining_value=D(1)) for m in mv])),
                      ("bulk layers", lambda: StockLayer.objects.bulk_create([StockLayer(item_id=m.item_id, location_id=m.location_id, source_id=m.pk, remaining=D(1), remaining_value=D(1)) for m in mv]))]:
        fn()
        t=time.perf_counter()
        for _ in range(20): fn()
        print(label, round((time.perf_counter()-t)*1000/20, 2), "ms")
