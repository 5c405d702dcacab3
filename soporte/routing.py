"""Websocket routes of every app."""

from django.urls import path

from soporte.directory.consumers import PresenceConsumer

websocket_urlpatterns = [
    path("ws/presence/", PresenceConsumer.as_asgi()),
]
