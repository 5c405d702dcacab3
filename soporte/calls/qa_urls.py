"""URLs of QA: scorecards, reviews, glossary and averages."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
