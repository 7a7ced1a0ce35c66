"""Rendering reminders from templates, in the account's language.

Templates live in ``templates/<language>/<name>.j2``. An email template's
first line may be ``Subject: ...``; a letter's is its heading.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from arrears.domain.money import minor_units


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str


def format_amount(amount: Decimal, currency: str) -> str:
    places = minor_units(currency)
    return f"{currency} {amount:,.{places}f}"


def mask_account(account_id: str) -> str:
    return "****" + account_id[-4:] if len(account_id) > 4 else account_id


class Renderer:
    def __init__(self, templates_dir: Path, bank_name: str = "Arrears Demo Bank") -> None:
        self.templates_dir = templates_dir
        self.bank_name = bank_name
        self.env = Environment(
            loader=FileSystemLoader(str(templates_dir)),
            undefined=StrictUndefined,  # a missing field is an error, not a blank in a customer's letter
            keep_trailing_newline=False,
            autoescape=False,
        )

    def exists(self, language: str, template: str) -> bool:
        return (self.templates_dir / language / f"{template}.j2").is_file()

    def render(
        self,
        language: str,
        template: str,
        *,
        customer_name: str,
        account_id: str,
        overdue_amount: Decimal,
        total_balance: Decimal,
        currency: str,
        due_date: date,
        dpd: int,
        contact_name: str = "",
        **extra: str,
    ) -> Rendered:
        """``extra``: what a notice says beyond the account's figures (a verification's dispute and
        findings, a remedy notice's remedy); templates give each a default where one makes sense."""
        text = (
            self.env.get_template(f"{language}/{template}.j2")
            .render(
                **extra,
                contact_name=contact_name,
                bank_name=self.bank_name,
                customer_name=customer_name,
                account=mask_account(account_id),
                overdue=format_amount(overdue_amount, currency),
                balance=format_amount(total_balance, currency),
                due_date=due_date.isoformat(),
                dpd=dpd,
                days_overdue=max(dpd, 0),
                days_to_due=max(-dpd, 0),
            )
            .strip()
        )
        first, _, rest = text.partition("\n")
        if first.startswith("Subject:"):
            return Rendered(subject=first.removeprefix("Subject:").strip(), body=rest.strip())
        return Rendered(subject=None, body=text)


def missing_templates(renderer: Renderer, templates: set[str], languages: tuple[str, ...]) -> list[str]:
    return sorted(f"{lang}/{name}.j2" for name in templates for lang in languages if not renderer.exists(lang, name))
