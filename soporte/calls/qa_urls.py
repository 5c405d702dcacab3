"""URLs of QA: scorecards, reviews, glossary and averages."""

from django.urls import URLPattern, path

from soporte.calls import qa_views

urlpatterns: list[URLPattern] = [
    path("calidad/", qa_views.averages, name="qa_averages"),
    path("calidad/<int:call_id>/", qa_views.scorecard, name="qa_scorecard"),
    path(
        "calidad/<int:call_id>/lineas/<int:line_id>/revisar/",
        qa_views.review,
        name="qa_review",
    ),
    path(
        "calidad/<int:call_id>/transcripcion/",
        qa_views.upload_transcript,
        name="qa_upload_transcript",
    ),
    path("calidad/glosario/", qa_views.glossary, name="qa_glossary"),
    path("calidad/glosario/<int:term_id>/", qa_views.glossary_edit, name="qa_glossary_edit"),
    path(
        "calidad/glosario/<int:term_id>/borrar/",
        qa_views.glossary_delete,
        name="qa_glossary_delete",
    ),
]
