// The dashboard's browser script: reads an owner token (from the form or the URL fragment #token=…),
// shows the tenant's federations from /v1/tenant/dashboard with their charts, pages of rounds and
// versions from the list routes, and the owner's actions: create a federation, enrol and revoke
// clients, start, pause and resume training. Every action is one call to the edge's API.
/* global fedrouterCharts, fedrouterCreate */
(() => {
  const $ = (id) => document.getElementById(id);
  const status = $("status");
  const root = $("federations");
  const PAGE = 10;
  let token = "";

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes ?? {})) node.setAttribute(key, value);
    for (const child of children)
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  function button(label, onClick, attributes = {}) {
    const node = el("button", { type: "button", ...attributes }, label);
    node.addEventListener("click", onClick);
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

  /** Calls the edge with the owner token; an error answer throws its envelope's code and message. */
  async function api(method, path, body) {
    const headers = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = await response.json().catch(() => null);
    if (!response.ok) {
      const error = parsed?.error ?? { code: `http_${response.status}`, message: response.statusText };
      throw new Error(`${error.code}: ${error.message}`);
    }
    return { body: parsed, next: /<([^>]+)>;\s*rel="next"/.exec(response.headers.get("link") ?? "")?.[1] };
  }

  /** Shows what an action did, or why it failed, in the line given. */
  async function act(line, work) {
    line.textContent = "…";
    line.className = "action-status muted";
    try {
      line.textContent = (await work()) ?? "done";
    } catch (error) {
      line.textContent = error.message;
      line.className = "action-status error";
    }
  }

  function outcome(round) {
    if (!round.outcome) return "in progress";
    return round.outcome.kind === "published"
      ? `published v${round.outcome.version}`
      : `aborted: ${round.outcome.code}`;
  }

  /**
   * A table read page by page from a list route: newest page first, newest row first; "Older"
   * follows the route's Link header, "Newer" goes back.
   */
  function pagedTable(className, path, headers, rowOf) {
    const holder = el("div", { class: `paged ${className}` });
    const pages = [`${path}?limit=${PAGE}`];
    async function show() {
      try {
        const { body, next } = await api("GET", pages.at(-1));
        const older = button("Older", () => {
          pages.push(next);
          show();
        });
        const newer = button("Newer", () => {
          pages.pop();
          show();
        });
        if (!next) older.disabled = true;
        if (pages.length === 1) newer.disabled = true;
        holder.replaceChildren(
          table(headers, body.slice().reverse().map(rowOf)),
          el("div", { class: "pager" }, newer, el("span", { class: "muted" }, `page ${pages.length}`), older),
        );
      } catch (error) {
        holder.replaceChildren(el("p", { class: "error" }, error.message));
      }
    }
    show();
    /** Back to the newest page, read again (after an action changed the list). */
    holder.refresh = () => {
      pages.length = 1;
      return show();
    };
    return holder;
  }

  function clientsPanel(federationId) {
    const base = `/v1/federations/${federationId}/clients`;
    const list = el("div", { class: "clients" });
    const line = el("p", { class: "action-status muted", role: "status" });
    const enrolment = el("div", { class: "enrolment" });

    async function refresh() {
      const { body } = await api("GET", base);
      list.replaceChildren(
        body.length === 0
          ? el("p", { class: "muted" }, "No clients enrolled yet.")
          : table(
              ["client", "label", "enrolled", "revoked", ""],
              body.map((client) => [
                el("code", {}, client.id),
                client.label ?? "—",
                when(client.enrolledAt),
                when(client.revokedAt),
                client.revokedAt
                  ? ""
                  : button("Revoke", () => {
                      if (!confirm(`Revoke client ${client.id}? Its token stops working at once.`)) return;
                      act(line, async () => {
                        await api("DELETE", `${base}/${client.id}`);
                        await refresh();
                        return `revoked ${client.id}`;
                      });
                    }),
              ]),
            ),
      );
    }

    /** The token exists only in this answer (the edge keeps its hash): shown once, with a copy button. */
    function showToken(answer) {
      const field = el("input", {
        class: "client-token",
        readonly: "",
        value: answer.token,
        "aria-label": "client token",
      });
      const copy = button("Copy", async () => {
        try {
          await navigator.clipboard.writeText(answer.token);
        } catch {
          field.select();
          document.execCommand("copy");
        }
        copy.textContent = "Copied";
      });
      enrolment.replaceChildren(
        el("p", {}, `Client ${answer.client.id} enrolled. Its token is shown once: copy it now.`),
        el("div", { class: "token-row" }, field, copy),
        el(
          "p",
          { class: "muted" },
          "Model public key (createClient's modelPublicKey): ",
          el("code", {}, answer.modelPublicKey),
        ),
        button("Hide", () => enrolment.replaceChildren()),
      );
    }

    const label = el("input", {
      name: "label",
      placeholder: "label (optional)",
      "aria-label": "client label",
    });
    const form = el("form", { class: "enrol-form" }, label, el("button", { type: "submit" }, "Enrol client"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(line, async () => {
        const labelText = label.value.trim();
        const { body } = await api("POST", base, labelText ? { label: labelText } : {});
        label.value = "";
        showToken(body);
        await refresh();
        return `enrolled ${body.client.id}`;
      });
    });
    refresh().catch((error) => list.replaceChildren(el("p", { class: "error" }, error.message)));
    return el("div", { class: "clients-panel" }, form, line, enrolment, list);
  }

  /** Start a round now (the existing round route); pause and resume the federation's schedule. */
  function trainingActions(federationId, roundsTable) {
    const base = `/v1/federations/${federationId}`;
    const line = el("p", { class: "action-status muted", role: "status" });
    const call = async (action, done) => {
      await api("POST", `${base}/${action}`);
      return done;
    };
    return el(
      "div",
      { class: "actions" },
      button("Start round", () =>
        act(line, async () => {
          const { body } = await api("POST", `${base}/rounds`);
          await roundsTable.refresh();
          return `round ${body.round} started`;
        }),
      ),
      button("Pause training", () => act(line, () => call("pause", "paused"))),
      button("Resume training", () => act(line, () => call("resume", "resumed"))),
      line,
    );
  }

  /** The schedule and where it stands: a continuous one's state, checked-in clients and trainings. */
  function trainingLine(training) {
    const { schedule } = training;
    const text =
      schedule.kind === "manual"
        ? "training: manual (the owner starts each round)"
        : `training: continuous · ${training.state.replaceAll("_", " ")} · ${training.checkedIn} of ${schedule.minClients} clients checked in · ${training.newEvaluations} new evaluations of ${schedule.retrainAfterEvaluations} to retrain · ${training.trainings} training(s) done${training.lastRefusal ? ` · last refusal: ${training.lastRefusal}` : ""}`;
    return el("p", { class: "training muted" }, text);
  }

  /** The privacy budget and what the rounds behind the latest version spent of it (docs/privacy.md). */
  function privacyLine(federation) {
    const budget = federation.config.privacy;
    if (!budget)
      return el(
        "p",
        { class: "privacy muted" },
        "privacy: secure aggregation only (no differential-privacy budget)",
      );
    const spent = federation.privacySpent ?? { epsilon: 0, delta: budget.delta, rounds: 0 };
    const share = Math.min(100, (100 * spent.epsilon) / budget.epsilon);
    return el(
      "p",
      { class: "privacy" },
      `privacy budget: ε ${spent.epsilon.toFixed(3)} of ${budget.epsilon} spent (${share.toFixed(0)}%, δ ${budget.delta}) over ${spent.rounds} version(s) · noise multiplier ${budget.noiseMultiplier} · clip norm ${budget.clipNorm}`,
    );
  }

  function renderFederation(overview) {
    const { federation, rounds, evaluations } = overview;
    const usage = federation.usage;
    const base = `/v1/federations/${federation.id}`;
    const roundsTable = pagedTable(
      "rounds",
      `${base}/rounds`,
      ["round", "stage", "cohort", "masked inputs", "dropouts", "started", "outcome"],
      (r) => [
        r.round,
        r.stage,
        r.cohort.length,
        r.participants.maskedInput,
        r.dropouts,
        when(r.startedAt),
        outcome(r),
      ],
    );
    const section = el("section", { class: "federation", "data-federation": federation.id });
    section.append(
      el("h2", {}, `${federation.config.name} `, el("code", {}, federation.id)),
      el(
        "p",
        { class: "muted" },
        `${federation.config.router.kind} router over ${federation.config.models.length} models · embedder ${federation.config.embedder.id} (${federation.config.embedder.dimension}-d) · ${federation.clientCount} clients · latest version ${federation.latestVersion}`,
      ),
      trainingLine(federation.training),
      privacyLine(federation),
      trainingActions(federation.id, roundsTable),
      el(
        "div",
        { class: "usage" },
        el("div", {}, `rounds run: ${usage.roundsRun}`),
        el("div", {}, `rounds aborted: ${usage.roundsAborted}`),
        el("div", {}, `updates aggregated: ${usage.updatesAggregated}`),
        el("div", {}, `bytes ingested: ${usage.bytesIngested}`),
        el("div", {}, `models served: ${usage.modelsServed}`),
      ),
      el("h3", {}, "History"),
      el(
        "div",
        { class: "charts" },
        fedrouterCharts.aucPlot(evaluations),
        fedrouterCharts.roundsPerDay(rounds),
        fedrouterCharts.survivorsPerRound(rounds),
      ),
      el("h3", {}, "Rounds"),
      roundsTable,
      el("h3", {}, "Model versions"),
      pagedTable(
        "versions",
        `${base}/models`,
        ["version", "round", "bytes", "sha256", "published", "ε spent"],
        (v) => [
          v.version,
          v.round ?? "initial",
          v.bytes,
          v.sha256.slice(0, 16),
          when(v.createdAt),
          v.privacy ? v.privacy.epsilon.toFixed(3) : "—",
        ],
      ),
      el("h3", {}, "Clients"),
      clientsPanel(federation.id),
    );
    return section;
  }

  async function load() {
    status.textContent = "Loading…";
    status.className = "muted";
    try {
      const { body } = await api("GET", "/v1/tenant/dashboard");
      status.textContent = `Tenant ${body.tenant.name} · ${body.federations.length} federation(s) · ${body.tenant.updatesToday} of ${body.tenant.quota.updatesPerDay} updates used today`;
      $("create").hidden = false;
      root.replaceChildren(...body.federations.map(renderFederation));
    } catch (error) {
      status.textContent = error.message;
      status.className = "error";
      $("create").hidden = true;
      root.replaceChildren();
    }
  }

  function useToken(value) {
    token = value;
    sessionStorage.setItem("fedrouter-token", value);
    load();
  }

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    useToken($("token").value.trim());
  });

  $("create-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    act($("create-status"), async () => {
      const { body } = await api("POST", "/v1/federations", fedrouterCreate.federationConfigFrom(form));
      await load();
      return `created ${body.id}`;
    });
  });

  const fromFragment = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromFragment) {
    sessionStorage.setItem("fedrouter-token", fromFragment);
    // Keep the token out of the address bar and history.
    history.replaceState(null, "", location.pathname);
  }
  const saved = sessionStorage.getItem("fedrouter-token");
  if (saved) useToken(saved);
})();
