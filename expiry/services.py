"""Writes of the expiry app: the realm's settings, and the sweep that warns before a secret
expires and rotates it automatically.

The sweep (``sweep_run``) is what the worker's task runs every ``ROTATION_SWEEP_INTERVAL``
seconds (``expiry.tasks``). Each warning and each rotation is its own transaction, so one that
fails leaves the others done. Two workers sweeping at once send each warning once (the unique
key of ``SecretWarning``) and rotate each secret once (the client row locked, the secret
re-read under the lock, and the unique key of ``AutoRotation``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse

from clients import secrets as secret_store
from clients.models import Client, ClientSecret
from clients.services import ClientHasNoSecret, client_secret_regenerate_rotating
from clients.signals import SECRET_EXPIRED, SECRET_EXPIRING, secret_event_send
from expiry import selectors
from expiry.models import AutoRotation, ExpirySettings, SecretWarning, SweepSchedule
from policies.errors import ClientPolicyError
from realms import clock
from realms.actor import SYSTEM, Actor
from realms.events import admin_event_record
from realms.models import Realm

logger = logging.getLogger(__name__)

RESOURCE_SETTINGS = "REALM_SECRET_EXPIRY"
RESOURCE_WARNING = "CLIENT_SECRET_EXPIRY"
SETTINGS_PATH = "secret-expiry"

MAX_SECONDS = 100 * 365 * 86400  # 100 years
MAX_THRESHOLDS = 10
MAX_RECIPIENTS = 20
MAX_EMAIL_LENGTH = 254

# The worker acts as the system: not bound by an administrator's roles, recorded as such.
SYSTEM_ACTOR = Actor(source=SYSTEM)


class ExpirySettingsInvalid(Exception):
    """Bad settings: ``errors`` maps each bad field (the API's names) to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items()))
        self.errors = errors

    @property
    def message(self) -> str:
        return str(self)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def expiry_settings_clean(*, warn_before, auto_rotate, auto_rotate_before, email_recipients) -> dict:
    """The settings checked and normalised (thresholds largest first, addresses trimmed), or
    ``ExpirySettingsInvalid`` naming every bad field at once."""
    errors: dict[str, list[str]] = {}
    thresholds: list[int] = []
    if not isinstance(warn_before, list):
        errors["warnBefore"] = ["Must be a list of seconds."]
    elif len(warn_before) > MAX_THRESHOLDS:
        errors["warnBefore"] = [f"At most {MAX_THRESHOLDS} thresholds."]
    elif not all(_is_int(value) and 0 < value <= MAX_SECONDS for value in warn_before):
        errors["warnBefore"] = [f"Each threshold must be a whole number of seconds from 1 to {MAX_SECONDS} (100 years)."]
    elif len(set(warn_before)) != len(warn_before):
        errors["warnBefore"] = ["Each threshold may be given once."]
    else:
        thresholds = sorted(warn_before, reverse=True)
    if not isinstance(auto_rotate, bool):
        errors["autoRotate"] = ["Must be true or false."]
    if not (_is_int(auto_rotate_before) and 0 < auto_rotate_before <= MAX_SECONDS):
        errors["autoRotateBefore"] = [f"Must be a whole number of seconds from 1 to {MAX_SECONDS} (100 years)."]
    recipients: list[str] = []
    if not isinstance(email_recipients, list) or not all(isinstance(value, str) for value in email_recipients):
        errors["emailRecipients"] = ["Must be a list of email addresses."]
    elif len(email_recipients) > MAX_RECIPIENTS:
        errors["emailRecipients"] = [f"At most {MAX_RECIPIENTS} recipients."]
    else:
        bad = []
        for address in email_recipients:
            address = address.strip()
            try:
                if len(address) > MAX_EMAIL_LENGTH:
                    raise ValidationError("too long")
                validate_email(address)
            except ValidationError:
                bad.append(address[:80])
                continue
            if address.lower() not in {known.lower() for known in recipients}:
                recipients.append(address)
        if bad:
            errors["emailRecipients"] = [f"Not a valid email address: {', '.join(bad)}"]
    if errors:
        raise ExpirySettingsInvalid(errors)
    return {
        "warn_before": thresholds,
        "auto_rotate": auto_rotate,
        "auto_rotate_before": auto_rotate_before,
        "email_recipients": recipients,
    }


def expiry_settings_update(*, realm: Realm, actor: Actor | None, **values) -> ExpirySettings:
    """Replace the realm's expiry settings (``warn_before``, ``auto_rotate``,
    ``auto_rotate_before``, ``email_recipients``); one admin event."""
    cleaned = expiry_settings_clean(**values)
    with transaction.atomic():
        realm = Realm.objects.select_for_update(of=("self",)).get(pk=realm.pk)
        settings, _ = ExpirySettings.objects.get_or_create(realm=realm)
        for name, value in cleaned.items():
            setattr(settings, name, value)
        settings.save()
        admin_event_record(
            realm=realm,
            operation="UPDATE",
            resource_type=RESOURCE_SETTINGS,
            resource_path=SETTINGS_PATH,
            actor=actor,
            representation=selectors.expiry_settings_representation(settings),
        )
    return settings


# --- the sweep ------------------------------------------------------------------------------------


@dataclass
class Notice:
    """One line of a realm's email."""

    client_id: str
    client_pk: object  # the client's id (a UUID)
    what: str
    expires_at: int


@dataclass
class SweepReport:
    warnings: int = 0
    rotations: int = 0
    refused: int = 0
    deferred: int = 0
    emails: int = 0
    notices: dict[int, list[Notice]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in ("warnings", "rotations", "refused", "deferred", "emails")}


def warning_level(*, thresholds: list[int], expires_at: int, now: int) -> int | None:
    """The warning a secret expiring at ``expires_at`` is due at ``now``: 0 once expired (a
    secret is still valid at its expiry's exact second), else the smallest threshold crossed,
    else ``None``. A sweep that finds several thresholds crossed at once sends only the nearest."""
    if secret_store.secret_expiration_passed(kind=ClientSecret.CURRENT, expiration_time=expires_at, now=now):
        return SecretWarning.EXPIRED
    crossed = [threshold for threshold in thresholds if expires_at - now <= threshold]
    return min(crossed) if crossed else None


def _client_path(client: Client) -> str:
    return f"clients/{client.pk}/client-secret"


def secret_warning_send(*, secret: ClientSecret, level: int, now: int) -> bool:
    """Record and announce one warning for ``secret`` (its webhook through ``secret_event``, an
    admin event by the system). ``False`` when another worker already did."""
    client = secret.client
    with transaction.atomic():
        try:
            with transaction.atomic():
                SecretWarning.objects.create(
                    client=client,
                    secret_created=secret.created_time,
                    threshold=level,
                    expiration_time=secret.expiration_time,
                    sent_time=now,
                )
        except IntegrityError:
            return False
        representation = {"warning": "expired" if level == SecretWarning.EXPIRED else "expiring", "expiresAt": secret.expiration_time}
        if level != SecretWarning.EXPIRED:
            representation["threshold"] = level
        admin_event_record(
            realm=client.realm,
            operation="ACTION",
            resource_type=RESOURCE_WARNING,
            resource_path=_client_path(client),
            actor=SYSTEM_ACTOR,
            representation=representation,
        )
        if level == SecretWarning.EXPIRED:
            secret_event_send(event_type=SECRET_EXPIRED, client=client)
        else:
            secret_event_send(event_type=SECRET_EXPIRING, client=client, threshold=level)
    return True


# What ``secret_auto_rotate`` did.
ROTATED = "rotated"
REFUSED = "refused"  # recorded: not tried again for this secret
DEFERRED = "deferred"  # the per-minute limit is reached: a later sweep rotates it
WAITING = "waiting"  # the old secret kept by the last automatic rotation is still valid

REFUSED_LIFETIME = "the secret's lifetime is not longer than the lead time"
REFUSED_NO_POLICY = "no secret-rotation policy applies"


class _NoRotationPolicy(Exception):
    """Re-generate ran without a ``secret-rotation`` executor: it dropped the rotated secret, so
    the application's old secret would die at once. Raised to roll the savepoint back."""


def _refuse(*, client: Client, current: ClientSecret, reason: str, now: int) -> str:
    """Record a refused rotation of ``current`` (not tried again for it) and its admin event."""
    AutoRotation.objects.create(client=client, secret_created=current.created_time, time=now, succeeded=False)
    admin_event_record(
        realm=client.realm,
        operation="ACTION",
        resource_type=RESOURCE_WARNING,
        resource_path=_client_path(client),
        actor=SYSTEM_ACTOR,
        representation={"automaticRotation": "refused", "reason": reason[:500], "expiresAt": current.expiration_time},
    )
    return REFUSED


def _rotation_budget_left() -> bool:
    """Whether another rotation fits in the per-minute limit. Called under the ``SweepSchedule``
    row lock, which the caller holds until its rotation commits: overlapping sweeps count and
    insert one after the other, so they share one budget."""
    SweepSchedule.objects.select_for_update().get_or_create(pk=1)
    return selectors.rotations_since(since=clock.epoch() - 60) < django_settings.ROTATION_MAX_PER_MINUTE


def secret_auto_rotate(*, secret: ClientSecret, lead: int, now: int) -> str | None:
    """Rotate ``secret``'s client as Re-generate does, if its current secret is still this one
    and still expires within ``lead`` seconds. Returns ``ROTATED``, ``REFUSED`` (recorded as an
    event, not tried again for this secret), ``DEFERRED`` (the per-minute limit), ``WAITING``
    (the old secret the previous automatic rotation kept is still valid: rotating now would push
    it out while the application may still use it), or ``None`` when there was nothing to do
    (another worker rotated it, or it changed meanwhile). Any other error propagates and rolls
    everything back, so a later sweep tries again."""
    with transaction.atomic():
        # The same row lock Re-generate takes: a second worker waits here, then finds the new secret.
        client = Client.objects.select_related("realm").select_for_update(of=("self",)).filter(pk=secret.client_id).first()
        if client is None:
            return None
        current, rotated = secret_store.secret_rows_fresh(client=client)
        if (
            current is None
            or current.created_time != secret.created_time
            or not secret_store.secret_has_expiration(secret=current)
            or current.expiration_time - now > lead
            or AutoRotation.objects.filter(client=client, secret_created=current.created_time).exists()
        ):
            return None
        if (
            rotated is not None
            and not secret_store.secret_expired(secret=rotated, now=now)
            and AutoRotation.objects.filter(client=client, succeeded=True, new_secret_created=current.created_time).exists()
        ):
            return WAITING
        if current.expiration_time - current.created_time <= lead:
            # Its successor would be within the lead time at once and be rotated on the next sweep.
            return _refuse(client=client, current=current, reason=REFUSED_LIFETIME, now=now)
        if not _rotation_budget_left():
            return DEFERRED
        record = AutoRotation.objects.create(client=client, secret_created=current.created_time, time=clock.epoch(), succeeded=True)
        try:
            with transaction.atomic():
                _, rotation_enabled = client_secret_regenerate_rotating(client=client, actor=SYSTEM_ACTOR)
                if not rotation_enabled:
                    raise _NoRotationPolicy()
        except ClientPolicyError as exc:
            reason = exc.error_description or exc.error
        except ClientHasNoSecret as exc:
            reason = exc.message
        except _NoRotationPolicy:
            reason = REFUSED_NO_POLICY
        else:
            record.new_secret_created = secret_store.secret_get(client, ClientSecret.CURRENT).created_time
            record.save(update_fields=["new_secret_created"])
            return ROTATED
        logger.warning("Automatic rotation of client %s refused: %s", client.pk, reason)
        record.delete()
        return _refuse(client=client, current=current, reason=reason, now=now)


def sweep_run() -> SweepReport:
    """One sweep over every realm: automatic rotations first (at most what the per-minute limit
    leaves; the rest wait for the next sweep), then the warnings due, then one email per realm.
    A rotation, warning or email that fails is logged and the sweep goes on with the others."""
    now = clock.epoch()
    report = SweepReport()
    stored = selectors.expiry_settings_all()
    default = ExpirySettings()

    def settings_of(realm_id: int) -> ExpirySettings:
        return stored.get(realm_id, default)

    rotating = [realm_id for realm_id, row in stored.items() if row.auto_rotate]
    horizon = max(
        [max(default.warn_before)]
        + [max(row.warn_before, default=0) for row in stored.values()]
        + [row.auto_rotate_before for row in stored.values() if row.auto_rotate]
    )
    candidates = list(selectors.sweep_candidates(now=now, horizon=horizon, rotating_realms=rotating))

    limit_reached = False
    rotated: set[int] = set()
    for secret in candidates:
        realm_settings = settings_of(secret.client.realm_id)
        if not realm_settings.auto_rotate or secret.rotation_tried:
            continue
        if secret.expiration_time - now > realm_settings.auto_rotate_before:
            continue
        if limit_reached:
            report.deferred += 1
            continue
        try:
            outcome = secret_auto_rotate(secret=secret, lead=realm_settings.auto_rotate_before, now=now)
        except Exception:
            # Rolled back, AutoRotation row included: the next sweep tries again. Its warnings still go.
            logger.exception("Automatic rotation of client %s failed", secret.client_id)
            continue
        if outcome == DEFERRED:
            limit_reached = True
            report.deferred += 1
            continue
        if outcome == WAITING:
            continue
        # Rotated here or by another worker meanwhile: a warning about the old secret is moot.
        rotated.add(secret.pk)
        if outcome is None:
            continue
        if outcome == ROTATED:
            report.rotations += 1
            what = "rotated automatically"
        else:
            report.refused += 1
            what = "automatic rotation refused (see the Events page)"
        report.notices.setdefault(secret.client.realm_id, []).append(
            Notice(secret.client.client_id, secret.client.pk, what, secret.expiration_time)
        )

    for secret in candidates:
        if secret.pk in rotated:
            continue
        level = warning_level(thresholds=settings_of(secret.client.realm_id).warn_before, expires_at=secret.expiration_time, now=now)
        if level is None or (secret.warned_min is not None and secret.warned_min <= level):
            continue
        try:
            sent = secret_warning_send(secret=secret, level=level, now=now)
        except Exception:
            logger.exception("Expiry warning for client %s failed", secret.client_id)
            continue
        if sent:
            report.warnings += 1
            what = "expired" if level == SecretWarning.EXPIRED else f"expires within {_duration(level)}"
            report.notices.setdefault(secret.client.realm_id, []).append(
                Notice(secret.client.client_id, secret.client.pk, what, secret.expiration_time)
            )

    realms = {secret.client.realm_id: secret.client.realm for secret in candidates}
    for realm_id, notices in report.notices.items():
        recipients = settings_of(realm_id).email_recipients
        try:
            emailed = bool(recipients) and _email_send(realm=realms[realm_id], notices=notices, recipients=recipients)
        except Exception:
            logger.exception("Expiry email for realm %s failed", realm_id)
            continue
        report.emails += emailed
    return report


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def _iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _email_send(*, realm: Realm, notices: list[Notice], recipients: list[str]) -> bool:
    """The realm's summary of this sweep, after the work is committed. A mail server that fails
    is logged; the warnings stay recorded (the events and webhooks carry them)."""
    page = reverse("secret-rotation", kwargs={"realm": realm.name})
    lines = [
        f"Client secrets in realm {realm.name} need attention:",
        "",
        *(
            f"- {notice.client_id}: {notice.what} (expires {_iso(notice.expires_at)}); "
            f"Credentials tab: {reverse('client-credentials', kwargs={'realm': realm.name, 'id': notice.client_pk})}"
            for notice in notices
        ),
        "",
        f"Secret rotation page: {page}",
    ]
    subject = f"[{realm.name}] {len(notices)} client secret{'s' if len(notices) != 1 else ''} expiring, expired or rotated"
    try:
        send_mail(subject, "\n".join(lines) + "\n", None, recipients)
    except Exception:  # the mail server, or anything else: this realm's email only
        logger.exception("Expiry email for realm %s could not be sent", realm.name)
        return False
    return True
