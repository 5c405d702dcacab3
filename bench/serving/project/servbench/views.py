from django.http import Http404, JsonResponse

from .models import Item


def hello(request):
    return JsonResponse({"hello": "world"})


def item(request, item_id):
    try:
        obj = Item.objects.get(pk=item_id)
    except Item.DoesNotExist:
        raise Http404("no such item")
    return JsonResponse({"id": obj.pk, "name": obj.name, "value": obj.value})
