"""The authorization sweep: walks the app's own routes (no hand-kept list), so a route added
later is covered the day it is added.

Every route outside the public mounts is marked `auth.public` or wrapped by
`auth.requires(role)`. Anonymous: a page GET redirects to sign-in, a write answers 401, the API
answers 401 JSON. Too low a role: 403. Another team's peer, referral or consent: 404 (admins
see every team's).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from directory.auth import requires
from directory.workspace import Role
from tests.routes.conftest import Desk, OpenDesk, snapshot

# Mounts (by name) and top-level paths that serve anyone, signed in or not.
PUBLIC_MOUNTS = frozenset({"public", "kiosk", "api", "hsds", "static", "vendor"})
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/kiosk"})
OBJECT_PARAMS = frozenset({"peer_id", "referral_id", "consent_id"})
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


@dataclass(frozen=True)
class Found:
    """One route of the app, with its full path template and the mount it lives under."""

    path: str
    route: BaseRoute
    mount: str | None

    @property
    def methods(self) -> list[str]:
        assert isinstance(self.route, Route)
        return sorted((self.route.methods or set()) - {"HEAD"})

    @property
    def params(self) -> set[str]:
        return {m.group(1) for m in _PARAM.finditer(self.path)}

    @property
    def public_area(self) -> bool:
        if self.mount is None:
            return self.path in PUBLIC_PATHS
        return self.mount in PUBLIC_MOUNTS

    def fill(self, **values: str) -> str:
        """The path with each parameter set (to a random opaque id unless given)."""
        return _PARAM.sub(lambda m: values.get(m.group(1), secrets.token_urlsafe(12)), self.path)


def walk(routes: list[BaseRoute], prefix: str = "", mount: str | None = None) -> Iterator[Found]:
    for route in routes:
        if isinstance(route, Mount):
            yield from walk(route.routes, prefix + route.path, mount or route.name)
        else:
            yield Found(prefix + getattr(route, "path", repr(route)), route, mount)


def endpoint_of(found: Found) -> object:
    return getattr(found.route, "endpoint", None)


def required_role(found: Found) -> Role | None:
    role = getattr(endpoint_of(found), "required_role", None)
    assert role is None or isinstance(role, Role)
    return role


def app_of(client: TestClient) -> Starlette:
    assert isinstance(client.app, Starlette)
    return client.app


def protected(app: Starlette) -> list[Found]:
    """Every route that needs a signed-in account, wherever it is mounted."""
    return [f for f in walk(app.routes) if required_role(f) is not None]


def unmarked(app: Starlette) -> list[str]:
    """Routes outside the public areas that are neither `public` nor `requires(role)`."""
    problems = []
    for found in walk(app.routes):
        if found.public_area:
            continue
        is_public = getattr(endpoint_of(found), "public", False) is True
        name = f"{found.path} ({getattr(found.route, 'name', found.route)})"
        if not isinstance(found.route, Route) or (not is_public and required_role(found) is None):
            problems.append(name)
        elif required_role(found) is not None and is_public:
            problems.append(f"{name}: both public and requires()")
    return problems


def test_every_route_outside_public_mounts_is_marked(client: TestClient) -> None:
    assert not unmarked(app_of(client)), "routes neither public nor requires(role)"


def test_an_unmarked_route_is_caught(client: TestClient) -> None:
    """The check itself: a workspace route someone forgot to wrap is named."""

    async def forgotten(request: Request) -> Response:
        return PlainTextResponse("peer data")

    work = next(r for r in app_of(client).routes if isinstance(r, Mount) and r.name == "work")
    work.routes.append(Route("/forgotten/{peer_id}", forgotten, name="forgotten"))
    app_of(client).routes.append(Mount("/reports", routes=[Route("/", forgotten)], name="reports"))
    assert unmarked(app_of(client)) == [
        "/work/forgotten/{peer_id} (forgotten)",
        "/reports/ (forgotten)",
    ]


def test_the_sweep_sees_the_workspace(client: TestClient) -> None:
    """Not a vacuous walk: the workspace's routes are there, and writes are POST only."""
    paths = {f.path for f in protected(app_of(client))}
    assert {"/work/", "/work/peers/{peer_id}", "/work/referrals/{referral_id}/move"} <= paths
    assert len(paths) >= 15
    for found in protected(app_of(client)):
        assert set(found.methods) <= {"GET", "POST"}, found.path


