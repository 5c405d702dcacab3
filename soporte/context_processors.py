from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def desk(request: HttpRequest) -> dict[str, Any]:
    return {"DESK_NAME": settings.DESK_NAME, "DESK_TIME_ZONE": settings.TIME_ZONE}
