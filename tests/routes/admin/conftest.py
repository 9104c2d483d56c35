"""Admin HTTP fixtures: a desk signed in as an admin."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from directory.workspace import Role
from tests.routes.conftest import Desk
from tests.workspace import Accounts


@pytest.fixture
def admin(client: TestClient, accounts: Accounts, engine: Engine) -> Desk:
    """The test's main client, signed in as an admin of the North Team."""
    account, csrf = accounts.login_as(client, Role.ADMIN, "North Team")
    return Desk(client, account, csrf, engine)
