"""Pages of the bitácora. Views are glue: authorise, validate, one service call, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from soporte.logbook.models import Logbook


@login_required
def logbook_list(request: HttpRequest) -> HttpResponse:
    logbooks = Logbook.objects.visible_to(request.user).select_related("organisation").order_by("id")
    return render(request, "logbook/logbook_list.html", {"logbooks": logbooks})
