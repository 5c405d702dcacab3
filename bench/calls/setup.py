"""Prepare a bench database (run with VAR_DIR set): the bench CTI line and, if asked, agents
with ready-made login sessions (no password hashing per console).

    VAR_DIR=... python bench/calls/setup.py --token T [--agents N]   -> one JSON line
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soporte.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.utils import timezone  # noqa: E402

from soporte.calls.events import token_hash  # noqa: E402
from soporte.calls.models import PhoneLine  # noqa: E402
from soporte.directory.models import Agent, Presence, Role, User  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--agents", type=int, default=0)
    args = parser.parse_args()
    now = timezone.now()
    line = PhoneLine.objects.filter(token_hash=token_hash(args.token)).first()
    if line is None:
        line = PhoneLine.objects.create(
            name="Bench",
            token_hash=token_hash(args.token),
            token_hint=args.token[-4:],
            created_at=now,
        )
    agents = []
    for n in range(args.agents):
        username = f"bench.agente.{n:03d}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                first_name="Bench",
                last_name=f"Agente {n:03d}",
                email=f"{username}@bench.invalid",
                role=Role.AGENT,
            )
            user.set_unusable_password()
            user.save()
            Agent.objects.create(
                user=user, level=1, presence=Presence.AVAILABLE, extension=f"9{n:03d}"
            )
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        agents.append(
            {"id": user.agent.pk, "name": user.get_full_name(), "session": session.session_key}
        )
    print(json.dumps({"line": line.pk, "agents": agents}))


if __name__ == "__main__":
    main()
