"""Once-only writes: a form sent twice or an API POST retried makes one change (issue 21).

Forms carry a one-time token (`_once`, added by `static/soporte/once.js` when the form is
sent); API clients send an `Idempotency-Key` header. `middleware.OnceMiddleware` claims the
token before the view runs and remembers the answer: the repeat gets the first answer instead
of a second note, ticket, sale or e-mail.
"""
