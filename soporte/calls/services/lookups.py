"""Who an event names: agents by phone, extension, login, id or name, and callers by phone.

Both are read at most once per batch, only when an event needs them, and shared by the batches
of the next two seconds (`soporte.lib.refcache`): a burst does not re-read the directory for
every commit. A saved agent, user or person is seen by this process's next batch, by other
processes within two seconds.
"""

from __future__ import annotations

from soporte.directory.models import Agent, Organisation, Person, Presence, User
from soporte.lib import refcache

AGENT_INDEX_SECONDS = 2.0
PEOPLE_INDEX_SECONDS = 2.0


@refcache.reference(Agent, User, seconds=AGENT_INDEX_SECONDS)
def agent_index() -> dict[str, dict[str, Agent]]:
    """Active agents by kind of key ("number", "login", "id", "name"), keys lower-cased."""
    by: dict[str, dict[str, Agent]] = {"number": {}, "login": {}, "id": {}, "name": {}}
    for agent in Agent.objects.select_related("user").filter(user__is_active=True):
        user = agent.user
        for kind, key in (
            ("number", user.phone),
            ("number", agent.extension),
            ("login", user.username),
            ("id", str(agent.pk)),
            ("name", user.get_full_name()),
            ("name", str(user)),
        ):
            if key:
                by[kind].setdefault(key.strip().lower(), agent)
    return by


class Agents:
    """Looks agents up the way Zammad does (phone, then login, then id), plus name and extension.

    One batch reads one index (`agent_index`), however many events it has.
    """

    def __init__(self) -> None:
        self._by: dict[str, dict[str, Agent]] | None = None

    def _load(self) -> dict[str, dict[str, Agent]]:
        if self._by is None:
            self._by = agent_index()
        return self._by

    def find(
        self, *keys: str, kinds: tuple[str, ...] = ("number", "login", "id", "name")
    ) -> Agent | None:
        index = self._load()
        for key in keys:
            if not key:
                continue
            for kind in kinds:
                if agent := index[kind].get(key.strip().lower()):
                    return agent
        return None

    def by_number(self, number: str) -> Agent | None:
        """A dialled number is an extension or a phone, never an id or a login."""
        return self.find(number, kinds=("number",))

    def available_level_one(self) -> list[Agent]:
        agents = {a.pk: a for a in self._load()["id"].values()}
        return [a for a in agents.values() if a.level == 1 and a.presence == Presence.AVAILABLE]


@refcache.keyed(Person, Organisation, seconds=PEOPLE_INDEX_SECONDS, max_entries=10_000)
def people_by_phone(numbers: set[str]) -> dict[str, Person]:
    """The callers' records (with their organisation) for a batch's new calls; numbers nobody
    has are left out (and remembered as such for the window)."""
    found: dict[str, Person] = {}
    for person in (
        Person.objects.select_related("organisation").filter(phone__in=numbers).order_by("-id")
    ):
        found[person.phone] = person  # the oldest wins (ordered newest first)
    return found
