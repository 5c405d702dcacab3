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
from soporte.knowledge.search import fold

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


BLOCKED_WORDS_MAX = 4000  # characters of the hold list (a few hundred words or phrases)


class BlogSettingsForm(forms.Form):
    """The blog's knobs a supervisor edits: the reminder and the comments' anti-spam."""

    reminder_days = forms.IntegerField(
        label=_("Días sin publicar antes del aviso a los autores"), min_value=1, max_value=60
    )
    blocked_words = forms.CharField(
        label=_("Palabras que retienen un comentario para revisión"),
        required=False,
        max_length=BLOCKED_WORDS_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Una por renglón; sin distinguir mayúsculas ni acentos."),
    )
    max_links = forms.IntegerField(
        label=_("Enlaces permitidos en un comentario sin revisión"), min_value=0, max_value=20
    )
    comments_per_hour = forms.IntegerField(
        label=_("Comentarios por hora por correo o por IP"), min_value=1, max_value=100
    )

    def clean_blocked_words(self) -> str:
        lines = [" ".join(line.split()) for line in self.cleaned_data["blocked_words"].splitlines()]
        if any(len(line) > 80 for line in lines):
            raise forms.ValidationError(
                _("Cada palabra o frase tiene hasta 80 caracteres."), code="word_length"
            )
        # One line per word, as the screening compares them: without case or accents.
        kept: dict[str, str] = {}
        for line in lines:
            if line:
                kept.setdefault(fold(line), line)
        return "\n".join(kept.values())
