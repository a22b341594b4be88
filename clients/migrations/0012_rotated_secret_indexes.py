"""Two indexes for the Secret rotation summary's "rotated secret in use" (clients.rotation).

The count reads the rotated secrets used lately, a range of (kind, last_used_time, ...) that
holds what the rule needs, and looks up each one's current secret's creation time in
(client, kind, created_time), instead of joining every current secret. Indexes only: no table is
rebuilt, so the triggers of 0008, 0010 and 0011 stay in place on SQLite.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0011_secret_expiry_counts'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='clientsecret',
            index=models.Index(fields=['kind', 'last_used_time', 'expiration_time', 'client'], name='clientsecret_kind_used'),
        ),
        migrations.AddIndex(
            model_name='clientsecret',
            index=models.Index(fields=['client', 'kind', 'created_time'], name='clientsecret_kind_created'),
        ),
    ]
