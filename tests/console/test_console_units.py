"""The console's small parts without a browser: sessions and their idle expiry, CSRF comparison, the
page's language, masking, Babel's money and dates."""

from datetime import date, datetime, timezone
from decimal import Decimal

from arrears.console import csrf, i18n, views
from arrears.console.session import SessionStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_ends_after_its_idle_time_and_each_request_restarts_it():
    clock = Clock()
    store = SessionStore(idle_seconds=900, clock=clock)
    cookie, session = store.open("arr_token", "c1")
    assert cookie not in store._sessions  # only the cookie's hash is kept
    clock.now += 899
    assert store.get(cookie) == (session, False)
    clock.now += 899  # idle time counts from the last request
    assert store.get(cookie)[0] is session
    clock.now += 901
    assert store.get(cookie) == (None, True)
    assert store.get(cookie) == (None, False)  # gone
    other, _ = store.open("arr_token", "c1")
    store.close(other)
    assert store.get(other) == (None, False)
    assert store.get(None) == (None, False) and store.get("forged") == (None, False)


def test_csrf_needs_both_sides_and_equal_values():
    token = csrf.new_token()
    assert csrf.matches(token, token)
    assert not csrf.matches(token, None) and not csrf.matches(token, "") and not csrf.matches(None, None)
    assert not csrf.matches(token, token + "x")


def test_the_page_language_choice_then_roster_then_browser():
    assert i18n.pick("en", ["zh-CN"], "zh-CN") == "en"
    assert i18n.pick(None, ["fr", "zh-CN"], "en-GB") == "zh-CN"
    assert i18n.pick(None, [], "fr-FR, zh-CN;q=0.8") == "zh-CN"
    assert i18n.pick(None, [], "zh-TW") == "en"  # traditional Chinese is not offered: English
    assert i18n.pick(None, None, None) == "en"


def test_money_and_dates_through_babel():
    zh, en = i18n.Words("zh-CN"), i18n.Words("en")
    assert zh.money(Decimal("1234.5"), "CNY") == "¥1,234.50"
    assert en.money(Decimal("1234.5"), "CNY") == "CN¥1,234.50"
    assert zh._("Worklist") == "工作清单" and en._("Worklist") == "Worklist"
    assert zh.day(date(2026, 12, 4)) == "2026年12月4日"
    at = datetime(2026, 12, 1, 2, 30, tzinfo=timezone.utc)
    assert en.clock(at, "Asia/Shanghai") == "10:30"
    assert "10:30" in zh.moment(at, "Asia/Shanghai")


def test_personal_data_is_masked():
    assert views.mask_name("王芳") == "王*"
    assert views.mask_phone("+86 138 0000 1234") == "+86 *** **** 1234"
    assert views.mask_email("li.na@example.com") == "l***@example.com"
    assert views.mask_address("上海市浦东新区世纪大道1号") == "上海市…"


def test_record_lines_are_scrubbed_of_the_customers_details_until_revealed():
    from types import SimpleNamespace

    account = SimpleNamespace(customer_name="王芳", phone="+86 138 0000 1234", email="wf@example.com",
                              billing_address="上海市浦东新区世纪大道1号")
    page = views.AccountPage(account=account, episode=None, collection_now=datetime.now(timezone.utc),
                             today=date(2026, 12, 1), tasks=[], workable=[], promises=[], payments=[], timeline=[],
                             revealed=False)
    line = "sent to +86 138 0000 1234 (reminder, zh-CN): 王芳您好，您的账户已逾期"
    assert page.scrub(line) == "sent to +86 *** **** 1234 (reminder, zh-CN): 王*您好，您的账户已逾期"
    page.revealed = True
    assert page.scrub(line) == line
