"""Realm settings → Secret expiry, and ``GET`` / ``PUT /admin/realms/{realm}/secret-expiry``:
who may read and change them, the rules, and the admin event of each change."""

from __future__ import annotations

import json

import pytest

from expiry import selectors
from realms.models import AdminEvent
from tests.api.conftest import Api
from tests.permissions import HTMX, TO_LOGIN, get, post

pytestmark = pytest.mark.django_db

PAGE = "/console/acme/realm-settings/secret-expiry"
API = "/admin/realms/acme/secret-expiry"
DEFAULTS = {"warnBefore": [2592000, 604800, 86400], "autoRotate": False, "autoRotateBefore": 172800, "emailRecipients": []}
GOOD = {"warn_before": ["604800", "86400", ""], "auto_rotate": "true", "auto_rotate_before": "3600", "email_recipients": "ops@example.com\nsec@example.com"}


@pytest.fixture
def realm(db):
    from realms.services import realm_create

    return realm_create(name="acme")


def stored(realm) -> dict:
    return selectors.expiry_settings_representation(selectors.expiry_settings_get(realm=realm))


class TestTab:
    def test_permission_matrix(self, realm, permission_matrix):
        permission_matrix(
            [get(PAGE), post(PAGE, GOOD)],
            anonymous=TO_LOGIN,
            outsider=403,
            viewer=[200, 403],
            manager=[200, 302],
            manager_roles=["view-realm", "manage-realm"],
        )

    def test_the_tab_shows_the_defaults_with_readable_durations(self, realm, admin_client):
        page = admin_client.get(PAGE)
        html = page.content.decode()
        assert page.status_code == 200
        assert 'aria-current="page' in html and ">Secret expiry</a>" in html
        for seconds, text in (("2592000", "30 days"), ("604800", "7 days"), ("86400", "1 day"), ("172800", "2 days")):
            assert f'value="{seconds}"' in html and text in html
        assert "Rotate automatically" in html and "Email recipients" in html
        assert ">Secret expiry</a>" in admin_client.get("/console/acme/realm-settings/").content.decode()

    def test_a_viewer_sees_it_read_only(self, realm, console_client):
        html = console_client(["view-realm"]).get(PAGE).content.decode()
        assert "<fieldset disabled>" in html.replace(" >", ">") and ">Save</button>" not in html

    def test_saving_stores_and_records_an_admin_event(self, realm, admin_client):
        response = admin_client.post(PAGE, GOOD)
        assert response.status_code == 302
        assert stored(realm) == {"warnBefore": [604800, 86400], "autoRotate": True, "autoRotateBefore": 3600,
                                 "emailRecipients": ["ops@example.com", "sec@example.com"]}
        event = AdminEvent.objects.get(resource_type="REALM_SECRET_EXPIRY")
        assert (event.operation_type, event.resource_path, event.auth_username) == ("UPDATE", "secret-expiry", "admin")
        assert json.loads(event.representation) == stored(realm)
        assert "Secret expiry settings saved" in admin_client.get(PAGE).content.decode()

    def test_every_bad_field_is_a_form_error_and_nothing_is_saved(self, realm, admin_client):
        bad = {"warn_before": ["86400", "86400", "-5"], "auto_rotate_before": "0", "email_recipients": "ops@example.com\nnot-an-address"}
        response = admin_client.post(PAGE, bad)
        html = response.content.decode()
        assert response.status_code == 400
        assert "Each threshold must be a whole number of seconds." in html
        assert "Ensure this value is greater than or equal to 1." in html
        assert "Not a valid email address: not-an-address" in html
        assert stored(realm) == DEFAULTS and not AdminEvent.objects.filter(resource_type="REALM_SECRET_EXPIRY").exists()
        # The submitted values are kept for correction; htmx gets the form with its errors.
        assert 'value="-5"' in html
        again = admin_client.post(PAGE, {**bad, "warn_before": ["86400", "86400"]}, **HTMX)
        assert again.status_code == 200 and "Each threshold may be given once." in again.content.decode()

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("warn_before", [str(101 * 365 * 86400)], "from 1 to 3153600000 (100 years)"),
            ("warn_before", [str(n) for n in range(1, 12)], "At most 10 thresholds."),
            ("auto_rotate_before", str(101 * 365 * 86400), "Ensure this value is less than or equal to 3153600000."),
            ("email_recipients", "a@example.com <script>", "Not a valid email address: &lt;script&gt;"),
        ],
    )
    def test_limits(self, realm, admin_client, field, value, message):
        response = admin_client.post(PAGE, {**GOOD, field: value})
        assert response.status_code == 400 and message in response.content.decode()


