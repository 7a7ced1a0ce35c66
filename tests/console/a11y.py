"""A small in-browser accessibility check for the console's pages (axe-core is not available offline on
this machine, so this is ours, and it covers less): the page's language, one main landmark, one h1,
a label for every visible input, select and textarea, a name for every button and link, table headers
with scope, and ids that are unique. Colour contrast is not checked."""

A11Y_CHECK = r"""() => {
  const problems = [];
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  if (!document.documentElement.lang) problems.push("html has no lang");
  if (document.querySelectorAll("main, [role=main]").length !== 1) problems.push("not exactly one main landmark");
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || !visible(el)) continue;
    const labelled = (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) ||
      el.closest("label") || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!labelled) problems.push(`no label: ${el.outerHTML.slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll("button, a[href]")) {
    if (visible(el) && !(el.innerText || "").trim() && !el.getAttribute("aria-label")) problems.push(`no name: ${el.outerHTML.slice(0, 80)}`);
  }
  for (const th of document.querySelectorAll("thead th")) if (!th.getAttribute("scope")) problems.push("th without scope");
  const ids = [...document.querySelectorAll("[id]")].map(e => e.id);
  for (const id of new Set(ids.filter((id, i) => ids.indexOf(id) !== i))) problems.push(`duplicate id: ${id}`);
  return problems;
}"""
