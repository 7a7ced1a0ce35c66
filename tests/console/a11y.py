"""The console's accessibility checks, run in the browser on each main page the tests visit.

axe-core (pinned, vendored in tests/console/vendor/, see its README.md) is the check: the tests fail on
any violation of serious or critical impact. Our own smaller check (A11Y_CHECK) stays beside it for
three things axe does not fail a page on: exactly one h1 (axe's page-has-heading-one asks for at least
one, and is "moderate"), a scope on every column header (axe accepts a simple table without), and ids
that are unique (axe 4.14's duplicate-id rules are disabled as obsolete, except duplicate-id-aria, which
is reported for review rather than as a violation). Its former checks of the page's language, the main
landmark, labels and the names of buttons and links were dropped: axe's html-has-lang/html-lang-valid,
landmark-one-main/landmark-no-duplicate-main, label/select-name and button-name/link-name cover them."""

from pathlib import Path

A11Y_CHECK = r"""() => {
  const problems = [];
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
  for (const th of document.querySelectorAll("thead th")) if (!th.getAttribute("scope")) problems.push("th without scope");
  const ids = [...document.querySelectorAll("[id]")].map(e => e.id);
  for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) problems.push(`duplicate id: ${id}`);
  return problems;
}"""


AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_URL_PATH = "/__tests__/axe.min.js"  # answered by the test (page.route), not by the app
BLOCKING = ("serious", "critical")
AXE_RUN = r"""async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary}))}));
}"""


async def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (every impact).

    The console's Content-Security-Policy (script-src 'self') refuses an inline script, and so
    page.add_script_tag(path=...) (the tests keep the policy on, as the browser would). The vendored file
    is added as a same-origin script instead, its request answered by the test from tests/console/vendor/
    (page.route; the app serves nothing new and nothing leaves the machine)."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):  # (once per document)
        url = "/".join(page.url.split("/", 3)[:3]) + AXE_URL_PATH
        if not getattr(page, "axe_routed", False):
            await page.route(url, lambda route: route.fulfill(path=AXE_JS, content_type="text/javascript"))
            page.axe_routed = True
        await page.add_script_tag(url=url)
    return await page.evaluate(AXE_RUN)


def describe(violations: list[dict]) -> str:
    """One entry a violation: rule id, impact, help (with axe's page on the rule), the first node."""
    lines = []
    for v in violations:
        first = v["nodes"][0] if v["nodes"] else {"target": [], "html": "", "summary": ""}
        why = " / ".join(line.strip() for line in (first["summary"] or "").splitlines()[1:3])
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} node(s)): {v['help']} [{v['helpUrl']}]\n"
                     f"    first: {first['target']} {first['html'][:200]}\n    why: {why}")
    return "\n".join(lines)
