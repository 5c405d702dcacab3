"""Tickets by e-mail (rules T8a–T8f), in three parts that import one way:

- `threads`: threading, our signed Message-IDs and references (pure);
- `parsing`: one RFC 822 message into what intake needs (pure);
- `notifications`: the messages the use cases send (`services` calls them), threaded under
  the ticket and, for a customer's mail, under their message (`ViaMail`);
- `intake`: one message in: a new ticket, a reply, ignored or quarantined (calls `services`).

So `services` → `notifications` → `threads`, and `intake` → `services`: no circle. This
package's own namespace is empty on purpose: import the part you need.
"""
