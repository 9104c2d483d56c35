"""Templates' `url_for` gives exactly the URLs Starlette's `request.url_for` gives, for every
named route of the app, also behind a path prefix, and refuses what Starlette refuses."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, NoMatchFound

from directory.app import create_app
from directory.config import Settings
from directory.templating import make_url_for


def named_routes(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for route in routes:
        name = getattr(route, "name", None)
        if isinstance(route, Mount):
            inner = f"{prefix}{name}:" if name else prefix
            found.extend(named_routes(route.routes, inner))
            if name:
                found.append((f"{prefix}{name}", [*route.param_convertors, "path"]))
        elif name:
            found.append((f"{prefix}{name}", list(getattr(route, "param_convertors", {}))))
    return found


def request_for(app: Any, root_path: str = "", host: bytes = b"testserver") -> Request:
    return Request(
        {
            "type": "http",
            "app": app,
            "router": app.router,
            "scheme": "http",
            "server": ("testserver", 80),
            "path": "/",
            "root_path": root_path,
            "headers": [(b"host", host)],
            "query_string": b"",
        }
    )


@pytest.mark.parametrize("root_path", ["", "/directory"])
@pytest.mark.parametrize("value", ["A1b2-C3_d4", "0123456789abcdef", "with space", "a/b"])
def test_the_same_urls_as_starlette(root_path: str, value: str) -> None:
    app = create_app(Settings(meili_search_key="unused"))
    url_for = make_url_for()
    request = request_for(app, root_path)
    routes = named_routes(app.routes)
    assert ("work:peer", ["peer_id"]) in routes
    for name, keys in routes:
        params = {key: value for key in keys}
        try:
            expected = str(request.url_for(name, **params))
        except (NoMatchFound, AssertionError):
            with pytest.raises((NoMatchFound, AssertionError)):
                url_for({"request": request}, name, **params)
            continue
        assert str(url_for({"request": request}, name, **params)) == expected, name
        assert str(url_for({"request": request}, name, **params)) == expected, name  # cached


def test_wrong_parameters_are_refused_as_starlette_does() -> None:
    app = create_app(Settings(meili_search_key="unused"))
    url_for = make_url_for()
    request = request_for(app)
    with pytest.raises(NoMatchFound):
        url_for({"request": request}, "work:peer")
    with pytest.raises(NoMatchFound):
        url_for({"request": request}, "work:peer", peer_id="x", other="y")
    with pytest.raises(NoMatchFound):
        url_for({"request": request}, "work:nowhere", peer_id="x")


def test_each_host_gets_its_own_urls() -> None:
    app = create_app(Settings(meili_search_key="unused"))
    url_for = make_url_for()
    for host in (b"one.example", b"two.example:8080"):
        request = request_for(app, host=host)
        expected = str(request.url_for("work:peer", peer_id="abc"))
        assert str(url_for({"request": request}, "work:peer", peer_id="abc")) == expected
        assert host.decode() in expected


def test_ids_do_not_search_the_routes_again(monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(Settings(meili_search_key="unused"))
    url_for = make_url_for()
    request = request_for(app)
    first = str(url_for({"request": request}, "work:referral", referral_id="first-id"))
    searches: list[str] = []
    original = app.router.url_path_for

    def counted(name: str, /, **params: Any) -> Any:
        searches.append(name)
        return original(name, **params)

    monkeypatch.setattr(app.router, "url_path_for", counted)
    second = str(url_for({"request": request}, "work:referral", referral_id="second_id"))
    assert second == first.replace("first-id", "second_id")
    assert searches == []
    site_css = str(url_for({"request": request}, "static", path="/site.css"))
    assert searches == ["static"]  # not an id: the usual way, once
    assert str(url_for({"request": request}, "static", path="/site.css")) == site_css
    assert searches == ["static"]  # then remembered
    other_host = request_for(app, host=b"other.example")
    assert "other.example" in str(url_for({"request": other_host}, "static", path="/site.css"))
    assert searches == ["static", "static"]
