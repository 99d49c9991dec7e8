"""A scenario's own demo notice on the served pages and in the API answers, as text."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.server import serve_in_background
from geo.scenario import DEMO_NOTICE_EN, DEMO_NOTICE_ZH
from tests.api.conftest import make_settings
from tests.conftest import CUSTOM_NOTICE_EN, CUSTOM_NOTICE_ZH

PAGES = ["/", "/courier", "/planner"]
NOTICES = {"zh": CUSTOM_NOTICE_ZH, "en": CUSTOM_NOTICE_EN}


@pytest.fixture(scope="module")
def noticed_client(
    noticed_scenario: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The service on a scenario folder whose manifest gives its own notices."""
    folder = tmp_path_factory.mktemp("api-noticed")
    settings = make_settings(folder, scenario=str(noticed_scenario))
    with TestClient(create_app(settings)) as started:
        yield started


def _banner(page: str) -> str:
    start = page.index('<div class="circles-banner circles-banner-demo"')
    return page[start : page.index("</div>", start)]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_every_page_shows_the_scenarios_notice_escaped(
    noticed_client: TestClient, path: str, lang: str
) -> None:
    page = noticed_client.get(path, params={"lang": lang}).text
    notice = NOTICES[lang]
    assert html.escape(notice) in _banner(page)
    assert notice not in page  # never as markup
    assert "<script>alert" not in page and "<img src=x" not in page
    assert DEMO_NOTICE_ZH not in page and DEMO_NOTICE_EN not in page


def test_api_answers_carry_the_scenarios_notice(noticed_client: TestClient) -> None:
    for url in ("/healthz", "/api/layers", "/api/coverage"):
        body = noticed_client.get(url).json()
        demo = [notice for notice in body["notices"] if notice["code"] == "demo_data"]
        assert demo == [
            {"code": "demo_data", "message": CUSTOM_NOTICE_EN, "message_zh": CUSTOM_NOTICE_ZH}
        ], url
        assert body["demo"] is True


def test_the_browser_shows_the_notice_as_text(
    chromium: Any, noticed_scenario: Path, tmp_path: Path
) -> None:
    app = create_app(make_settings(tmp_path, scenario=str(noticed_scenario)))
    dialogs: list[str] = []
    with serve_in_background(app) as url:
        context = chromium.new_context(viewport={"width": 1366, "height": 900})
        try:
            page = context.new_page()
            page.route(
                "**/*",
                lambda handle: (
                    handle.continue_()
                    if handle.request.url.startswith(url + "/")
                    else handle.abort()
                ),
            )
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            for lang in ("zh", "en"):
                page.goto(f"{url}/planner?basemap=none&lang={lang}", wait_until="load")
                banner = page.locator(".circles-banner-demo .circles-banner-text")
                banner.wait_for()
                assert banner.inner_text() == NOTICES[lang]
                assert banner.locator("script, img").count() == 0
        finally:
            context.close()
    assert dialogs == []
