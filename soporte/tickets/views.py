"""Pages of tickets (work in progress)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse


@login_required
def _todo(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


queue = ticket_new = bulk_assign = ticket_detail = ticket_status = ticket_assign = _todo
ticket_escalate = ticket_note = attachment_download = portal_list = portal_new = _todo
portal_detail = portal_reply = portal_approval = portal_survey = _todo
