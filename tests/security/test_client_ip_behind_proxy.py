"""Sign-in throttling behind a load balancer (issue #19): the address django-axes locks is
the client's, read from X-Forwarded-For only when the request comes from a trusted proxy."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, RequestFactory

from soporte.lib.clientip import client_ip

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT
PROXY = "10.0.0.2"


def sign_in(username: str, password: str, *, remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client().post("/entrar/", {"username": username, "password": password}, **extra)


def test_without_trusted_proxies_a_forged_header_does_not_dodge_the_lockout(personas, password):
    for n in range(LIMIT):
        sign_in(f"usuario-{n}", "nada", remote="198.51.100.9", forwarded=f"192.0.2.{n}")

    refused = sign_in("roberto.sanchez", password, remote="198.51.100.9", forwarded="192.0.2.200")

    assert refused.status_code == 429


def test_behind_a_trusted_proxy_one_client_is_locked_out_and_the_others_sign_in(
    personas, password, settings
):
    settings.SOPORTE_TRUSTED_PROXIES = ["10.0.0.0/24"]
    for n in range(LIMIT):
        # What the guesser writes to the left is ignored: the proxy appended the real address.
        sign_in(f"usuario-{n}", "nada", remote=PROXY, forwarded=f"192.0.2.{n}, 203.0.113.5")

    guesser = sign_in("roberto.sanchez", password, remote=PROXY, forwarded="203.0.113.5")
    colleague = sign_in("roberto.sanchez", password, remote=PROXY, forwarded="198.51.100.7")

    assert guesser.status_code == 429
    assert colleague.status_code == 302  # the whole desk is not locked out with the proxy


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        ([], "10.0.0.2", "203.0.113.5", "10.0.0.2"),  # no setting: never read
        (["10.0.0.0/24"], "198.51.100.1", "203.0.113.5", "198.51.100.1"),  # not from the proxy
        (["10.0.0.0/24"], "10.0.0.2", "203.0.113.5", "203.0.113.5"),
        (["10.0.0.0/24"], "10.0.0.2", "1.2.3.4, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (["10.0.0.0/24"], "10.0.0.2", "10.0.0.7", "10.0.0.2"),  # only proxies: the proxy
        (["10.0.0.0/24"], "10.0.0.2", "no-es-una-dirección", "10.0.0.2"),
        (["10.0.0.0/24"], "10.0.0.2", "", "10.0.0.2"),
        (["::1", "10.0.0.2"], "::1", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_the_client_address_is_the_right_most_untrusted_hop(
    settings, trusted, remote, forwarded, expected
):
    settings.SOPORTE_TRUSTED_PROXIES = trusted
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
