"""The WSGI application gunicorn serves: Django's, with the lean paths sent the short way
(``adminconsole.handlers``)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adminconsole.settings")
django.setup(set_prefix=False)

from adminconsole.handlers import ConsoleWSGIApplication  # noqa: E402  (after setup)

application = ConsoleWSGIApplication()
