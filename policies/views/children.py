"""Ordered children of a profile or policy, edited alike: a profile's executors and a policy's
conditions are ordered lists of typed, configured entries, added, edited and deleted the same
way. ``OrderedChildren`` holds the shared views; one small subclass per kind declares its parent,
its provider registry, its services and its words (see ``profile_detail.Executors`` and
``policy_detail.Conditions``). The pages are ``policies/child_form.html`` and the list on the
parent's page ``policies/_children.html``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.contrib import messages
from django.db import transaction
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from adminconsole.decorators import realm_view
from adminconsole.htmx import redirect_htmx_aware, refused_status, render_page
from adminconsole.templatetags.durations import duration_text
from policies import services
from policies.errors import PolicyNotFound, PolicyValidationError
from policies.forms import REQUIRED, ConfigFieldset
from policies.providers.base import NEGATIVE_LOGIC_FIELD, listed, truthy
from policies.views import common
from realms.models import Realm


class OrderedChildren:
    """The add, edit and delete views of one kind of ordered child. Subclasses set the class
    attributes below; an instance is what the templates see as ``kind``."""

    name: ClassVar[str]  # the type field's POST name, the services' type keyword and the pages' noun
    parent: ClassVar[str]  # the URL keyword and the services' keyword for the profile or policy
    parent_url_name: ClassVar[str]  # the parent's page; the children's url names derive from it
    section: ClassVar[str]  # breadcrumb: the sub-tab the parent belongs to
    registry: ClassVar[Mapping[str, type]]
    template: ClassVar[str] = "policies/child_form.html"
    # words on the pages
    help: ClassVar[str]
    edit_title: ClassVar[str] = ""  # empty: the entry's type
    edit_crumb: ClassVar[str]
    type_placeholder: ClassVar[str]
    untyped_help: ClassVar[str] = ""  # shown in place of the type's help until one is chosen
    confirm_delete: ClassVar[str]  # formatted with the entry's type
    # alerts
    add_failed: ClassVar[str]
    added: ClassVar[str]
    update_failed: ClassVar[str]
    updated: ClassVar[str]
    deleted: ClassVar[str]

    # --- what a kind implements ---------------------------------------------------------------

    def get_parent(self, realm: Realm, pk) -> Model:
        raise NotImplementedError

    def children(self, parent) -> list:
        """The parent's entries in order (a selector)."""
        raise NotImplementedError

    # the services, as staticmethods:
    add: ClassVar[Callable]  # (realm=, <parent>=, <name>=, configuration=, actor=)
    update: ClassVar[Callable]  # (realm=, <parent>=, index=, configuration=, actor=)
    delete: ClassVar[Callable]  # (realm=, <parent>=, index=, actor=)

    # --- derived names and words ------------------------------------------------------------

    @property
    def rows(self) -> str:
        """The list section's id and the plural noun ("executors", "conditions")."""
        return f"{self.name}s"

    @property
    def title(self) -> str:
        return self.rows.capitalize()

    @property
    def add_title(self) -> str:
        return f"Add {self.name}"

    @property
    def type_label(self) -> str:
        return f"{self.name.capitalize()} Type"

    @property
    def add_url_name(self) -> str:
        return f"{self.parent_url_name}-{self.name}-add"

    @property
    def detail_url_name(self) -> str:
        return f"{self.parent_url_name}-{self.name}"

    @property
    def delete_url_name(self) -> str:
        return f"{self.parent_url_name}-{self.name}-delete"

    def parent_url(self, realm: Realm, parent) -> str:
        return reverse(self.parent_url_name, args=[realm.name, parent.pk])

    # --- the list on the parent's page ------------------------------------------------------

    def items(self, parent) -> list[dict]:
        items = []
        for row in self.children(parent):
            provider = self.registry.get(row.provider_id)
            items.append(
                {
                    "id": row.pk,
                    "provider_id": row.provider_id,
                    "help_text": provider.help_text if provider else "",
                    "has_config": bool(provider and provider.fields),
                    "summary": settings_summary(provider, row.configuration) if provider else "",
                    "confirm_message": self.confirm_delete.format(row.provider_id),
                }
            )
        return items

    # --- the views ----------------------------------------------------------------------------

    def _page(self, request, realm, parent, *, provider, fieldset, index=None, type_error=None, status=200) -> HttpResponse:
        page_context = common.context(
            request,
            realm,
            kind=self,
            parent=parent,
            provider=_type_info(provider),
            providers=[_type_info(p) for p in self.registry.values()],
            fieldset=fieldset,
            index=index,
            editing=index is not None,
            type_error=type_error,
        )
        partial = "config-fields" if request.method == "GET" and request.htmx else "type-form"
        return render_page(request, self.template, page_context, partial=partial, status=status)

    def _form(self, request, realm, parent, *, provider, fieldset, index=None) -> HttpResponse:
        """Add (``index`` None) or edit one entry: GET shows the form, POST applies a row action or saves."""
        page = functools.partial(self._page, request, realm, parent, provider=provider, fieldset=fieldset, index=index)
        if request.method != "POST":
            return page()
        if (action := request.POST.get("_row")) and fieldset is not None:
            fieldset.row_action(action)
            return page()
        if provider is None:
            return page(type_error=REQUIRED, status=refused_status(request))
        if not fieldset.check():
            # Every field's own mistake at once, next to each field; nothing is sent to the service.
            return page(status=refused_status(request))
        change = {"realm": realm, self.parent: parent, "configuration": fieldset.configuration(), "actor": common.actor(request)}
        try:
            if index is None:
                self.add(**change, **{self.name: provider.provider_id})
            else:
                self.update(**change, index=index)
        except PolicyNotFound as exc:
            raise Http404(str(exc)) from exc
        except PolicyValidationError as exc:
            type_error = None if fieldset.add_error(exc.field, exc.detail) else exc.detail
            # The message sits at its configuration field, or at the type when no field is named.
            common.refusal_alert(request, self.add_failed if index is None else self.update_failed, exc.message, at_field=True)
            return page(type_error=type_error, status=refused_status(request))
        messages.success(request, self.added if index is None else self.updated)
        return redirect_htmx_aware(request, self.parent_url(realm, parent))

    def add_view(self, request: HttpRequest, realm: Realm, **kwargs: Any) -> HttpResponse:
        common.require_manage(request)
        parent = self.get_parent(realm, kwargs[self.parent])
        source = request.POST if request.method == "POST" else request.GET
        provider = self.registry.get(source.get(self.name, ""))
        fieldset = ConfigFieldset(provider, data=request.POST if request.method == "POST" else None) if provider else None
        return self._form(request, realm, parent, provider=provider, fieldset=fieldset)

    def _locked_index(self, realm: Realm, parent, row_id) -> tuple[Any, int]:
        """The entry whose id is ``row_id`` and its position now, read under the realm's lock
        (the services take the same lock), so the position cannot shift before the change."""
        if services.realm_lock(realm=realm) is None:
            raise Http404("Realm not found")
        for index, row in enumerate(self.children(parent)):
            if row.pk == row_id:
                return row, index
        raise Http404(f"{self.name.capitalize()} not found")

    def detail_view(self, request: HttpRequest, realm: Realm, id: int, **kwargs: Any) -> HttpResponse:
        parent = self.get_parent(realm, kwargs[self.parent])
        with transaction.atomic():
            row, index = self._locked_index(realm, parent, id)
            provider = self.registry.get(row.provider_id)
            if provider is None:
                raise Http404(f"Unknown {self.name} type")
            data = request.POST if request.method == "POST" else None
            configuration = row.configuration if isinstance(row.configuration, dict) else {}
            fieldset = ConfigFieldset(provider, data=data, configuration=configuration)
            return self._form(request, realm, parent, provider=provider, fieldset=fieldset, index=index)

    def delete_view(self, request: HttpRequest, realm: Realm, id: int, **kwargs: Any) -> HttpResponse:
        parent = self.get_parent(realm, kwargs[self.parent])
        try:
            with transaction.atomic():
                _row, index = self._locked_index(realm, parent, id)
                self.delete(realm=realm, **{self.parent: parent}, index=index, actor=common.actor(request))
        except PolicyNotFound as exc:
            raise Http404(str(exc)) from exc
        messages.success(request, self.deleted)
        return redirect_htmx_aware(request, self.parent_url(realm, parent))

    def urls_views(self) -> tuple[Callable, Callable, Callable]:
        """The add, detail and delete views, behind the Client Policies tab's permission checks."""
        guard = realm_view(common.VIEW, write_role=common.MANAGE)
        return guard(self.add_view), guard(self.detail_view), guard(require_POST(self.delete_view))


