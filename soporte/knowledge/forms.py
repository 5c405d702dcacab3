"""Forms of the knowledge pages: they parse what people type; the rules stay in `services`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from soporte.directory.models import Area
from soporte.knowledge.models import (
    BODY_MAX,
    COMMENT_MAX,
    TITLE_MAX,
    ArticleStatus,
    Category,
    DeviceKind,
    PostStatus,
    Visibility,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Título"), max_length=TITLE_MAX)
    body = forms.CharField(
        label=_("Contenido"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "Markdown: **negritas**, listas con guiones, ## subtítulos, [enlaces](https://…)."
        ),
    )
    category = forms.ModelChoiceField(
        label=_("Categoría"), queryset=Category.objects.order_by("name", "id"), required=False
    )
    level = forms.TypedChoiceField(
        label=_("Nivel"),
        coerce=int,
        choices=[(1, _("Nivel 1")), (2, _("Nivel 2")), (3, _("Nivel 3")), (4, _("Nivel 4"))],
        initial=1,
    )
    area = forms.ModelChoiceField(
        label=_("Área"), queryset=Area.objects.order_by("name", "id"), required=False
    )
    tags = forms.CharField(
        label=_("Etiquetas"), max_length=400, required=False, help_text=_("Separadas por comas.")
    )
    device_kinds = forms.MultipleChoiceField(
        label=_("Tipos de equipo"),
        choices=DeviceKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    visibility = forms.ChoiceField(label=_("Visibilidad"), choices=Visibility.choices)
    status = forms.ChoiceField(label=_("Estado"), choices=ArticleStatus.choices)
    review_date = forms.DateField(label=_("Revisar el"), required=False, widget=DATE)
    note = forms.CharField(label=_("Nota de la revisión"), max_length=200, required=False)


class SearchForm(forms.Form):
    q = forms.CharField(max_length=300, required=False)


class PostForm(forms.Form):
    title = forms.CharField(label=_("Título"), max_length=TITLE_MAX)
    excerpt = forms.CharField(
        label=_("Resumen"),
        max_length=300,
        required=False,
        help_text=_("Una o dos frases para la portada del blog, los feeds y las redes."),
    )
    body = forms.CharField(
        label=_("Contenido"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_(
            "Markdown: **negritas**, listas con guiones, ## subtítulos, [enlaces](https://…)."
        ),
    )
    category = forms.ModelChoiceField(
        label=_("Categoría"), queryset=Category.objects.order_by("name", "id"), required=False
    )
    tags = forms.CharField(
        label=_("Etiquetas"), max_length=400, required=False, help_text=_("Separadas por comas.")
    )
    cover = forms.FileField(
        label=_("Portada"),
        required=False,
        help_text=_("JPEG, PNG o WebP de hasta 8 MB; se reduce y se le quitan los metadatos."),
    )
    status = forms.ChoiceField(label=_("Estado"), choices=PostStatus.choices)
    publish_at = forms.DateTimeField(
        label=_("Publicar el"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("Solo para una entrada programada: el trabajador la publica a esa hora."),
    )


class CommentForm(forms.Form):
    author_name = forms.CharField(label=_("Nombre"), max_length=80, required=False)
    author_email = forms.EmailField(
        label=_("Correo (no se publica)"), max_length=200, required=False
    )
    body = forms.CharField(
        label=_("Comentario"), max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    # The honeypot: hidden from people by CSS and aria-hidden, filled by bots.
    website = forms.CharField(required=False, max_length=200)
