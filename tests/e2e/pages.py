"""Every console page, with the menu section it belongs to, from the console's URL names
(adminconsole/urls.py and the apps' urls.py; the realm settings tabs from adminconsole/navigation.py).

Pages whose URL names an item by its place in a list (executors, conditions) are found through
the link on their parent page, as a person reaches them.
"""

from __future__ import annotations

from django.urls import reverse

from adminconsole.navigation import REALM_SETTINGS_TABS

NARROW = {"width": 390, "height": 844}

CLIENTS, ROTATION, USERS, EVENTS, SETTINGS = "Clients", "Secret rotation", "Users", "Events", "Realm Settings"


def furnish(realm, admin_user) -> dict:
    """One of each object a console page shows: a confidential client with a service account and
    a role, a public client, a secret-rotation profile and policy, a job, a webhook, events."""
    from clients.services import client_create, client_role_create
    from clients.signals import SECRET_ROTATED
    from jobs.models import Job
    from policies import services as policies
    from policies.models import ClientPolicy, ClientProfile
    from realms.actor import Actor
    from tests.factories import rotation_config
    from webhooks import services as webhook_services

    client = client_create(
        realm=realm,
        representation={"clientId": "billing-service-with-a-long-name", "publicClient": False, "serviceAccountsEnabled": True,
                        "description": "A confidential client whose description is long enough to need wrapping " * 3},
        actor=Actor(),
    )
    client_role_create(client=client, name="invoices-reader", actor=None)
    client_create(realm=realm, representation={"clientId": "spa", "publicClient": True}, actor=Actor())
    policies.profiles_replace(realm=realm, representation={"profiles": [{
        "name": "weekly-rotation-profile", "description": "Rotates client secrets every week.",
        "executors": [{"executor": "secret-rotation", "configuration": rotation_config(604800, 172800, 86400)}],
    }]})
    policies.policies_replace(realm=realm, representation={"policies": [{
        "name": "weekly-rotation", "enabled": True, "profiles": ["weekly-rotation-profile"],
        "conditions": [{"condition": "client-access-type", "configuration": {"type": ["confidential"]}}],
    }]})
    policy = ClientPolicy.objects.get(realm=realm, name="weekly-rotation")
    profile = ClientProfile.objects.get(realm=realm, name="weekly-rotation-profile")
    job = Job.objects.create(realm=realm, policy_name=policy.name, status=Job.FINISHED, created_at=0, total=1, done=1)
    webhook, _ = webhook_services.webhook_create(
        realm=realm, url="http://127.0.0.1:9/a-rather-long-webhook-path/receiver", event_types=[SECRET_ROTATED], actor=Actor()
    )
    return {"client": client, "policy": policy, "profile": profile, "job": job,
            "webhook": webhook, "user": admin_user}


def _first_link(page, url: str, fragment: str) -> str:
    page.goto(url)
    href = page.locator(f'main a[href*="{fragment}"]').first.get_attribute("href")
    assert href, f"no link containing {fragment!r} on {url}"
    return href


def console_pages(page, realm, things) -> list[tuple[str, str, str | None]]:
    """(what, URL, the menu item marked active) for every console page of ``realm``."""

    def url(name: str, **kwargs) -> str:
        return reverse(name, kwargs={"realm": realm.name, **kwargs})

    client, user, webhook = things["client"], things["user"], things["webhook"]
    profile_url = url("client-profile", profile=things["profile"].pk)
    policy_url = url("client-policy", policy=things["policy"].pk)
    pages = [
        ("realm home", url("realm-home"), SETTINGS),
        ("create realm", url("realm-create"), None),
        # Realm settings and every tab of it.
        *((f"realm settings: {label}", url(name), SETTINGS) for _, label, name, _ in REALM_SETTINGS_TABS),
        ("client policies: policies", url("client-policies-policies"), SETTINGS),
        ("client profiles JSON", url("client-profiles-json"), SETTINGS),
        ("client policies JSON", url("client-policies-json"), SETTINGS),
        ("create client profile", url("client-profile-create"), SETTINGS),
        ("client profile", profile_url, SETTINGS),
        ("add executor", url("client-profile-executor-add", profile=things["profile"].pk), SETTINGS),
        ("executor", _first_link(page, profile_url, "/executors/"), SETTINGS),
        ("create client policy", url("client-policy-create"), SETTINGS),
        ("client policy", policy_url, SETTINGS),
        ("create condition", url("client-policy-condition-add", policy=things["policy"].pk), SETTINGS),
        ("condition", _first_link(page, policy_url, "/conditions/"), SETTINGS),
        ("add client profiles to policy", url("client-policy-add-profiles", policy=things["policy"].pk), SETTINGS),
        ("apply policy", url("client-policy-apply", policy=things["policy"].pk), SETTINGS),
        ("job", url("client-policy-job", job=things["job"].pk), SETTINGS),
        ("add webhook", url("webhook-create"), SETTINGS),
        ("edit webhook", url("webhook-edit", webhook_id=webhook.pk), SETTINGS),
        ("webhook deliveries", url("webhook-deliveries", webhook_id=webhook.pk), SETTINGS),
        # Clients.
        ("clients", url("client-list"), CLIENTS),
        ("create client", url("client-create"), CLIENTS),
        ("initial access tokens", url("initial-access-tokens"), CLIENTS),
        ("create initial access token", url("initial-access-token-create"), CLIENTS),
        ("client settings", url("client-settings", id=client.pk), CLIENTS),
        ("client credentials", url("client-credentials", id=client.pk), CLIENTS),
        ("client roles", url("client-roles", id=client.pk), CLIENTS),
        ("create client role", url("client-role-create", id=client.pk), CLIENTS),
        ("client service account roles", url("client-service-account-roles", id=client.pk), CLIENTS),
        ("client adapter config", url("client-adapter-config", id=client.pk), CLIENTS),
        # The other sections.
        ("secret rotation", url("secret-rotation"), ROTATION),
        ("users", url("user-list"), USERS),
        ("create user", url("user-create"), USERS),
        ("user details", url("user-details", user_id=user.pk), USERS),
        ("user credentials", url("user-credentials", user_id=user.pk), USERS),
        ("user role mapping", url("user-roles", user_id=user.pk), USERS),
        ("events: admin events", url("events"), EVENTS),
        ("events: user events", url("events-user"), EVENTS),
        ("event settings", url("events-settings"), EVENTS),
    ]
    return pages
