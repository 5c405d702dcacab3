"""Every form says what it needs (issue 21, item 2): on every page of the route table, as each
persona sees it, a control the browser requires (`required`) has a label that shows the
required marker, and no label says "(opcional)" for a control that is required.

The pages are the route table's own (tests/security/routes.py), opened with its world, so a
form added on a new page is checked the day its route gets its row.
"""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from django.urls import NoReverseMatch, reverse

from tests.security.routes import NOT_YET_IN_THE_MATRIX, PAGES, Row
from tests.security.test_route_matrix import _args, world  # noqa: F401 - the matrix's fixture

MARKER_CLASS = "required-mark"
CONTROLS = ("input", "select", "textarea")
WHO = ("anonymous", "agent", "supervisor", "customer_a")


def _label_of(soup: BeautifulSoup, control: Tag) -> Tag | None:
    if control.get("id"):
        found = soup.find("label", attrs={"for": control["id"]})
        if found is not None:
            return found
    parent = control.find_parent("label")
    return parent if isinstance(parent, Tag) else None


def problems(html: str) -> list[str]:
    """What a person would trip on: a required control without the marker on its label,
    or a required control whose label calls it optional."""
    soup = BeautifulSoup(html, "html.parser")
    found: list[str] = []
    for control in soup.find_all(CONTROLS):
        if not control.has_attr("required") or control.get("type") == "hidden":
            continue
        name = control.get("name") or control.get("id") or control.name
        label = _label_of(soup, control)
        if label is None:
            # A lone control named by aria-label (a search box, a one-field row) says in its
            # own words what it needs; it must still be marked for assistive technology.
            if control.get("aria-label") and control.has_attr("required"):
                continue
            found.append(f"{name}: required, without a label")
            continue
        if label.find(class_=MARKER_CLASS) is None:
            found.append(f"{name}: required, its label has no marker")
        if "(opcional)" in label.get_text() or "(optional)" in label.get_text():
            found.append(f"{name}: required, its label says optional")
    return found


def test_the_checker_sees_an_unmarked_and_a_wrongly_optional_field():
    assert problems('<label for="a">Nombre</label><input id="a" name="a" required>') == [
        "a: required, its label has no marker"
    ]
    assert problems(
        '<label>Correo (opcional) <span class="required-mark">*</span>'
        '<input name="b" required></label>'
    ) == ["b: required, its label says optional"]
    assert not problems(
        '<label for="c">Nombre <span class="required-mark">*</span></label>'
        '<input id="c" name="c" required><label for="d">Nota (opcional)</label><input id="d">'
    )


def _without_arguments(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


# The table's pages, and those of its not-yet list that take no argument (their forms are
# checked already; their access rows are their owners' to write).
ROWS: dict[str, Row] = {
    **{name: Row("public") for name in NOT_YET_IN_THE_MATRIX if ":" in name},
    **PAGES,
}


def _get_pages() -> list[str]:
    return sorted(
        name
        for name in ROWS
        if not name.startswith("api:") and (name in PAGES or _without_arguments(name))
    )


@pytest.mark.parametrize("name", _get_pages())
def test_required_fields_are_marked_on_every_page(personas, world, name):  # noqa: F811
    row = ROWS[name]
    path = reverse(name, kwargs=_args(row, world))
    found: dict[str, Any] = {}
    for who in WHO:
        response = personas.client(who).get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        issues = problems(response.content.decode())
        if issues:
            found[who] = issues
    assert not found, f"{path}: {found}"
