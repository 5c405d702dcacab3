"""What the agent says on the phone (seed 000): the script's phrases, shared by the console
(which prompts them) and QA (which checks them in transcripts).

The phrases are the words spoken to a Spanish-speaking caller, so they are not translated
with the interface language.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

GOOD_MORNING = "Buenos días"
GOOD_AFTERNOON = "Buenas tardes"
GOOD_EVENING = "Buenas noches"
GREETINGS = (GOOD_MORNING, GOOD_AFTERNOON, GOOD_EVENING)


def greeting_for(moment: dt.datetime) -> str:
    """T2: the greeting for the time of day at the desk (settings.TIME_ZONE).

    Before 12:00 "Buenos días", before 19:00 "Buenas tardes", otherwise "Buenas noches".
    """
    hour = timezone.localtime(moment).hour if timezone.is_aware(moment) else moment.hour
    if hour < 12:
        return GOOD_MORNING
    if hour < 19:
        return GOOD_AFTERNOON
    return GOOD_EVENING


def greeting_script(*, desk: str, agent_first_name: str, moment: dt.datetime) -> str:
    """T2: greet by time of day, name the desk and the agent's first name, offer help."""
    return (
        f"{greeting_for(moment)}, {desk}, le atiende {agent_first_name}, ¿en qué le puedo ayudar?"
    )


NAME_PROMPT = "¿Me permite su nombre, por favor?"  # T3, once the need is told


def hold_script(*, reason: str) -> str:
    """H1 says why; H2 lets the caller choose."""
    why = reason.strip().rstrip(".") or "…"
    return (
        f"Para atenderle necesito {why}. ¿Prefiere esperar en la línea un momento "
        "o que le devolvamos la llamada?"
    )


def hold_return_script(*, caller_name: str) -> str:
    """H3: at the limit, go back to the caller and explain."""
    return (
        f"{caller_name or 'Disculpe'}, sigo trabajando en su caso y tardará un poco más. "
        "¿Prefiere seguir esperando o que le devolvamos la llamada?"
    )


def resume_script(*, caller_name: str) -> str:
    """H4: resume with the caller's name and thanks."""
    if caller_name:
        return f"{caller_name}, gracias por su amable espera en la línea."
    return "Gracias por su amable espera en la línea."


def transfer_script(*, colleague: str, area: str, reason: str) -> str:
    """T4: who will take the call and why, said before transferring."""
    why = reason.strip().rstrip(".") or "…"
    return (
        f"Le voy a transferir con {colleague or '…'}, especialista en {area or '…'}, porque {why}."
    )


def receiving_script(*, caller_name: str, agent_first_name: str, level: int, reason: str) -> str:
    """X3: the receiving agent introduces themself, names the caller and recaps the reason.

    The sender's summary ("Reinicié la cola…") is their own first-person note: the console
    shows it beside the script as the colleague's note, never inside what the receiver says.
    """
    why = reason.strip().rstrip(".") or "…"
    return (
        f"Hola {caller_name or '…'}, soy {agent_first_name}, de nivel {level}; entiendo que {why}."
    )


def closing_script(*, agent_first_name: str) -> str:
    """C1: thank, wish a good day and say who attended."""
    return f"Gracias por llamar, que tenga un buen día, la atendió {agent_first_name}."
