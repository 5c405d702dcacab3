from django.urls import path

from soporte.directory import views

app_name = "directory"

urlpatterns = [
    path("agentes/", views.agent_list, name="agent_list"),
    path("agentes/<int:agent_id>/", views.agent_detail, name="agent_detail"),
    path("agentes/<int:agent_id>/nivel/", views.agent_set_level, name="agent_set_level"),
    path(
        "agentes/<int:agent_id>/certificaciones/",
        views.agent_add_certification,
        name="agent_add_certification",
    ),
    path("presencia/", views.my_presence, name="my_presence"),
    path("organizaciones/", views.organisation_list, name="organisation_list"),
    path("organizaciones/<int:org_id>/", views.organisation_detail, name="organisation_detail"),
    path("personas/<int:person_id>/", views.person_detail, name="person_detail"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:token_id>/revocar/", views.token_revoke, name="token_revoke"),
]