def test_anonymous_is_sent_to_sign_in_or_refused(client: TestClient) -> None:
    checked = 0
    for found in protected(app_of(client)):
        path = found.fill()
        api = path.startswith("/api/")
        for method in found.methods:
            response = client.request(method, path, follow_redirects=False)
            where = f"anonymous {method} {found.path}"
            checked += 1
            if api:
                assert response.status_code == 401, where
                assert response.json()["error"]["status"] == 401, where
            elif method == "GET":
                assert response.status_code == 303, where
                location = urlsplit(response.headers["location"])
                assert location.path == "/work/sign-in", where
                assert parse_qs(location.query) == {"next": [path]}, where
            else:
                assert response.status_code == 401, where
                assert "You are signed out" in response.text, where
                assert "Sign in again" in response.text, where
    assert checked >= 20


def test_a_protected_api_route_answers_401_json(client: TestClient) -> None:
    """The API's form of "sign in first", through a route wrapped like any other."""

    @requires()
    async def probe(request: Request) -> Response:
        return PlainTextResponse("secret")

    app_of(client).router.routes.insert(
        0, Mount("/api/v1/_probe", routes=[Route("/", probe, methods=["GET", "POST"])])
    )
    for method in ("GET", "POST"):
        response = client.request(method, "/api/v1/_probe/", follow_redirects=False)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"error": {"status": 401, "message": "sign in first"}}


def test_too_low_a_role_gets_403(client: TestClient, open_desk: OpenDesk) -> None:
    routes = [f for f in protected(app_of(client)) if required_role(f) is not Role.SPECIALIST]
    assert routes, "no route needs more than a specialist (the supervisor's reassign does)"
    for role in (Role.SPECIALIST, Role.SUPERVISOR):
        with open_desk(role) as desk:
            for found in routes:
                needed = required_role(found)
                assert needed is not None
                if role.at_least(needed):
                    continue
                path = found.fill()
                for method in found.methods:
                    response = desk.get(path) if method == "GET" else desk.post(path)
                    where = f"{role.value} {method} {found.path}"
                    assert response.status_code == 403, where
                    assert "Not allowed" in response.text, where


@pytest.fixture
def team_a(desk: Desk, listing_ids: dict[str, str]) -> dict[str, str]:
    """A North Team peer with a shortlist, a consent and a referral (the desk's team)."""
    peer = desk.new_peer(alias="North peer", goals="a room")
    desk.shortlist(peer, listing_ids["harbor"])
    consent = desk.consent(peer, listing_ids["harbor"])
    referral = desk.refer(peer, listing_ids["harbor"], mode="sent", consent_id=consent)
    return {"peer_id": peer, "referral_id": referral, "consent_id": consent}


def test_another_teams_objects_are_not_found(
    client: TestClient,
    open_desk: OpenDesk,
    team_a: dict[str, str],
    listing_ids: dict[str, str],
    engine: Engine,
) -> None:
    routes = [f for f in protected(app_of(client)) if f.params & OBJECT_PARAMS]
    assert {p for f in routes for p in f.params} >= OBJECT_PARAMS
    before = snapshot(engine)
    data_tables = ("peers", "shortlist_items", "consents", "referrals", "referral_events")
    for role in (Role.SPECIALIST, Role.SUPERVISOR):
        with open_desk(role, "South Team") as other:
            for found in routes:
                needed = required_role(found)
                assert needed is not None
                path = found.fill(**team_a)
                expected = 404 if role.at_least(needed) else 403
                for method in found.methods:
                    if method == "GET":
                        response = other.get(f"{path}?listing={listing_ids['harbor']}")
                    else:
                        body = {"listing_id": listing_ids["oak"], "alias": "x", "status": "x"}
                        response = other.post(path, body)
                    where = f"South {role.value} {method} {found.path}"
                    assert response.status_code == expected, where
                    assert team_a["peer_id"] not in response.text, where
    after = snapshot(engine)
    assert {t: after[t] for t in data_tables} == {t: before[t] for t in data_tables}


def test_an_admin_of_another_team_sees_them(
    client: TestClient,
    open_desk: OpenDesk,
    team_a: dict[str, str],
    listing_ids: dict[str, str],
) -> None:
    routes = [f for f in protected(app_of(client)) if f.params & OBJECT_PARAMS]
    with open_desk(Role.ADMIN, "South Team") as admin:
        for found in routes:
            if "GET" not in found.methods:
                continue
            path = found.fill(**team_a)
            response = admin.get(f"{path}?listing={listing_ids['harbor']}")
            assert response.status_code == 200, f"South admin GET {found.path}"
        page = admin.get(f"/work/referrals/{team_a['referral_id']}")
        assert "Harbor Sober Living" in page.text
        assert "Entered in error" in page.text  # an admin's move
