"""The collector's console: server-rendered pages for collectors and supervisors, served by `arrears api`
beside the JSON routes (under /console).

Sign-in exchanges the collector's desk token for a session cookie; every page then authenticates
through the same code as the API (arrears/api/access.py) and every action goes to the workflow through
the same operations and update validators as the API's routes. Modules: ``session`` (the cookie and its
idle expiry), ``csrf`` (a token on every form), ``i18n`` (English and Simplified Chinese, money and dates
through Babel), ``views`` (what a page shows, read from the record), ``routes`` (the pages and forms).
"""

from fastapi import FastAPI

# The console's form that carries a file (the outcome form's evidence): the evidence upload's body limit.
CONSOLE_UPLOAD_PATH = r"/console/accounts/[^/]+/outcome"


def install_console(app: FastAPI) -> None:
    from arrears.console.routes import console_router, install_handlers, static_app
    from arrears.console.session import SessionStore

    app.state.console_sessions = SessionStore.from_env()
    app.include_router(console_router())
    install_handlers(app)
    app.mount("/console/static", static_app(), name="console-static")
