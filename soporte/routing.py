"""Websocket routes of every app."""

from django.urls import path

from soporte.calls.consumers import ConsoleConsumer, WallboardConsumer
from soporte.directory.consumers import PresenceConsumer

websocket_urlpatterns = [
    path("ws/presence/", PresenceConsumer.as_asgi()),
    path("ws/llamadas/consola/", ConsoleConsumer.as_asgi()),
    path("ws/llamadas/tablero/", WallboardConsumer.as_asgi()),
]
