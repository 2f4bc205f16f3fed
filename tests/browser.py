"""Playwright driving Debian's Chromium, for the browser tests.

Only the live server's own address is reachable from the page: every other
request (map tiles, for example) is aborted so tests never leave the machine.
"""

import os
from contextlib import contextmanager
from urllib.parse import urlparse

from django.db import connections

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; Django's ORM
# refuses to run there unless told it is safe, which it is in tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@contextmanager
def browser_page(live_server_url):
    from playwright.sync_api import sync_playwright

    allowed = urlparse(live_server_url).netloc
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, locale="id-ID")
        page = context.new_page()
        page.set_default_timeout(30_000)

        def only_live_server(route):
            if urlparse(route.request.url).netloc == allowed:
                route.continue_()
            else:
                route.abort()

        # On the context, so pages the app opens in a new tab (WhatsApp
        # links) stay off the network too.
        context.route("**/*", only_live_server)
        try:
            yield page
        finally:
            # Playwright runs this block in its own context, so pytest-django
            # does not close the connections opened here. Open ones would
            # block dropping the test database at the end of the run.
            connections.close_all()
            context.close()
            browser.close()


def log_in(page, live_server_url, username, password):
    """Log in through the staff login page and wait for the customer list."""
    page.goto(f"{live_server_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server_url}/customers/")


def wait_for_option(page, select_id, value):
    """Wait until the select `select_id` has an option `value`, such as a region list loaded by a script."""
    page.wait_for_selector(f"#{select_id} option[value='{value}']", state="attached")
