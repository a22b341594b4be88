"""Django's ``{# … #}`` comment ends at the end of its line: one spread over several lines is
not a comment at all and shows up on the page as text (it did, on every page with an Action
menu). Longer notes use ``{% comment %}``."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_no_template_comment_spans_lines():
    spread = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for opened in re.finditer(r"\{#", line):
                if "#}" not in line[opened.end():]:
                    spread.append(f"{path.relative_to(TEMPLATES)}:{number}")
    assert spread == []


def test_a_page_with_an_action_menu_shows_no_template_source(admin_client, master):
    from tests.factories import ClientFactory

    app = ClientFactory(realm=master, client_id="menu-app")
    body = admin_client.get(f"/console/master/clients/{app.pk}/settings").content.decode()
    assert "Action" in body
    assert "{#" not in body and "#}" not in body
