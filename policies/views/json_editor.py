"""Client Policies → Configure via: JSON editor, for the profiles and for the policies."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from adminconsole.decorators import realm_view
from adminconsole.htmx import refused_status
from policies.errors import PolicyValidationError
from policies.views import common
from realms.json_input import JSONInputError, json_parse


def _editor_document(parsed, what: str):
    """Keycloak's console editor holds a bare array with ``"global"`` markers; accept it too."""
    if not isinstance(parsed, list):
        return parsed
    entries = []
    for entry in parsed:
        if isinstance(entry, dict) and "global" in entry:
            entry = dict(entry)
            if entry.pop("global") is True:
                raise PolicyValidationError(f"Global {what} cannot be updated")
        entries.append(entry)
    return {what: entries}


def _json_save(request, realm, subtab: common.Subtab):
    json_view = reverse(subtab.url_name, kwargs={"realm": realm.name}) + "?view=json"
    if request.method != "POST":
        return redirect(json_view)
    what = subtab.name
    text = request.POST.get("json", "")
    try:
        parsed = json_parse(text)
    except JSONInputError as exc:
        error = f"Unable to save client {what}, the provided information is not valid JSON: {exc.message}"
    else:
        try:
            subtab.replace(realm=realm, representation=_editor_document(parsed, what), actor=common.actor(request))
        except PolicyValidationError as exc:
            error = f"Could not update client {what}: {exc.message}"
        else:
            messages.success(request, f"The client {what} configuration was updated")
            if not request.htmx:
                return redirect(json_view)
            return common.subtab_page(request, realm, subtab, json_text=common.pretty(subtab.representation(realm)))
    messages.error(request, error)
    return common.subtab_page(request, realm, subtab, json_text=text, json_error=error, status=refused_status(request))


@realm_view(common.VIEW, write_role=common.MANAGE)
def profiles_json(request, realm):
    return _json_save(request, realm, common.PROFILES)


@realm_view(common.VIEW, write_role=common.MANAGE)
def policies_json(request, realm):
    return _json_save(request, realm, common.POLICIES)
