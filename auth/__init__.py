"""Authentication, roles, request guard, audit and security headers (issue 4).

init_app(server, settings) and init_dash(app, settings) are the only entry
points app.py calls.
"""


def init_app(server, settings):  # filled in by the auth work (issue 4)
    return None


def init_dash(app, settings):
    return None
