from datetime import date
from decimal import Decimal

import pytest

from arrears import PROJECT_ROOT
from arrears.channels.render import Renderer, format_amount, mask_account, missing_templates
from arrears.domain.account import LANGUAGES
from arrears.domain.strategy import REMINDERS
from arrears.config.strategies import load_strategy
from tests.conftest import DEFAULT_STRATEGY

TEMPLATES = PROJECT_ROOT / "templates"


@pytest.fixture(scope="module")
def renderer():
    return Renderer(TEMPLATES)


def render(renderer, language, template, **changes):
    args = dict(
        customer_name="Li Wei",
        account_id="ACC-00012345",
        overdue_amount=Decimal("1234.5"),
        total_balance=Decimal("98765.43"),
        currency="CNY",
        due_date=date(2026, 3, 1),
        dpd=35,
    )
    args.update(changes)
    return renderer.render(language, template, **args)


@pytest.mark.parametrize("path", [DEFAULT_STRATEGY, PROJECT_ROOT / "strategies" / "demo.yaml",
                                  PROJECT_ROOT / "strategies" / "demo-legal.yaml"], ids=["default", "demo", "demo-legal"])
def test_every_template_named_by_a_strategy_exists_in_every_language(renderer, path):
    strategy = load_strategy(path)
    names = {s.template_name for s in strategy.steps if s.action in REMINDERS}
    assert {"sms_early", "letter_mid"} <= names
    assert set(LANGUAGES) == {"en", "zh-CN"}
    assert missing_templates(renderer, names, LANGUAGES) == []


def test_missing_templates_reports_each_language(renderer):
    assert missing_templates(renderer, {"sms_early", "sms_nope"}, ("en", "zh-CN")) == ["en/sms_nope.j2", "zh-CN/sms_nope.j2"]


def test_fallback_action_templates_exist(renderer):
    # A reminder step without `template` uses the action's name.
    assert missing_templates(renderer, {"sms", "email", "im", "letter"}, LANGUAGES) == []


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_email_subject_is_split_from_body(renderer, language):
    out = render(renderer, language, "email_early", dpd=5)
    assert out.subject is not None
    assert not out.subject.startswith("Subject")
    assert "Subject:" not in out.body
    assert "5" in out.subject
    assert "Arrears Demo Bank" in out.subject
    assert out.body.splitlines()[0].startswith("Dear" if language == "en" else "尊敬的")


def test_sms_has_no_subject(renderer):
    out = render(renderer, "en", "sms_early", dpd=8)
    assert out.subject is None
    assert out.body.startswith("Arrears Demo Bank: CNY 1,234.50 on card account ****2345")
    assert "8 days overdue" in out.body
    assert "ACC-00012345" not in out.body  # the full account id is masked


def test_pre_due_sms_counts_days_to_due(renderer):
    out = render(renderer, "en", "sms_pre_due", dpd=-3)
    assert "(3 days)" in out.body
    out_zh = render(renderer, "zh-CN", "sms_pre_due", dpd=-3)
    assert "还有3天" in out_zh.body


@pytest.mark.parametrize(
    "amount, currency, text",
    [
        (Decimal("15000"), "JPY", "JPY 15,000"),
        (Decimal("1234.5"), "CNY", "CNY 1,234.50"),
        (Decimal("0.1"), "USD", "USD 0.10"),
        (Decimal("12.5"), "BHD", "BHD 12.500"),
        (Decimal("1234567.89"), "EUR", "EUR 1,234,567.89"),
    ],
)
def test_format_amount_uses_minor_units(amount, currency, text):
    assert format_amount(amount, currency) == text


def test_rendered_yen_has_no_decimals(renderer):
    out = render(renderer, "en", "sms_early", overdue_amount=Decimal("15000"), total_balance=Decimal("200000"), currency="JPY")
    assert "JPY 15,000 " in out.body
    assert "15,000.00" not in out.body


def test_mask_account():
    assert mask_account("ACC-00012345") == "****2345"
    assert mask_account("1234") == "1234"


def test_mid_letter_in_english_states_balance_reason_rights_and_dispute(renderer):
    out = render(renderer, "en", "letter_mid")
    assert out.subject is None
    body = out.body
    assert body.startswith("Arrears Demo Bank - registered notice")
    assert "Amount overdue: CNY 1,234.50" in body
    assert "Total balance: CNY 98,765.43" in body
    assert "Why you are receiving this letter" in body and "has not been paid" in body
    assert "Your rights: you may dispute this debt" in body
    assert "How to pay or dispute:" in body
    assert "credit bureau" in body and "prior notice" in body
    assert "(35 days ago)" in body


def test_mid_letter_in_chinese_states_balance_reason_rights_and_dispute(renderer):
    body = render(renderer, "zh-CN", "letter_mid").body
    assert "逾期金额：CNY 1,234.50" in body
    assert "总欠款：CNY 98,765.43" in body
    assert "催收原因" in body
    assert "您的权利" in body and "异议" in body
    assert "还款或异议方式" in body
    assert "征信" in body
    assert "已逾期35天" in body
    assert "Dear" not in body


def test_missing_variable_is_an_error_not_a_blank(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "x.j2").write_text("Hello {{ nickname }}", encoding="utf-8")
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        render(Renderer(tmp_path), "en", "x")


def test_every_text_and_email_carries_an_opt_out():
    # 12 CFR 1006.6(e): electronic communications include a reasonable, simple way to opt out.
    from arrears import PROJECT_ROOT

    words = {"en": ("Reply STOP", "UNSUBSCRIBE"), "zh-CN": ("退订",)}
    for language, markers in words.items():
        for path in sorted((PROJECT_ROOT / "templates" / language).glob("*.j2")):
            if path.name.startswith(("sms", "email")) and "opt_out_confirmation" not in path.name:
                text = path.read_text(encoding="utf-8")
                assert any(m in text for m in markers), f"{language}/{path.name} has no opt-out"


def test_an_opt_out_confirmation_says_nothing_but_the_confirmation():
    # 12 CFR 1006.14(h)(2)(i): "no information other than a statement confirming the person's request
    # and that the debt collector will honor it": no amount, no account, no further opt-out.
    from arrears import PROJECT_ROOT

    renderer = Renderer(PROJECT_ROOT / "templates")
    for language in ("en", "zh-CN"):
        for name in ("sms_opt_out_confirmation", "email_opt_out_confirmation"):
            text = renderer.render(language, name, customer_name="X Y", account_id="ACC12345678",
                                   overdue_amount=Decimal("123.45"), total_balance=Decimal("999.00"), currency="USD",
                                   due_date=date(2026, 3, 1), dpd=9)
            body = (text.subject or "") + text.body
            assert "123.45" not in body and "5678" not in body and "X Y" not in body and "2026" not in body
            assert ("honor" in body) if language == "en" else ("执行" in body)
