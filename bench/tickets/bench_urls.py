"""soporte.urls plus the plain view the requirement compares against.

`/bench/plain/<id>` reads one ticket row by primary key through the ORM (two columns) and
returns it as text: the "plain Django view that reads one row by primary key".
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from soporte.tickets.models import Ticket
from soporte.urls import urlpatterns as product_urlpatterns


def plain(request: HttpRequest, pk: int) -> HttpResponse:
    row = Ticket.objects.values("id", "subject").get(pk=pk)
    return HttpResponse(f"{row['id']} {row['subject']}", content_type="text/plain")


urlpatterns = [path("bench/plain/<int:pk>", plain), *product_urlpatterns]
