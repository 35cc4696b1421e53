// The dashboard's browser script: reads an owner token (from the form or the URL fragment #token=…),
// fetches /v1/tenant/dashboard and renders federations, rounds, versions, usage and an AUC plot.
/* global uPlot */
(() => {
  const $ = (id) => document.getElementById(id);
  const status = $("status");
  const root = $("federations");

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes ?? {})) node.setAttribute(key, value);
    for (const child of children)
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  function table(headers, rows) {
    return el(
      "table",
      {},
      el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))),
      el("tbody", {}, ...rows.map((row) => el("tr", {}, ...row.map((cell) => el("td", {}, cell))))),
    );
  }

  const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");

  function outcome(round) {
    if (!round.outcome) return "in progress";
    return round.outcome.kind === "published"
      ? `published v${round.outcome.version}`
      : `aborted: ${round.outcome.code}`;
  }

  function aucPlot(evaluations) {
    const holder = el("div", { class: "auc-plot" });
    if (evaluations.length === 0) {
      holder.append(el("p", { class: "muted" }, "No validation AUC reported yet."));
      return holder;
    }
    const versions = evaluations.map((e) => e.version);
    const means = evaluations.map((e) => e.meanAuc);
    const options = {
      width: Math.min(900, root.clientWidth || 900),
      height: 240,
      title: "Validation AUC by model version",
      scales: { x: { time: false } },
      axes: [{ label: "version" }, { label: "mean AUC" }],
      series: [{ label: "version" }, { label: "mean AUC", stroke: "#2f6fdf", width: 2, points: { size: 6 } }],
    };
    // uPlot needs the element in the document to measure it.
    requestAnimationFrame(() => new uPlot(options, [versions, means], holder));
    return holder;
  }

  function renderFederation(overview) {
    const { federation, rounds, versions, evaluations } = overview;
    const usage = federation.usage;
    const section = el("section", { class: "federation", "data-federation": federation.id });
    section.append(
      el("h2", {}, `${federation.config.name} `, el("code", {}, federation.id)),
      el(
        "p",
        { class: "muted" },
        `${federation.config.router.kind} router over ${federation.config.models.length} models · embedder ${federation.config.embedder.id} (${federation.config.embedder.dimension}-d) · ${federation.clientCount} clients · latest version ${federation.latestVersion}`,
      ),
      el(
        "div",
        { class: "usage" },
        el("div", {}, `rounds run: ${usage.roundsRun}`),
        el("div", {}, `rounds aborted: ${usage.roundsAborted}`),
        el("div", {}, `updates aggregated: ${usage.updatesAggregated}`),
        el("div", {}, `bytes ingested: ${usage.bytesIngested}`),
        el("div", {}, `models served: ${usage.modelsServed}`),
      ),
      el("h3", {}, "Rounds"),
      table(
        ["round", "stage", "cohort", "masked inputs", "dropouts", "started", "outcome"],
        rounds
          .slice()
          .reverse()
          .map((r) => [
            r.round,
            r.stage,
            r.cohort.length,
            r.participants.maskedInput,
            r.dropouts,
            when(r.startedAt),
            outcome(r),
          ]),
      ),
      el("h3", {}, "Model versions"),
      table(
        ["version", "round", "bytes", "sha256", "published"],
        versions
          .slice()
          .reverse()
          .map((v) => [v.version, v.round ?? "initial", v.bytes, v.sha256.slice(0, 16), when(v.createdAt)]),
      ),
      el("h3", {}, "Validation AUC"),
      aucPlot(evaluations),
    );
    return section;
  }

  async function load(token) {
    status.textContent = "Loading…";
    status.className = "muted";
    const response = await fetch("/v1/tenant/dashboard", { headers: { authorization: `Bearer ${token}` } });
    const body = await response.json();
    if (!response.ok) {
      status.textContent = `${body.error.code}: ${body.error.message}`;
      status.className = "error";
      root.replaceChildren();
      return;
    }
    status.textContent = `Tenant ${body.tenant.name} · ${body.federations.length} federation(s) · ${body.tenant.updatesToday} of ${body.tenant.quota.updatesPerDay} updates used today`;
    root.replaceChildren(...body.federations.map(renderFederation));
  }

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    sessionStorage.setItem("fedrouter-token", token);
    load(token);
  });

  const fromFragment = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromFragment) {
    sessionStorage.setItem("fedrouter-token", fromFragment);
    // Keep the token out of the address bar and history.
    history.replaceState(null, "", location.pathname);
  }
  const saved = sessionStorage.getItem("fedrouter-token");
  if (saved) load(saved);
})();
