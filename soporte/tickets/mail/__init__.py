"""Tickets by e-mail (rules T8a–T8f): the parts the use cases build on, importing one way:

- `threads`: threading, our signed Message-IDs and references (pure);
- `parsing`: one RFC 822 message into what intake needs (pure);
- `notifications`: the messages the use cases send (`services` calls them), threaded under
  the ticket and, for a customer's mail, under their message (`ViaMail`).

Intake, which calls the use cases, is `soporte.tickets.intake`: so `intake` → `services` →
`mail.notifications` → `mail.threads`, and no circle. This package's own namespace is empty
on purpose: import the part you need.
"""
