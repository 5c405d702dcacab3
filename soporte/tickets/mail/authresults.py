"""Is the From: of an incoming message the real sender? (issue #19, defect 9: a forged sender
opened a ticket in another person's name.)

The desk's own mail server checks DKIM, SPF and DMARC and writes its verdict in an
`Authentication-Results` header (RFC 8601) stamped with its authserv-id. Only headers with
that id are read (a sender can write any header of its own; the receiving server removes
forged ones with its id). The sender is verified when one method passed for a domain aligned
with the From: address's domain: DMARC (header.from), DKIM (header.d) or SPF
(smtp.mailfrom). Alignment is relaxed, as DMARC's default: the same domain or one a
subdomain of the other.

Off unless SOPORTE_MAIL_AUTHSERV_ID names the server (a desk whose mail server adds no such
header keeps today's behaviour); on, an unverified message is quarantined for a person to
look at, never attached to anyone's ticket.
"""

from __future__ import annotations

import logging

import authres

logger = logging.getLogger(__name__)

# The property each method's authenticated domain is in.
DOMAIN_PROPERTY = {
    "dmarc": ("header", "from"),
    "dkim": ("header", "d"),
    "spf": ("smtp", "mailfrom"),
}


def _domain(value: str) -> str:
    return value.rpartition("@")[2].strip().strip(".").lower()


def aligned(authenticated: str, author: str) -> bool:
    a, b = _domain(authenticated), _domain(author)
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def sender_verified(header_values: list[str], sender: str, authserv_id: str) -> bool:
    """True when a result of `authserv_id` says a method passed for `sender`'s domain."""
    for value in header_values:
        try:
            header = authres.AuthenticationResultsHeader.parse_value(value)
        except Exception:  # a malformed header verifies nothing
            logger.info("unreadable Authentication-Results: %r", value[:200])
            continue
        if str(header.authserv_id).lower() != authserv_id.lower():
            continue
        for result in header.results:
            method = str(result.method).lower()
            if method not in DOMAIN_PROPERTY or str(result.result).lower() != "pass":
                continue
            ptype, pname = DOMAIN_PROPERTY[method]
            for prop in result.properties:
                if prop.type == ptype and prop.name == pname and aligned(str(prop.value), sender):
                    return True
    return False
