"""``{% csrf_token %}`` that also renders the form's one-time token (adminconsole.form_tokens).

Registered as a template builtin (settings ``TEMPLATES["OPTIONS"]["builtins"]``), after Django's
own, so this tag takes the name everywhere: every console form already carries the CSRF token,
and so every console form gets a fresh one-time token each time it is rendered, with no template
to remember it.
"""

from __future__ import annotations

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.html import format_html

from adminconsole.form_tokens import FIELD, form_token_issue

register = template.Library()


class CsrfAndFormTokenNode(CsrfTokenNode):
    def render(self, context):
        csrf = super().render(context)
        if not csrf:  # no request (a template rendered outside a view): no form to guard
            return csrf
        return csrf + format_html('<input type="hidden" name="{}" value="{}">', FIELD, form_token_issue())


@register.tag
def csrf_token(parser, token):
    return CsrfAndFormTokenNode()
