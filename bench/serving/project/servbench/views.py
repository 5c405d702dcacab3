import hashlib

from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from .models import Item


def hello(request):
    return JsonResponse({"hello": "world"})


def item(request, item_id):
    try:
        obj = Item.objects.get(pk=item_id)
    except Item.DoesNotExist:
        raise Http404("no such item")
    return JsonResponse({"id": obj.pk, "name": obj.name, "value": obj.value})


@csrf_exempt
def upload(request):
    """POST body check: length and sha256 of what Django received."""
    body = request.body
    return JsonResponse({"length": len(body), "sha256": hashlib.sha256(body).hexdigest()})


def stream(request):
    """Streaming response check: 100 chunks of 10 KiB (the bridge must not buffer-break it)."""
    return StreamingHttpResponse((b"%03d" % i + b"." * 10237 for i in range(100)))
