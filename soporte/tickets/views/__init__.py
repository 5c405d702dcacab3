"""Pages of tickets, by who reads them:

- `desk`: the desk's queues, bulk assignment, a new ticket, one ticket's page and actions;
- `portal`: the customer portal (virtual attention);
- `display`: how tickets are shown (SLA countdowns and clocks, queue rows, Jinja2 pages);
- `access`: who may see what, shared by both (another organisation's ticket is a 404).

Views are glue: authorise, validate, one service call, render.
"""
