from django.urls import path

from . import views

urlpatterns = [
    path("hello", views.hello),
    path("item/<int:item_id>", views.item),
    path("upload", views.upload),
    path("stream", views.stream),
]
