"""The console's pages and forms (under /console), beside the desk API's JSON routes, by page:
``signin`` (signing in and out, the language), ``work`` (the worklist; the supervisors' team, reassignment
and scorecard), ``account`` (the account page and how a form's action is carried out), ``forms`` (the desk
actions' forms). What they share (rendering, authentication, CSRF, error pages) is in ``pages``.
"""

from fastapi import APIRouter

from arrears.console.account import add_account_pages
from arrears.console.forms import add_forms
from arrears.console.pages import PREFIX, install_handlers, static_app
from arrears.console.signin import add_sign_in
from arrears.console.work import add_supervisor_pages, add_worklist

__all__ = ["console_router", "install_handlers", "static_app"]


def console_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX, include_in_schema=False)
    add_sign_in(router)
    add_worklist(router)
    add_account_pages(router)
    add_forms(router)
    add_supervisor_pages(router)
    return router
