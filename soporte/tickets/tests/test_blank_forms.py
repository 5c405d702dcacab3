"""The ticket page prints its four empty forms from `forms.blank` (no Django form built per
view): every control must come out exactly as from the real unbound form, in both languages."""

from __future__ import annotations

import pytest
from django.template import engines
from django.utils import translation

from soporte.tickets.forms import AssignForm, EscalateForm, NoteForm, StatusForm, blank

SOURCE = """{% from "tickets/_controls.html" import text, textarea, select, files, attrs %}
{%- for name in names %}[{{ name }}|{{ form[name].label }}|{{ form[name].value() }}|
{{- form[name].field.required }}|{{ attrs(form[name]) }}|{{ text(form[name]) }}|
{{- textarea(form[name], 3) }}|{{ select(form[name], [(2, 'dos')]) }}|{{ files(form[name]) }}]
{%- endfor %}{{ form.errors|length }}{{ form.non_field_errors()|length }}"""


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize(
    ("form_class", "initial"),
    [
        (StatusForm, {}),
        (AssignForm, {}),
        (NoteForm, {}),
        (EscalateForm, {"to_level": 3, "customer_name": "Roberto <Sánchez> & hijos"}),
    ],
)
def test_a_blank_form_prints_like_the_unbound_form(db, personas, language, form_class, initial):
    template = engines["jinja2"].env.from_string(SOURCE)  # type: ignore[attr-defined]
    kwargs = {"actor": personas.agent} if form_class is AssignForm else {}
    with translation.override(language):
        real = form_class(initial=initial, **kwargs)
        names = list(real.fields)
        expected = template.render(form=real, names=names)
        got = template.render(form=blank(form_class, **initial), names=names)
    assert got == expected
    if initial:
        assert "Roberto &lt;Sánchez&gt; &amp; hijos" in got  # escaped like any value


def test_the_initial_values_of_one_page_do_not_leak_into_the_next(db):
    first = blank(EscalateForm, to_level=2, customer_name="Ana")
    second = blank(EscalateForm)
    assert first["customer_name"].value() == "Ana"
    assert second["customer_name"].value() is None
