"""The smallest desk the multi-node tests need, written straight into the cluster's database:
an agent with a password and an API token, a supervisor, a customer organisation with a
requester, and the demo CTI line (its token from the environment). Writes desk.json (the API
token, the ids) into VAR_DIR.

    DATABASE_URL=… python -m tests.multinode.desk
"""

from __future__ import annotations

import django

django.setup()

import json  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402

from soporte.demo import demo_cti_line  # noqa: E402
from soporte.directory.models import (  # noqa: E402
    Agent,
    ContactRole,
    Organisation,
    Person,
    Presence,
    Role,
    User,
)
from soporte.directory.services import create_api_token  # noqa: E402
from soporte.lib import clock  # noqa: E402
from tests.multinode.cluster import AGENT, PASSWORD  # noqa: E402


def main() -> None:
    now = clock.now()
    for username, first, last, role in (
        (*AGENT, Role.AGENT),
        ("hugo.salas", "Hugo", "Salas", Role.SUPERVISOR),
    ):
        user = User(username=username, first_name=first, last_name=last, role=role)
        user.email = f"{username}@example.mx"
        user.set_password(PASSWORD)
        user.save()
        Agent.objects.create(
            user=user, level=3 if role == Role.SUPERVISOR else 1, presence=Presence.AVAILABLE
        )
    demo_cti_line(now=now)
    organisation = Organisation.objects.create(name="Multinodo SA")
    person = Person.objects.create(
        organisation=organisation,
        full_name="Rosa Ibarra",
        email="rosa.ibarra@example.mx",
        contact_role=ContactRole.BOTH,
    )
    _token, plain = create_api_token(user=User.objects.get(username=AGENT[0]), name="pruebas")
    # What the tests need to know, beside the setup's VAR_DIR.
    facts = {"token": plain, "organisation_id": organisation.pk, "requester_id": person.pk}
    (Path(os.environ["VAR_DIR"]) / "desk.json").write_text(json.dumps(facts))


if __name__ == "__main__":
    main()
