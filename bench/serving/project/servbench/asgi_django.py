"""Setup (e): Django's own ASGI handler, for reference (HTTP only)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servbench.settings")
application = get_asgi_application()
