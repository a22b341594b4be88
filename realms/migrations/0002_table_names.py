"""The moved models' tables take this app's names (``adminconsole_realm`` → ``realms_realm``, ...).

A rename keeps every row, id sequence, index and foreign key that points at the table.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("realms", "0001_initial"),
        # Only once every app's migration state names realms.Realm: earlier migrations of other
        # apps still read and write the realm through the table's old name.
        ("adminconsole", "0007_realm_moved"),
    ]

    operations = [
        migrations.AlterModelTable(name="realm", table=None),
        migrations.AlterModelTable(name="adminevent", table=None),
        migrations.AlterModelTable(name="loginevent", table=None),
        migrations.AlterModelTable(name="clientauthfailure", table=None),
    ]
