from __future__ import annotations

import json

from django.db import models

from realms.models import Realm


class VerbatimJSONField(models.TextField):
    """A JSON value stored as its text, so it comes back exactly as submitted.

    Keycloak stores executor and condition configurations verbatim; PostgreSQL's ``jsonb`` would
    reorder their keys. Python code sees the parsed value (a dict), like a JSONField.
    """

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def to_python(self, value):
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))


class ClientProfile(models.Model):
    """A named, ordered set of executors (Keycloak's ClientProfileRepresentation)."""

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="client_profiles")
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)  # noqa: DJ001  (absent and "" differ on the wire)
    position = models.PositiveIntegerField(default=0)
    # False when the representation had no "executors" key, so that it comes back without one.
    executors_listed = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["realm", "name"], name="clientprofile_unique_name")]

    def __str__(self) -> str:
        return self.name


class ClientProfileExecutor(models.Model):
    profile = models.ForeignKey(ClientProfile, on_delete=models.CASCADE, related_name="executors")
    position = models.PositiveIntegerField(default=0)
    provider_id = models.CharField(max_length=255)
    # Stored verbatim, as submitted: defaults are applied when the executor runs.
    configuration = VerbatimJSONField(null=True, blank=True, default=dict)

    class Meta:
        ordering = ["position", "id"]


class ClientPolicy(models.Model):
    """Conditions that decide when the listed profiles apply (ClientPolicyRepresentation)."""

    realm = models.ForeignKey(Realm, on_delete=models.CASCADE, related_name="client_policies")
    name = models.CharField(max_length=255)
    description = models.TextField(null=True, blank=True)  # noqa: DJ001  (absent and "" differ on the wire)
    enabled = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    # False when the representation had no "conditions" / "profiles" key (they come back absent).
    conditions_listed = models.BooleanField(default=True)
    profiles_listed = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["realm", "name"], name="clientpolicy_unique_name")]

    def __str__(self) -> str:
        return self.name


class ClientPolicyCondition(models.Model):
    policy = models.ForeignKey(ClientPolicy, on_delete=models.CASCADE, related_name="conditions")
    position = models.PositiveIntegerField(default=0)
    provider_id = models.CharField(max_length=255)
    configuration = VerbatimJSONField(null=True, blank=True, default=dict)

    class Meta:
        ordering = ["position", "id"]


class ClientPolicyProfile(models.Model):
    """A policy's reference to a profile, by name as in Keycloak (dangling names are skipped)."""

    policy = models.ForeignKey(ClientPolicy, on_delete=models.CASCADE, related_name="profile_refs")
    position = models.PositiveIntegerField(default=0)
    profile_name = models.CharField(max_length=255)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "profile_name"], name="clientpolicyprofile_unique"),
        ]


class ConfigVersion(models.Model):
    """A realm's client-policy configuration version: a value that changes in the transaction of
    every change of what the engine reads (``policies.engine.policies_load``).

    Written only by the database triggers of migration 0004, on this app's tables, whichever code
    makes the change (services, bulk writes, imports, raw SQL); never from Python. Each change sets
    a value never handed out before, even by a rolled-back transaction (PostgreSQL: a sequence;
    SQLite: a random 64-bit integer), so a worker that built its set from one version can never
    meet that version again with other rows. The row goes with its realm by the database's own
    ``ON DELETE CASCADE`` (0004 creates the table), after the realm's policies and profiles, whose
    triggers touch it while Django deletes them: Django itself leaves it alone (``DO_NOTHING``).
    """

    realm = models.OneToOneField(Realm, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False,
                                 related_name="+")
    version = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.realm_id}: {self.version}"
