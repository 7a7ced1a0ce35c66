"""The desk API's documentation pages work with no internet: a real browser, every outside request blocked.

Debian's chromium, headless, driven by Playwright's Python package (never a
downloaded browser). The app is the real one, served by uvicorn on a free port.
"""

import asyncio
import re
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from playwright.async_api import async_playwright

from arrears.api.app import create_app
from arrears.api.docs import STATIC_DIR
from arrears.db.engine import make_engine, make_sessionmaker
from arrears.runtime.devserver import free_port
from arrears.config.settings import load_settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Any absolute URL, or a protocol-relative one ("//cdn.example/x.js"), in an attribute.
_URL_ATTRIBUTE = re.compile(r"""(?:src|href|spec-url|url)\s*[=:]\s*["']((?:[a-z]+:)?//[^"']*)""", re.IGNORECASE)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make setup)")


@pytest.fixture
async def docs_server(time_env, migrated_sqlite):
    settings = load_settings(database_url=migrated_sqlite)
    app = create_app(settings, client=time_env.client, sessions=make_sessionmaker(make_engine(migrated_sqlite)))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


def external_urls(html: str) -> list[str]:
    return [u for u in _URL_ATTRIBUTE.findall(html) if urlsplit(u if "//" != u[:2] else "http:" + u).hostname not in LOCAL_HOSTS]


async def test_served_html_names_no_outside_host_and_its_assets_are_in_the_package(docs_server):
    async with httpx.AsyncClient(base_url=docs_server) as http:
        for page in ("/docs", "/redoc"):
            answer = await http.get(page)
            assert answer.status_code == 200
            assert external_urls(answer.text) == [] and "http://" not in answer.text and "https://" not in answer.text
            policy = answer.headers["content-security-policy"]
            assert "default-src 'self'" in policy and "connect-src 'self'" in policy and "img-src 'self' data:" in policy
            for asset in re.findall(r"""(?:src|href)="(/docs-assets/[^"]+)\"""", answer.text):
                fetched = await http.get(asset)
                assert fetched.status_code == 200 and fetched.content == (STATIC_DIR / asset.removeprefix("/docs-assets/")).read_bytes()
        assert (await http.get("/openapi.json")).json()["info"]["title"] == "Arrears collector desk"
        assert external_urls('<script src="https://cdn.jsdelivr.net/npm/x.js">') != []  # the check itself can fail


async def test_docs_and_redoc_render_in_a_browser_with_no_network(docs_server):
    outside: list[str] = []

    async def only_local(route):
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort("internetdisconnected")

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(service_workers="block")
            await context.route("**/*", only_local)
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            await page.goto(f"{docs_server}/docs", wait_until="load")
            # Swagger UI rendered the operation list from the OpenAPI document.
            operations = page.locator(".opblock-summary-path")
            await operations.first.wait_for(timeout=30_000)
            paths = set(await operations.all_inner_texts())
            assert {"/worklist", "/accounts/{account_id}/promises", "/tasks/{task_id}/reassign"} <= {
                p.replace("\u200b", "") for p in paths
            }, paths
            assert "Arrears collector desk" in await page.locator(".info .title").inner_text()

            await page.goto(f"{docs_server}/redoc", wait_until="load")
            # ReDoc rendered its menu of operations.
            menu = page.locator("[role=menuitem]")
            await menu.first.wait_for(timeout=30_000)
            labels = " ".join(await menu.all_inner_texts())
            assert "Worklist" in labels or "worklist" in labels.lower(), labels
            assert errors == [], errors
            assert outside == [], f"the pages tried to reach outside hosts: {outside}"
        finally:
            await browser.close()
