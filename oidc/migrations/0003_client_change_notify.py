"""Kept so databases that applied it stay consistent; does nothing now.

It installed the PostgreSQL triggers that NOTIFY ``oidc_client_changed`` on the clients app's
tables. Those triggers belong to the clients app, which installs them idempotently
(``clients.0005_client_change_notify``), whether or not this migration ran before.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("oidc", "0002_existing_realms"),
        ("clients", "0001_initial"),
    ]

    operations = []
