from __future__ import annotations

import pytest


@pytest.fixture
def realm(db):
    """A fresh realm with no clients (realm master has the built-in admin-cli)."""
    from tests.factories import RealmFactory

    return RealmFactory(name="acme")
