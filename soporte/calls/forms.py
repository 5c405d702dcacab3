"""Forms of the console: they parse what the agent types; the rules stay in `services`.

Fields that a rule requires (the hold's reason, the hand-off's reason and summary, who hung
up) are optional here on purpose, so the service gives its own Spanish message (H1, X2, C3).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from soporte.calls.models import HoldChoice, Party, TransferKind
from soporte.directory.models import Level


class RingingForm(forms.Form):
    number = forms.CharField(label=_("Número de quien llama"), max_length=64, required=False)


class CallerForm(forms.Form):
    need = forms.CharField(label=_("Necesidad"), max_length=4000, required=False)
    caller_name = forms.CharField(label=_("Nombre de quien llama"), max_length=200, required=False)


class HoldForm(forms.Form):
    reason = forms.CharField(label=_("Motivo de la espera"), max_length=300, required=False)
    choice = forms.CharField(label=_("Elección de quien llama"), max_length=10, required=False)
    callback_at = forms.DateTimeField(
        label=_("Devolver la llamada a las"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )

    CHOICES = HoldChoice.choices


class OpenTicketForm(forms.Form):
    requester = forms.IntegerField(label=_("Solicitante"))
    subject = forms.CharField(label=_("Asunto"), max_length=200)
    description = forms.CharField(label=_("Descripción"), max_length=10000, required=False)


class AttachTicketForm(forms.Form):
    ticket = forms.IntegerField(label=_("Folio"), min_value=1)


class TransferForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Tipo"), choices=TransferKind.choices, initial=TransferKind.WARM
    )
    level = forms.TypedChoiceField(label=_("Nivel"), choices=Level.choices, coerce=int)
    area = forms.IntegerField(label=_("Área"), required=False)
    to_agent = forms.IntegerField(label=_("Colega"), required=False)
    announced = forms.BooleanField(label=_("Ya le dije a quien llama (T4)"), required=False)
    reason = forms.CharField(label=_("Motivo"), max_length=2000, required=False)
    summary = forms.CharField(label=_("Resumen para quien recibe"), max_length=4000, required=False)


class HangUpForm(forms.Form):
    by = forms.CharField(max_length=8, required=False)

    CHOICES = ((Party.CALLER, _("Colgó quien llamó")), (Party.AGENT, _("Colgué yo")))


class CallbackDoneForm(forms.Form):
    result = forms.CharField(label=_("Resultado"), max_length=300, required=False)
