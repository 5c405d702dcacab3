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