class TestApi:
    @pytest.fixture
    def as_admin(self, realm, api) -> Api:
        return api

    def test_get_answers_the_defaults(self, as_admin):
        response = as_admin.get(API)
        assert response.status_code == 200 and response.json() == DEFAULTS

    def test_put_changes_the_fields_sent(self, realm, as_admin):
        response = as_admin.put(API, {"autoRotate": True, "emailRecipients": ["ops@example.com"]})
        assert response.status_code == 204
        assert as_admin.get(API).json() == {**DEFAULTS, "autoRotate": True, "emailRecipients": ["ops@example.com"]}
        event = AdminEvent.objects.get(resource_type="REALM_SECRET_EXPIRY")
        assert event.source == "admin-api" and event.resource_path == "secret-expiry"
        as_admin.put(API, {"warnBefore": [3600, 86400]})
        assert as_admin.get(API).json()["warnBefore"] == [86400, 3600]

    def test_permission_matrix(self, realm, api_as, anonymous):
        viewer, manager, other = api_as("view-realm"), api_as("manage-realm"), api_as("view-clients")
        assert anonymous.get(API).status_code == 401
        assert other.get(API).status_code == 403
        assert viewer.get(API).status_code == 200
        assert viewer.put(API, {"autoRotate": True}).status_code == 403
        assert manager.put(API, {"autoRotate": True}).status_code == 204
        assert manager.get("/admin/realms/nowhere/secret-expiry").status_code == 404

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            ({"warnBefore": [0]}, {"errorMessage": "warnBefore: Each threshold must be a whole number of seconds from 1 to 3153600000 (100 years)."}),
            ({"warnBefore": "86400"}, {"errorMessage": "warnBefore: Must be a list of seconds."}),
            ({"warnBefore": [1.5]}, {"errorMessage": "warnBefore: Each threshold must be a whole number of seconds from 1 to 3153600000 (100 years)."}),
            ({"autoRotate": "yes", "autoRotateBefore": -1, "emailRecipients": ["x"]},
             {"errorMessage": "autoRotate: Must be true or false.; autoRotateBefore: Must be a whole number of seconds from 1 to 3153600000 (100 years).; emailRecipients: Not a valid email address: x"}),
            ({"emailRecipients": [1]}, {"errorMessage": "emailRecipients: Must be a list of email addresses."}),
            ({"secret": "x"}, {"error": 'Invalid json representation for SecretExpiryRepresentation. Unrecognized field "secret" (class SecretExpiryRepresentation), not marked as ignorable.'}),
            ([], {"error": "Invalid json representation for SecretExpiryRepresentation. Cannot deserialize value of type `SecretExpiryRepresentation` from Array value."}),
        ],
    )
    def test_bad_input_is_a_400_in_keycloaks_shape_and_saves_nothing(self, realm, as_admin, body, expected):
        response = as_admin.put(API, body)
        assert response.status_code == 400 and response.json() == expected
        assert stored(realm) == DEFAULTS

    def test_not_json_is_a_400(self, realm, as_admin):
        response = as_admin.put(API, "{nope")
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"

    def test_in_the_openapi_description(self, as_admin, client):
        document = client.get("/admin/openapi.json").json()
        assert set(document["paths"]["/admin/realms/{realm}/secret-expiry"]) == {"get", "put"}
        assert "SecretExpiryUpdate" in document["components"]["schemas"]
