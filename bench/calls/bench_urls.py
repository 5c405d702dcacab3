"""soporte.urls plus the plain view the CTI requirement compares against.

`POST /bench/insert` reads the JSON body and inserts one row (a `calls.SignedNonce` with a
random digest, on the bench line) in its own transaction: the "plain Django view that inserts
one row", behind the same middleware as every page (CSRF exempt, like the CTI endpoint).
"""

import json
import uuid

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from soporte.calls.models import PhoneLine, SignedNonce
from soporte.urls import urlpatterns as product_urlpatterns

_LINE: list[int] = []


def _line_id() -> int:
    if not _LINE:
        _LINE.append(PhoneLine.objects.order_by("id").values_list("id", flat=True).first())
    return _LINE[0]


@csrf_exempt
def insert(request: HttpRequest) -> JsonResponse:
    data = json.loads(request.body or b"{}")
    SignedNonce.objects.create(line_id=_line_id(), digest=uuid.uuid4().hex, seen_at=timezone.now())
    return JsonResponse({"ok": bool(data)})


urlpatterns = [path("bench/insert", insert), *product_urlpatterns]
