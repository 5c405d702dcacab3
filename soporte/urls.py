from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from soporte import views
from soporte.api import api
from soporte.directory import signin

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("entrar/", views.login, name="login"),
    path("demo/accesos/", views.demo_logins, name="demo_logins"),
    path("salir/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "contrasena/restablecer/",
        signin.ThrottledPasswordResetView.as_view(
            email_template_name="registration/password_reset_email.txt",
            html_email_template_name="registration/password_reset_email.html",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "contrasena/restablecer/enviado/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "contrasena/restablecer/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "contrasena/restablecer/listo/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("directorio/", include("soporte.directory.urls")),
    path("bitacora/", include("soporte.logbook.urls")),
    path("tickets/", include("soporte.tickets.urls")),
    path("llamadas/", include("soporte.calls.urls")),
    path("inventario/", include("soporte.inventory.urls")),
    path("taller/", include("soporte.workshop.urls")),
    path("reportes/", include("soporte.reports.urls")),
    path("triaje/", include("soporte.triage.urls")),
    path("", include("soporte.knowledge.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
