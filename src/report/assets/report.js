// The page of a run (report.html: the run's data inside the file) and the dashboard (GET /api/dashboard: the
// data read from the app's feed). One script, two sources of rows. Everything the page shows is put in with
// textContent or an attribute, never parsed as markup: a resource name or tag is text, whatever it holds.
"use strict";
(() => {
  const SEVERITIES = ["critical", "high", "medium", "low", "informational"];
  const SEVERITY_COLORS = {
    critical: "#7a0a0a",
    high: "#b3261e",
    medium: "#8a4b00",
    low: "#4d5a00",
    informational: "#4a5568",
  };
  const PAGE_SIZE = 100;
  const rank = (severity) => SEVERITIES.length - SEVERITIES.indexOf(severity);

  const config = JSON.parse(document.getElementById("audit-config").textContent);
  const catalog = config.catalog;
  const ruleById = new Map(catalog.rules.map((rule) => [rule.id, rule]));

  /** An element with attributes, listeners (`on…`) and children (strings become text nodes). */
  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") element.className = value;
      else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
      else element.setAttribute(name, value === true ? "" : String(value));
    }
    append(element, children);
    return element;
  }
  function append(element, children) {
    for (const child of [children].flat(Infinity)) {
      if (child === undefined || child === null || child === false) continue;
      element.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
    }
  }
  const svg = (tag, attributes) => {
    const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
    return element;
  };
  const byId = (id) => document.getElementById(id);
  const count = (n) => Number(n || 0).toLocaleString("en-US");
  const plural = (n, one, many) => `${count(n)} ${n === 1 ? one : many || `${one}s`}`;

  function resourceName(finding) {
    return (
      finding.deployment ||
      finding.endpoint ||
      finding.project ||
      finding.workspace ||
      finding.account ||
      String(finding.resourceId || "")
        .split("/")
        .pop() ||
      finding.resourceId
    );
  }
  function groupOf(finding) {
    if (finding.workspace) return { kind: "workspace", name: finding.workspace };
    if (finding.account) return { kind: "Foundry account", name: finding.account };
    if (finding.resourceGroup) return { kind: "resource group", name: finding.resourceGroup };
    return { kind: "subscription", name: "(the subscription itself)" };
  }
  const groupKey = (f) => {
    const g = groupOf(f);
    return `${f.subscriptionName || f.subscriptionId}\u0000${g.kind}\u0000${g.name}`;
  };
  /**
   * Subscriptions by name; within one, the groups whose worst finding is the most severe first (a reader meets
   * what matters before an informational note), then by name; within a group, by severity and rule.
   */
  function sortFindings(findings) {
    const worst = new Map();
    for (const f of findings) {
      const key = groupKey(f);
      worst.set(key, Math.max(worst.get(key) || 0, rank(f.severity)));
    }
    const subscriptionOf = (f) => f.subscriptionName || f.subscriptionId;
    return findings.sort((a, b) => {
      const sa = subscriptionOf(a);
      const sb = subscriptionOf(b);
      if (sa !== sb) return sa < sb ? -1 : 1;
      const ka = groupKey(a);
      const kb = groupKey(b);
      if (ka !== kb) return worst.get(kb) - worst.get(ka) || (ka < kb ? -1 : 1);
      return rank(b.severity) - rank(a.severity) || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0);
    });
  }
  /** A resolved finding of the summary, shown as a row: what it was, from the catalog and its id. */
  function resolvedRow(resolved) {
    const rule = ruleById.get(resolved.ruleId) || {};
    const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(resolved.resourceId)?.[1] || "";
    const resourceGroup = /\/resourceGroups\/([^/]+)/i.exec(resolved.resourceId)?.[1] || "";
    return {
      ...resolved,
      status: "resolved",
      severity: rule.severity || "informational",
      title: rule.title || resolved.ruleId,
      seed: rule.seeds || [],
      subscriptionId,
      subscriptionName: subscriptionId,
      resourceGroup,
      resourceType: "",
      message: "Resolved since the previous run: the resource no longer shows this.",
      evidence: {},
      remediation: "",
    };
  }
  function matches(filters, finding) {
    if (filters.severity && rank(finding.severity) < rank(filters.severity)) return false;
    if (filters.ruleId && finding.ruleId !== filters.ruleId) return false;
    if (filters.status && finding.status !== filters.status) return false;
    if (filters.subscription && finding.subscriptionId !== filters.subscription) return false;
    if (filters.resourceType && finding.resourceType !== filters.resourceType) return false;
    if (filters.q) {
      const text = `${finding.ruleId} ${finding.title} ${finding.resourceId} ${finding.subscriptionName} ${finding.message}`;
      if (!text.toLowerCase().includes(filters.q)) return false;
    }
    return true;
  }

  /** The report: every row is in the file, filtered and paged here. */
  async function embeddedSource() {
    const encoded = byId("audit-data").textContent.trim();
    const binary = atob(encoded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    const data = JSON.parse(await new Response(stream).text());
    const findings = data.findings.map((f) => {
      const rule = ruleById.get(f.ruleId) || {};
      return { ...f, title: rule.title || f.ruleId, slug: rule.slug, seed: rule.seeds || [] };
    });
    for (const resolved of data.summary.resolvedFindings || []) findings.push(resolvedRow(resolved));
    sortFindings(findings);
    const subscriptions = new Map();
    for (const f of findings)
      if (!subscriptions.has(f.subscriptionId) || subscriptions.get(f.subscriptionId) === f.subscriptionId)
        subscriptions.set(f.subscriptionId, f.subscriptionName || f.subscriptionId);
    let filtered = findings;
    let page = 0;
    return {
      live: false,
      summary: data.summary,
      trend: data.trend || [],
      statuses: ["new", "open", "exempted", "resolved"],
      subscriptions,
      searchScope: "all findings",
      unreadable: findings.filter((f) => f.ruleId === "AUDIT001" && f.status !== "resolved"),
      async first(filters) {
        filtered = findings.filter((f) => matches(filters, f));
        page = 0;
        return this.view();
      },
      async next() {
        page += 1;
        return this.view();
      },
      async previous() {
        page = Math.max(0, page - 1);
        return this.view();
      },
      view() {
        const from = page * PAGE_SIZE;
        return {
          rows: filtered.slice(from, from + PAGE_SIZE),
          from,
          total: filtered.length,
          hasNext: from + PAGE_SIZE < filtered.length,
          hasPrevious: page > 0,
        };
      },
    };
  }

  /** The dashboard: rows from the app's feed, a page at a time, with the feed's own filters and tokens. */
  async function feedSource() {
    const opened = new URLSearchParams(location.search);
    const key = opened.get("code");
    // Rows a page: the dashboard's own `top`, passed on to the feed (which checks it).
    const top = opened.get("top") || String(PAGE_SIZE);
    const headers = key ? { "x-functions-key": key } : {};
    async function call(path, init) {
      const response = await fetch(new URL(path, location.href), {
        ...init,
        headers: { ...headers, ...(init && init.headers) },
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok)
        throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`);
      return { body, response };
    }
    const { body: summaryBody } = await call("summary?runs=30");
    const subscriptions = new Map();
    const unreadable = (await call("findings?ruleId=AUDIT001&status=open&top=50")).body.value || [];
    // tokens[i] is the token that asks for page i; the first page needs none.
    let tokens = [undefined];
    let page = 0;
    let filters = {};
    const pageRows = async () => {
      const query = new URLSearchParams({ top });
      if (filters.status) query.set("status", filters.status);
      if (filters.severity) query.set("severity", filters.severity);
      if (filters.ruleId) query.set("ruleId", filters.ruleId);
      if (filters.subscription) query.set("subscription", filters.subscription);
      if (filters.resourceType) query.set("resourceType", filters.resourceType);
      if (tokens[page]) query.set("continuationToken", tokens[page]);
      const { body } = await call(`findings?${query}`);
      tokens = tokens.slice(0, page + 1);
      if (body.continuationToken) tokens.push(body.continuationToken);
      const value = body.value || [];
      for (const f of value)
        if (!subscriptions.has(f.subscriptionId))
          subscriptions.set(f.subscriptionId, f.subscriptionName || f.subscriptionId);
      // The feed has no text search: the search narrows the page it gave.
      const rows = sortFindings(value.filter((f) => matches({ q: filters.q }, f)));
      return {
        rows,
        from: page * Number(top),
        total: undefined,
        hasNext: Boolean(body.continuationToken),
        hasPrevious: page > 0,
        page: page + 1,
        pageLength: value.length,
      };
    };
    return {
      live: true,
      summary: summaryBody.latest,
      trend: (summaryBody.trend || []).slice().reverse(),
      statuses: ["open", "resolved", "exempted"],
      subscriptions,
      searchScope: "this page",
      unreadable,
      call,
      async first(next) {
        filters = next;
        tokens = [undefined];
        page = 0;
        return pageRows();
      },
      async next() {
        page += 1;
        return pageRows();
      },
      async previous() {
        page = Math.max(0, page - 1);
        return pageRows();
      },
    };
  }

  function renderVerdict(source) {
    const summary = source.summary;
    const section = byId("verdict");
    section.replaceChildren();
    if (!summary) {
      section.className = "verdict unknown";
      append(section, [
        h("h2", {}, "No audit has finished yet"),
        h("p", {}, "Nothing is known about the tenant until a run finishes: this is not an all clear."),
      ]);
      return;
    }
    const cov = summary.coverage || {};
    const failedScopes = Object.entries(cov).filter(([, c]) => c && c.failed > 0);
    if (summary.complete) {
      section.className = "verdict complete";
      append(section, [
        h("h2", {}, "Complete: every scope in the audit was read whole"),
        h(
          "p",
          {},
          `${plural(cov.subscriptions?.read, "subscription")}, ${plural(cov.workspaces?.read, "workspace")}, ${cov.computes ? `${plural(cov.computes.read, "compute")}, ` : ""}${plural(cov.accounts?.read, "Foundry account")} read. ${plural(summary.counts.byStatus.new + summary.counts.byStatus.open, "finding")} open.`,
        ),
      ]);
      return;
    }
    section.className = "verdict incomplete";
    const lines = [
      ...failedScopes.map(
        ([scope, c]) =>
          `${count(c.failed)} of ${count(c.total)} ${scope} could not be read (${count(c.read)} were).`,
      ),
      ...(summary.storageErrors || []),
      ...(summary.logsErrors || []),
    ];
    append(section, [
      h("h2", {}, "Incomplete: not everything could be read"),
      h(
        "p",
        {},
        "What could not be read is unknown, not clear: nothing inside it is reported as resolved. Fix access and run the audit again.",
      ),
      lines.length
        ? h(
            "ul",
            {},
            lines.map((line) => h("li", {}, line)),
          )
        : null,
      source.unreadable.length
        ? [
            h(
              "h3",
              {},
              `What could not be read (${plural(source.unreadable.length, "scope")}${source.live ? ", first 50" : ""})`,
            ),
            h(
              "ul",
              { id: "unreadable" },
              source.unreadable
                .slice(0, 50)
                .map((f) => h("li", {}, `${f.subscriptionName || f.subscriptionId}: ${f.message}`)),
            ),
            source.unreadable.length > 50
              ? h("p", {}, `…and ${count(source.unreadable.length - 50)} more: filter on rule AUDIT001.`)
              : null,
          ]
        : null,
    ]);
  }

  function renderCounts(source) {
    const summary = source.summary;
    const section = byId("counts");
    section.replaceChildren();
    if (!summary) return;
    const { bySeverity, byStatus, byRule } = summary.counts;
    append(section, [
      h("h2", { id: "counts-title" }, "Findings by severity"),
      h(
        "ul",
        { class: "cards", "aria-labelledby": "counts-title" },
        SEVERITIES.map((s) =>
          h(
            "li",
            { "data-severity": s },
            h("span", { class: "n" }, count(bySeverity[s])),
            h("span", { class: `badge ${s}` }, s),
          ),
        ),
      ),
      h("h2", { id: "changes-title" }, "Since the last run"),
      h(
        "ul",
        { class: "cards", "aria-labelledby": "changes-title" },
        h("li", { "data-change": "new" }, h("span", { class: "n" }, count(summary.new)), "new"),
        h(
          "li",
          { "data-change": "resolved" },
          h("span", { class: "n" }, count(summary.resolved)),
          "resolved",
        ),
        h(
          "li",
          { "data-change": "exempted" },
          h("span", { class: "n" }, count(byStatus.exempted)),
          "exempted",
        ),
      ),
    ]);
    const rules = Object.entries(byRule)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const rulesPanel = h(
      "div",
      {},
      h("h2", { id: "rules-title" }, "Findings by rule"),
      rules.length
        ? h(
            "div",
            { class: "rules-table", tabindex: "0", role: "region", "aria-labelledby": "rules-title" },
            h(
              "table",
              {},
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  h("th", { scope: "col" }, "Rule"),
                  h("th", { scope: "col" }, "Title"),
                  h("th", { scope: "col", class: "num" }, "Findings"),
                ),
              ),
              h(
                "tbody",
                {},
                rules.map(([id, n]) =>
                  h(
                    "tr",
                    { "data-rule": id },
                    h("td", { class: "rule" }, id),
                    h("td", {}, ruleById.get(id)?.title || ""),
                    h("td", { class: "num" }, count(n)),
                  ),
                ),
              ),
            ),
          )
        : h("p", {}, "No findings."),
    );
    append(section, h("div", { class: "panels" }, rulesPanel, renderTrend(source.trend)));
  }

  /** Stacked bars of the findings of each recent run, oldest first. */
  function renderTrend(trend) {
    const panel = h("div", {}, h("h2", { id: "trend-title" }, "Trend over recent runs"));
    if (!trend || trend.length < 2) {
      append(panel, h("p", { class: "notice" }, "The trend appears once two runs are recorded."));
      return panel;
    }
    const width = 600;
    const height = 160;
    const totals = trend.map((t) => SEVERITIES.reduce((sum, s) => sum + (t.bySeverity?.[s] || 0), 0));
    const max = Math.max(1, ...totals);
    const slot = width / trend.length;
    const chart = svg("svg", {
      class: "trend",
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-labelledby": "trend-title trend-desc",
    });
    const description = svg("desc", { id: "trend-desc" });
    description.textContent = trend
      .map(
        (t, i) =>
          `${t.finishedAt ? t.finishedAt.slice(0, 10) : t.runId}: ${totals[i]} findings${t.complete ? "" : " (incomplete)"}`,
      )
      .join("; ");
    chart.append(description);
    trend.forEach((t, i) => {
      let y = height - 14;
      for (const s of [...SEVERITIES].reverse()) {
        const n = t.bySeverity?.[s] || 0;
        if (n === 0) continue;
        const barHeight = ((height - 24) * n) / max;
        y -= barHeight;
        const bar = svg("rect", {
          x: i * slot + slot * 0.15,
          y,
          width: slot * 0.7,
          height: barHeight,
          fill: SEVERITY_COLORS[s],
        });
        const title = svg("title", {});
        title.textContent = `${t.runId}: ${n} ${s}`;
        bar.append(title);
        chart.append(bar);
      }
      if (!t.complete) {
        const mark = svg("text", {
          x: i * slot + slot / 2,
          y: height - 2,
          "text-anchor": "middle",
          "font-size": 11,
          fill: "#8a4b00",
        });
        mark.textContent = "!";
        chart.append(mark);
      }
    });
    append(panel, [
      chart,
      h(
        "ul",
        { class: "legend" },
        SEVERITIES.map((s) => {
          const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
          swatch.style.background = SEVERITY_COLORS[s];
          return h("li", {}, swatch, s);
        }),
        h("li", {}, "! incomplete run"),
      ),
    ]);
    return panel;
  }

  function option(value, label, selected) {
    const element = h("option", { value }, label);
    if (selected) element.selected = true;
    return element;
  }
  function fillSelect(select, entries) {
    const current = select.value;
    select.replaceChildren(
      option("", "All", current === ""),
      ...entries.map(([value, label]) => option(value, label, value === current)),
    );
  }

  function copyText(text, button) {
    const done = () => {
      const note = button.parentElement.querySelector(".copied");
      note.textContent = "Copied";
      setTimeout(() => (note.textContent = ""), 2000);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, () => fallbackCopy(text, done));
    } else fallbackCopy(text, done);
  }
  function fallbackCopy(text, done) {
    const area = h("textarea", { "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
    done();
  }

  let findingCounter = 0;
  /** A finding's body, built when it is first opened: a page of rows costs only their summary lines. */
  function findingBody(f) {
    const id = `finding-${(findingCounter += 1)}`;
    const fields = [
      ["Resource", f.resourceId],
      ["Type", f.resourceType],
      ["Subscription", `${f.subscriptionName || ""} (${f.subscriptionId})`],
      ["Resource group", f.resourceGroup],
      [
        "Status",
        f.status + (f.stale ? " (stale: its scope could not be read, so it was not re-checked)" : ""),
      ],
      ["First seen", f.firstSeen],
      ["Last seen", f.lastSeen],
      ["Resolved", f.resolvedAt],
      [
        "Exemption",
        f.exemption
          ? `${f.exemption.reason} (until ${f.exemption.expires}${f.exemption.approvedBy ? `, approved by ${f.exemption.approvedBy}` : ""})`
          : undefined,
      ],
    ].filter(([, value]) => value);
    const seeds = (f.seed || []).map((seed) =>
      h("li", {}, `${catalog.seeds[seed] || seed} (docs/sources: ${seed})`),
    );
    const body = h(
      "div",
      { class: "body" },
      h("p", { class: "message" }, f.message || ""),
      h(
        "dl",
        {},
        fields.map(([name, value]) => [h("dt", {}, name), h("dd", {}, String(value))]),
      ),
      h("h4", {}, "Evidence"),
      h("pre", { class: "evidence", tabindex: "0" }, JSON.stringify(f.evidence || {}, null, 2)),
      seeds.length ? [h("h4", {}, "Sources"), h("ul", { class: "sources" }, seeds)] : null,
    );
    if (f.remediation) {
      const command = h("pre", { id, class: "remediation", tabindex: "0" }, h("code", {}, f.remediation));
      const button = h(
        "button",
        {
          type: "button",
          class: "copy",
          "aria-describedby": id,
          onclick: (event) => copyText(f.remediation, event.currentTarget),
        },
        "Copy command",
      );
      append(body, [
        h("h4", {}, "Remediation"),
        command,
        h("p", {}, button, h("span", { class: "copied", role: "status" })),
      ]);
    }
    return body;
  }

  function findingItem(f) {
    const details = h(
      "details",
      {},
      h(
        "summary",
        {},
        h("span", { class: `badge ${f.severity}` }, f.severity),
        " ",
        h("span", { class: "rule" }, f.ruleId),
        " ",
        f.title || "",
        " — ",
        h("strong", { class: "name" }, resourceName(f)),
        " ",
        h("span", { class: `status ${f.status}` }, f.status),
      ),
    );
    details.addEventListener("toggle", () => {
      if (details.open && details.children.length === 1) details.append(findingBody(f));
    });
    return h(
      "li",
      {
        class: "finding",
        "data-id": f.id,
        "data-rule": f.ruleId,
        "data-severity": f.severity,
        "data-status": f.status,
      },
      details,
    );
  }

  function renderRows(view, source) {
    const list = byId("groups");
    list.replaceChildren();
    let subscription;
    let group;
    let items;
    for (const f of view.rows) {
      const sub = f.subscriptionName || f.subscriptionId;
      const g = groupOf(f);
      if (sub !== subscription || g.name !== group?.name || g.kind !== group?.kind) {
        subscription = sub;
        group = g;
        items = h("ul", { class: "findings" });
        list.append(
          h(
            "li",
            { class: "group" },
            h("h3", {}, sub, " ", h("span", { class: "where" }, `· ${g.kind} `), g.name),
            items,
          ),
        );
      }
      items.append(findingItem(f));
    }
    const status = byId("page-status");
    if (view.rows.length === 0) status.textContent = "No finding matches these filters.";
    else if (view.total !== undefined)
      status.textContent = `Findings ${count(view.from + 1)}–${count(view.from + view.rows.length)} of ${count(view.total)}`;
    else
      status.textContent = `Page ${count(view.page)}: ${plural(view.rows.length, "finding")}${view.pageLength !== view.rows.length ? ` of ${count(view.pageLength)} on this page` : ""}${view.hasNext ? ", more on the next page" : ""}`;
    byId("previous").disabled = !view.hasPrevious;
    byId("next").disabled = !view.hasNext;
    const subscriptions = byId("f-subscription");
    fillSelect(
      subscriptions,
      [...source.subscriptions].sort((a, b) => (a[1] < b[1] ? -1 : 1)),
    );
  }

  function readFilters() {
    return {
      severity: byId("f-severity").value,
      ruleId: byId("f-rule").value,
      status: byId("f-status").value,
      subscription: byId("f-subscription").value,
      resourceType: byId("f-type").value,
      q: byId("f-search").value.trim().toLowerCase(),
    };
  }

  async function show(step, source) {
    const main = byId("results");
    main.setAttribute("aria-busy", "true");
    try {
      renderRows(await step(), source);
    } catch (error) {
      byId("page-status").textContent = `The findings could not be read: ${error.message}`;
    } finally {
      main.setAttribute("aria-busy", "false");
      // How many times the rows were shown: what a test waits on after it changes a filter.
      document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
    }
  }

  function renderMeta(source) {
    const s = source.summary;
    byId("meta").textContent = s
      ? `Run ${s.runId} · finished ${s.finishedAt} · source ${s.source} · profile ${s.profile}${source.live ? " · live from the feed" : ""}`
      : "No run has finished yet.";
  }

  async function followRun(source, runUrl) {
    const status = byId("run-status");
    for (;;) {
      const { body, response } = await source.call(runUrl);
      status.textContent = `Run ${body.runId}: ${body.message}`;
      if (["succeeded", "incomplete", "failed"].includes(body.status)) return body;
      const wait = Number(response.headers.get("Retry-After") || "10");
      await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(wait, 1), 60) * 1000));
    }
  }

  async function start() {
    byId("loading").textContent = "Loading the findings…";
    let source;
    try {
      source = config.mode === "dashboard" ? await feedSource() : await embeddedSource();
    } catch (error) {
      byId("loading").textContent = `The findings could not be read: ${error.message}`;
      byId("verdict").className = "verdict unknown";
      return;
    }
    byId("loading").remove();
    renderMeta(source);
    renderVerdict(source);
    renderCounts(source);
    fillSelect(
      byId("f-severity"),
      SEVERITIES.map((s) => [s, `${s} and above`]),
    );
    fillSelect(
      byId("f-rule"),
      catalog.rules.map((r) => [r.id, `${r.id} ${r.title}`]),
    );
    fillSelect(
      byId("f-status"),
      source.statuses.map((s) => [s, s]),
    );
    fillSelect(
      byId("f-type"),
      catalog.resourceTypes.map((t) => [t, t]),
    );
    byId("f-search").setAttribute("aria-describedby", "search-scope");
    byId("search-scope").textContent =
      `Search looks in rule, title, resource id, subscription and message, in ${source.searchScope}.`;
    const form = byId("filters");
    form.hidden = false;
    let pending;
    const apply = () => show(() => source.first(readFilters()), source);
    form.addEventListener("change", apply);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      apply();
    });
    byId("f-search").addEventListener("input", () => {
      clearTimeout(pending);
      pending = setTimeout(apply, 200);
    });
    byId("clear").addEventListener("click", () => {
      form.reset();
      apply();
    });
    byId("next").addEventListener("click", () => show(() => source.next(), source));
    byId("previous").addEventListener("click", () => show(() => source.previous(), source));
    if (source.live) {
      const button = byId("start-audit");
      button.hidden = false;
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          const { body } = await source.call("audits", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: "{}",
          });
          await followRun(source, body.location);
          // The finished run is the new latest: read everything again.
          location.reload();
        } catch (error) {
          byId("run-status").textContent = `The audit could not be started: ${error.message}`;
        } finally {
          button.disabled = false;
        }
      });
    }
    await apply();
    document.body.dataset.ready = "true";
    // When the first rows were on screen, for the benchmark to read beside the paint timings.
    performance.mark("findings-shown");
  }

  start();
})();
