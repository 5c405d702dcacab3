"""Forms of the knowledge pages: they parse what people type; the rules stay in `services`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from soporte.directory.models import Area
from soporte.knowledge.models import (
    BODY_MAX,
    TITLE_MAX,
    ArticleStatus,
    Category,
    DeviceKind,
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