def _type_info(provider) -> dict | None:
    """A provider class as template data (templates would call a class)."""
    if provider is None:
        return None
    return {
        "provider_id": provider.provider_id,
        "help_text": provider.help_text,
        "description": getattr(provider, "description", None) or provider.help_text,
    }


def settings_summary(provider, configuration: Any) -> str:
    """One line of an entry's settings for its row: "confidential", "7 days · 2 days · 1 day",
    "not confidential" under negative logic. Values are the stored ones (defaults where absent)."""
    effective = {**provider.defaults(), **configuration} if isinstance(configuration, dict) else provider.defaults()
    parts = []
    for declaration in provider.fields:
        if declaration.key == NEGATIVE_LOGIC_FIELD.key:
            continue
        value = effective.get(declaration.key)
        if declaration.kind == "seconds":
            text = duration_text(value if isinstance(value, int) else str(value if value is not None else ""))
        elif declaration.kind in ("multiselect", "stringlist"):
            text = ", ".join(str(v) for v in listed(effective, declaration.key))
        elif declaration.kind == "bool":
            text = declaration.label if truthy(value) else ""
        elif declaration.kind == "keyvalue":
            text = ""  # a map does not fit one line; its page shows it
        else:
            text = "" if value is None else str(value)
        if text:
            parts.append(text)
    summary = " · ".join(parts)
    if summary and truthy(effective.get(NEGATIVE_LOGIC_FIELD.key)):
        summary = f"not {summary}"
    return summary
