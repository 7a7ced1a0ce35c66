"""The API documentation pages, served from the package so that they work offline.

FastAPI's own ``/docs`` and ``/redoc`` load Swagger UI and ReDoc from a public
CDN: on a bank's network without internet access they are blank pages. Here
the pages load pinned copies vendored into ``arrears/api/static/`` (versions,
licences and how to update them: ``arrears/api/static/README.md``), and a
Content-Security-Policy keeps the browser on this server: no script, style,
image, font or request may come from anywhere else (ReDoc's footer logo, which
it would fetch from its CDN, is simply not shown).
"""

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
ASSETS_PATH = "/docs-assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def content_security_policy(html: str) -> str:
    """Same origin only; the page's own inline scripts are allowed by their hash, no other inline script."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {hashes}".strip(),
            "style-src 'self' 'unsafe-inline'",  # both UIs set styles inline
            "img-src 'self' data:",
            "font-src 'self' data:",
            "worker-src 'self' blob:",  # ReDoc's search runs in a worker made from a blob
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


def _page(response: HTMLResponse) -> HTMLResponse:
    html = bytes(response.body).decode()
    return HTMLResponse(html, headers={"Content-Security-Policy": content_security_policy(html)})


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) from the package.

    The app is created with ``docs_url=None, redoc_url=None`` so that FastAPI's
    CDN pages are not registered first.
    """
    if app.docs_url or app.redoc_url:
        raise ValueError("create the app with docs_url=None and redoc_url=None: install_docs serves both pages")
    if not app.openapi_url:
        raise ValueError("the documentation pages need the OpenAPI document (openapi_url)")
    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        assets = f"{root}{ASSETS_PATH}/swagger-ui"
        return _page(
            get_swagger_ui_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - API",
                swagger_js_url=f"{assets}/swagger-ui-bundle.js",
                swagger_css_url=f"{assets}/swagger-ui.css",
                swagger_favicon_url=f"{assets}/favicon-32x32.png",
                # No call to the public validator service (validator.swagger.io).
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return _page(
            get_redoc_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - API",
                redoc_js_url=f"{root}{ASSETS_PATH}/redoc/redoc.standalone.js",
                redoc_favicon_url=f"{root}{ASSETS_PATH}/swagger-ui/favicon-32x32.png",
                with_google_fonts=False,
            )
        )
