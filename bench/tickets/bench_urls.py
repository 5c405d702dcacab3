"""soporte.urls plus the plain view the requirement compares against.

`/bench/plain/<id>` reads one ticket row by primary key through the ORM (two columns) and
returns it as text: the "plain Django view that reads one row by primary key".
`/bench/shell` is a diagnostic, not part of the requirement: the signed-in layout
(base.html) with no content, i.e. the floor of any page a signed-in agent sees
(session, user, menu, CSRF token); `/bench/signed-in` the same without the layout.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from soporte.tickets.models import Ticket
from soporte.urls import urlpatterns as product_urlpatterns


def plain(request: HttpRequest, pk: int) -> HttpResponse:
    row = Ticket.objects.values("id", "subject").get(pk=pk)
    return HttpResponse(f"{row['id']} {row['subject']}", content_type="text/plain")


@login_required
def signed_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.user.get_username(), content_type="text/plain")


@login_required
def shell(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html")


def sized(request: HttpRequest, size: int) -> HttpResponse:
    """A body of `size` bytes and nothing else: what a page's size alone costs the server."""
    return HttpResponse(b"x" * min(size, 1_000_000), content_type="text/html")


urlpatterns = [
    path("bench/bytes/<int:size>", sized),
    path("bench/plain/<int:pk>", plain),
    path("bench/signed-in", signed_in),
    path("bench/shell", shell),
    *product_urlpatterns,
]
