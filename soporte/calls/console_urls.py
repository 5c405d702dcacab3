"""URLs of the agent console, the wallboard and callbacks."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
