// EnterpriseHub operator dashboard: reads /dashboard/api/* and follows GET /stream for one location.
//
// The API key comes from the sign-in form or the URL fragment (#key=...), is kept in this tab's
// sessionStorage, and is sent only in the X-Hub-Key header. The live feed is read with fetch() rather
// than EventSource because EventSource cannot send headers: the key would have to go in the URL, and
// URLs end up in access logs. Every value from the store is written with textContent, never as HTML.
"use strict";

(() => {
  const KEY_STORAGE = "hub.dashboard.key";
  const FEED_LIMIT = 200;
  const REFRESH_MIN_MS = 2000; // panels refresh at most this often while the feed is busy
  const REFRESH_IDLE_MS = 30000; // ...and this often when it is quiet (the lag keeps ageing)
  const RECONNECT_MAX_MS = 15000;

  const state = {
    key: null,
    location: null,
    timeZone: undefined,
    lastId: 0,
    following: false,
    abort: null,
    refreshTimer: null,
    lastRefresh: 0,
    names: new Map(), // contact id -> name, so feed items can say who
  };

  const $ = (id) => document.getElementById(id);

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // -- small DOM helpers ---------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  const integer = new Intl.NumberFormat();
  const fmtInt = (n) => (n === null || n === undefined ? "–" : integer.format(n));
  const fmtPct = (x) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`);

  function fmtMinutes(minutes) {
    if (minutes === null || minutes === undefined) return "–";
    if (minutes < 1) return `${Math.round(minutes * 60)} s`;
    if (minutes < 90) return `${minutes.toFixed(minutes < 10 ? 1 : 0)} min`;
    if (minutes < 60 * 48) return `${(minutes / 60).toFixed(1)} h`;
    return `${(minutes / 1440).toFixed(1)} d`;
  }

  function fmtSeconds(seconds) {
    return seconds < 60 ? `${Math.round(seconds)} s` : fmtMinutes(seconds / 60);
  }

  function fmtTime(iso, withDate) {
    if (!iso) return "–";
    const options = withDate
      ? { dateStyle: "medium", timeZone: state.timeZone }
      : { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: state.timeZone };
    return new Intl.DateTimeFormat(undefined, options).format(new Date(iso));
  }

  // Message previews may be e-mail HTML: show its text. (Only ever assigned as textContent.)
  function plainText(value) {
    return String(value || "").replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
  }

  function humanise(kind) {
    const text = String(kind || "").replace(/_/g, " ");
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  // -- the API -------------------------------------------------------------------------------------

  async function api(path, params) {
    const url = new URL(path, window.location.origin);
    for (const [name, value] of Object.entries(params || {})) url.searchParams.set(name, value);
    const response = await fetch(url, {
      headers: { "X-Hub-Key": state.key, Accept: "application/json" },
      cache: "no-store",
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new ApiError(response.status, body.detail || response.statusText);
    }
    return response.json();
  }

  // -- sign in / out -------------------------------------------------------------------------------

  function keyFromFragment() {
    const params = new URLSearchParams(window.location.hash.slice(1));
    const key = params.get("key");
    if (key) {
      sessionStorage.setItem(KEY_STORAGE, key);
      // Drop the key from the address bar and the history entry.
      history.replaceState(null, "", window.location.pathname + window.location.search);
    }
  }

  function showLogin(message) {
    $("app").hidden = true;
    $("sign-out").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
    $("location-name").textContent = "";
    setStatus("offline");
    $("api-key").focus();
  }

  async function signIn(key) {
    state.key = key;
    let info;
    try {
      info = await api("/dashboard/api/session");
    } catch (error) {
      state.key = null;
      sessionStorage.removeItem(KEY_STORAGE);
      showLogin(error.status === 401 ? "That API key is not valid for any location." : error.message);
      return;
    }
    sessionStorage.setItem(KEY_STORAGE, key);
    state.location = info.location_id;
    state.timeZone = info.timezone || undefined;
    $("location-name").textContent = `${info.name} · ${info.location_id}`;
    $("login").hidden = true;
    $("app").hidden = false;
    $("sign-out").hidden = false;
    await refresh(); // first: the leads table names the feed's contacts
    await loadFeed();
    follow();
  }

  function signOut(message) {
    state.following = false;
    if (state.abort) state.abort.abort();
    clearTimeout(state.refreshTimer);
    sessionStorage.removeItem(KEY_STORAGE);
    state.key = null;
    state.location = null;
    state.lastId = 0;
    clear($("feed"));
    showLogin(message);
  }

  // -- panels --------------------------------------------------------------------------------------

  function bars(container, rows, { maxValue, labelClass } = {}) {
    clear(container);
    const top = maxValue || Math.max(1, ...rows.map((row) => row.value));
    for (const row of rows) {
      const line = el("div", "bar-row");
      line.dataset.label = row.label;
      line.append(el("span", `bar-label ${labelClass || ""}`.trim(), row.label));
      const track = el("span", "bar-track");
      const fill = el("span", `bar-fill ${row.className || ""}`.trim());
      fill.style.width = `${(100 * row.value) / top}%`;
      track.append(fill);
      line.append(track, el("span", "bar-value", row.text));
      container.append(line);
    }
    if (!rows.length) container.append(el("p", "note", "No data yet."));
  }

  function renderOverview(data) {
    const stages = Object.fromEntries(data.funnel.stages.map((s) => [s.stage, s]));
    $("kpi-leads").textContent = fmtInt(stages.new.leads);
    $("kpi-contacted").textContent = `${fmtInt(stages.contacted.leads)} · ${fmtPct(stages.contacted.share_of_new)}`;
    $("kpi-replied").textContent = `${fmtInt(stages.replied.leads)} · ${fmtPct(stages.replied.share_of_new)}`;
    $("kpi-won").textContent = `${fmtInt(stages.won.leads)} · ${fmtPct(stages.won.share_of_new)}`;
    $("kpi-speed").textContent = fmtMinutes(data.speed_to_lead.median_minutes);
    $("kpi-received").textContent = fmtInt(data.intake.received_last_24h);
    const intake = data.intake;
    $("kpi-backlog").textContent = intake.unprocessed
      ? `${fmtInt(intake.unprocessed)} · ${fmtSeconds(intake.processing_lag_seconds)} behind`
      : "none";

    bars(
      $("funnel"),
      data.funnel.stages.map((s) => ({
        label: humanise(s.stage),
        value: s.leads,
        text: s.share_of_previous === null ? fmtInt(s.leads) : `${fmtInt(s.leads)} (${fmtPct(s.share_of_previous)})`,
      })),
    );

    const speed = data.speed_to_lead;
    bars(
      $("speed"),
      speed.buckets.map((b) => ({ label: b.label, value: b.leads, text: fmtInt(b.leads) })),
    );
    $("speed-note").textContent =
      `${fmtInt(speed.measured)} leads measured · median ${fmtMinutes(speed.median_minutes)} · ` +
      `90th percentile ${fmtMinutes(speed.p90_minutes)} · ${fmtInt(speed.not_contacted)} not contacted yet`;

    const tierRows = (tiers) =>
      tiers.map((t) => ({ label: humanise(t.tier), value: t.leads, text: fmtInt(t.leads), className: `tier-${t.tier}` }));
    bars($("churn-tiers"), tierRows(data.churn_tiers));
    bars($("conversion-tiers"), tierRows(data.conversion_tiers));

    renderWorkflows(data.workflows);
    $("updated-at").textContent = `Updated ${fmtTime(data.generated_at)}`;
  }

  function cells(row, values) {
    for (const [value, className] of values) row.append(el("td", className || "", value));
  }

  function renderWorkflows(workflows) {
    const body = $("workflows").tBodies[0];
    clear(body);
    for (const wf of workflows) {
      const row = el("tr");
      row.dataset.workflow = wf.workflow_id;
      const name = el("td");
      name.append(el("div", "strong", wf.name), el("div", "muted small", wf.workflow_id));
      row.append(name);
      cells(row, [
        [fmtInt(wf.enrolled), "num"],
        [fmtInt(wf.live), "num"],
        [fmtInt(wf.completed), "num"],
        [fmtInt(wf.exited), "num"],
        [fmtInt(wf.sends.sent), "num"],
        [fmtInt(wf.sends.failed), "num"],
        [fmtInt(wf.sends.suppressed), "num"],
        [fmtInt(wf.replied), "num"],
        [fmtPct(wf.reply_rate), "num"],
      ]);
      body.append(row);
      for (const arm of wf.arms) {
        const armRow = el("tr", "arm");
        armRow.dataset.arm = arm.arm;
        armRow.append(el("td", "indent", `A/B ${arm.step_id}: ${arm.arm}`));
        cells(armRow, [
          [fmtInt(arm.enrolled), "num"],
          ["", ""],
          ["", ""],
          ["", ""],
          [fmtInt(arm.sent), "num"],
          ["", ""],
          ["", ""],
          [fmtInt(arm.replied), "num"],
          [fmtPct(arm.reply_rate), "num"],
        ]);
        body.append(armRow);
      }
    }
    if (!workflows.length) {
      const row = el("tr");
      const cell = el("td", "note", "No lead has been enrolled in a workflow yet.");
      cell.colSpan = 10;
      row.append(cell);
      body.append(row);
    }
  }

  function tierChip(score) {
    if (!score) return el("span", "muted", "not scored");
    return el("span", `chip tier-${score.tier}`, humanise(score.tier));
  }

  function renderLeads(table) {
    const body = $("leads").tBodies[0];
    clear(body);
    $("leads-count").textContent = table.total > table.rows.length
      ? `(top ${fmtInt(table.rows.length)} of ${fmtInt(table.total)})`
      : `(${fmtInt(table.total)})`;
    for (const lead of table.rows) {
      if (lead.name) state.names.set(lead.contact_id, lead.name);
      const row = el("tr");
      row.dataset.contact = lead.contact_id;
      const who = el("td");
      who.append(el("div", "strong", lead.name || "(no name)"), el("div", "muted small", lead.contact_id));
      if (lead.sms_opted_out) who.append(el("span", "chip warn", "SMS opt-out"));
      if (lead.dnd) who.append(el("span", "chip warn", "DND"));
      row.append(who, el("td", "", lead.source || "–"), el("td", "", humanise(lead.stage)));
      row.append(el("td", "num", lead.conversion ? fmtPct(lead.conversion.probability) : "–"));
      const tier = el("td");
      tier.append(tierChip(lead.conversion));
      row.append(tier);
      const why = el("td", "reasons");
      const reasons = lead.conversion ? lead.conversion.reasons : [];
      if (reasons.length) {
        const list = el("ul");
        for (const reason of reasons) list.append(el("li", "", reason));
        why.append(list);
      } else {
        why.textContent = "–";
      }
      row.append(why);
      const churn = el("td");
      churn.append(tierChip(lead.churn));
      row.append(churn, el("td", "", fmtTime(lead.date_added, true)));
      body.append(row);
    }
    if (!table.rows.length) {
      const row = el("tr");
      const cell = el("td", "note", "No leads yet: they appear as GHL webhooks are processed.");
      cell.colSpan = 8;
      row.append(cell);
      body.append(row);
    }
  }

  function showError(error) {
    const banner = $("app-error");
    banner.hidden = !error;
    banner.textContent = error ? `Could not refresh: ${error.message}` : "";
  }

  async function refresh() {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = null;
    state.lastRefresh = Date.now();
    try {
      const [overview, leads] = await Promise.all([
        api("/dashboard/api/overview", { location: state.location }),
        api("/dashboard/api/leads", { location: state.location, limit: "100" }),
      ]);
      renderOverview(overview);
      renderLeads(leads);
      showError(null);
    } catch (error) {
      if (error.status === 401 || error.status === 403) return signOut("Your API key was refused; sign in again.");
      showError(error);
    }
    if (state.key) state.refreshTimer = setTimeout(refresh, REFRESH_IDLE_MS);
  }

  function scheduleRefresh() {
    const wait = Math.max(0, state.lastRefresh + REFRESH_MIN_MS - Date.now());
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(refresh, wait);
  }

  // -- live feed -----------------------------------------------------------------------------------

  function detail(kind, payload) {
    const p = payload || {};
    if (kind === "tier_changed") {
      const pct = typeof p.probability === "number" ? ` (${fmtPct(p.probability)})` : "";
      return `${p.model}: ${p.previous_tier ? humanise(p.previous_tier) + " → " : ""}${humanise(p.tier)}${pct}`;
    }
    if (kind.startsWith("workflow_") || kind === "agent_notified") {
      return [p.workflow_id, p.step_id, p.channel, p.reason].filter(Boolean).join(" · ");
    }
    if (kind.startsWith("appointment_")) return [p.title, p.status].filter(Boolean).join(" · ");
    if (kind === "listing_interaction") return [p.kind, p.address || p.listing_id].filter(Boolean).join(" · ");
    if (kind.startsWith("opportunity_")) return [p.name, p.stage || p.stage_id, p.status].filter(Boolean).join(" · ");
    // A lead's own name is already the item's label.
    if (kind === "lead_created") return p.source ? `from ${p.source}` : "";
    if (kind === "lead_updated") return Array.isArray(p.fields) ? p.fields.join(", ") : "";
    const text = plainText(p.preview || p.body || p.source);
    return p.channel ? `${p.channel}: ${text}` : text;
  }

  function addFeedItem(item) {
    if (item.id <= state.lastId) return; // already shown (a reconnect replays from the newest shown)
    state.lastId = Math.max(state.lastId, item.id);
    const feed = $("feed");
    const li = el("li", `feed-item kind-${item.kind}`);
    li.dataset.id = String(item.id);
    li.dataset.kind = item.kind;
    if (item.contact_id) li.dataset.contact = item.contact_id;
    const head = el("div", "feed-head");
    head.append(el("span", "badge", humanise(item.kind)), el("time", "muted small", fmtTime(item.created_at)));
    li.append(head);
    const line = el("div", "feed-detail");
    if (item.payload && item.payload.name && item.contact_id) state.names.set(item.contact_id, item.payload.name);
    if (item.contact_id) {
      const who = el("span", "feed-contact", state.names.get(item.contact_id) || item.contact_id);
      who.title = item.contact_id;
      line.append(who);
    }
    const text = detail(item.kind, item.payload);
    if (text) line.append(el("span", "", ` ${text}`));
    li.append(line);
    feed.prepend(li);
    while (feed.children.length > FEED_LIMIT) feed.lastElementChild.remove();
    $("feed-empty").hidden = true;
  }

  async function loadFeed() {
    const items = await api("/dashboard/api/activity", { location: state.location, limit: "50" });
    for (const item of items) addFeedItem(item);
    $("feed-empty").hidden = items.length > 0;
  }

  function setStatus(mode) {
    const pill = $("live-status");
    pill.dataset.state = mode;
    pill.textContent = { live: "Live", reconnecting: "Reconnecting…", offline: "Offline" }[mode];
  }

  // Parses text/event-stream (the WHATWG format GET /stream sends) and calls onEvent per event.
  async function readEvents(body, onEvent) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let event = { data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop();
      for (const line of lines) {
        if (line === "") {
          if (event.data.length) onEvent(event);
          event = { data: [] };
        } else if (!line.startsWith(":")) {
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const raw = colon < 0 ? "" : line.slice(colon + 1);
          const fieldValue = raw.startsWith(" ") ? raw.slice(1) : raw;
          if (field === "data") event.data.push(fieldValue);
          else if (field === "event" || field === "id") event[field] = fieldValue;
        }
      }
    }
  }

  function onStreamEvent(event) {
    let item;
    try {
      item = JSON.parse(event.data.join("\n"));
    } catch (error) {
      return; // not one of ours; the next event is
    }
    addFeedItem(item);
    scheduleRefresh();
  }

  async function follow() {
    state.following = true;
    let delay = 1000;
    while (state.following) {
      state.abort = new AbortController();
      try {
        const url = new URL("/stream", window.location.origin);
        url.searchParams.set("location", state.location);
        url.searchParams.set("after", String(state.lastId));
        const response = await fetch(url, {
          headers: { "X-Hub-Key": state.key, Accept: "text/event-stream" },
          cache: "no-store",
          signal: state.abort.signal,
        });
        if (response.status === 401 || response.status === 403) {
          signOut("Your API key was refused; sign in again.");
          return;
        }
        if (!response.ok) throw new ApiError(response.status, response.statusText);
        setStatus("live");
        delay = 1000;
        await readEvents(response.body, onStreamEvent);
      } catch (error) {
        if (!state.following) return;
      }
      if (!state.following) return;
      // The server went away or the network dropped: resume after the newest item shown.
      setStatus("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
  }

  // -- start ---------------------------------------------------------------------------------------

  function start() {
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const key = $("api-key").value.trim();
      $("api-key").value = "";
      if (key) signIn(key);
    });
    $("sign-out").addEventListener("click", () => signOut(""));
    keyFromFragment();
    const key = sessionStorage.getItem(KEY_STORAGE);
    if (key) signIn(key);
    else showLogin("");
  }

  start();
})();
