"""Mask the credentials that django-axes stored in clear before its data was masked.

Failed sign-ins and failed password grants kept the whole form in ``axes_accessattempt``
(``get_data``/``post_data``), ``client_secret`` and the like included. New rows are masked when
written (``adminconsole.security.ConsoleAxesHandler``); this cleans the rows already there.
"""

from django.db import migrations

from realms.sensitive import access_attempts_scrub


def scrub(apps, schema_editor):
    access_attempts_scrub(apps.get_model("axes", "AccessAttempt"))


class Migration(migrations.Migration):

    dependencies = [
        ("adminconsole", "0003_events_and_throttle"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [
        # What was masked cannot be unmasked: going back leaves the rows as they are.
        migrations.RunPython(scrub, migrations.RunPython.noop),
    ]
