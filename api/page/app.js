// Tamga investigator's page. Every value from the API reaches the DOM through textContent or as a
// plain-string vis-network title (which vis-network 9 sets with innerText): never innerHTML.
"use strict";

const KEY_STORE = "tamga.apiKey";
const $ = (id) => document.getElementById(id);
const state = { network: null, nodes: null, edges: null, root: null, partyKey: null, info: new Map() };

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

function status(text) { $("status").textContent = text || ""; }

function apiKey() { return sessionStorage.getItem(KEY_STORE) || ""; }

async function api(path) {
  const r = await fetch(path, { headers: { "X-API-Key": apiKey(), "Accept": "application/json" } });
  if (!r.ok) {
    let detail = r.statusText;
    try { const p = await r.json(); detail = `${p.title}: ${p.detail || ""}`; } catch (e) { /* not JSON */ }
    throw new Error(`${r.status} ${detail}`);
  }
  return r;
}

function riskClass(v) { return v === null || v === undefined ? "" : v >= 0.7 ? "high" : v >= 0.4 ? "mid" : "low"; }
function fmtNum(v) { return v === null || v === undefined ? "n/a" : Number(v).toLocaleString("en", { maximumFractionDigits: 2 }); }
function fmtRisk(v) { return v === null || v === undefined ? "n/a" : Number(v).toFixed(2); }

function colorFor(kind, risk, legend) {
  if (["Party", "Declaration", "Group"].includes(kind) && risk !== null && risk !== undefined) {
    return risk >= 0.7 ? "#d32f2f" : risk >= 0.4 ? "#f57c00" : "#388e3c";
  }
  const l = legend.find((x) => x.label === kind);
  return l ? l.color : "#9e9e9e";
}

function shapeFor(kind, legend) {
  const l = legend.find((x) => x.label === kind);
  return l ? l.shape : "dot";
}

// ------------------------------------------------------------------ search

// A list of hits from the API (the search's matches, the queue's cases): one button per item, which
// opens it by its key, and a muted line saying what it is; `say` shows the summary or the failure.
async function loadHits(url, listId, say, { summary, label, cls, open, detail, failed }) {
  clear($(listId));
  try {
    const data = await (await api(url)).json();
    say(summary(data));
    for (const it of data.items) {
      const li = el("li");
      const b = el("button", label(it), cls);
      b.type = "button";
      b.dataset.key = it.key;
      b.addEventListener("click", () => open(it.key));
      li.appendChild(b);
      li.appendChild(el("span", detail(it), "muted"));
      $(listId).appendChild(li);
    }
  } catch (e) { say(`${failed}: ${e.message}`); }
}

async function search(q) {
  status("Searching…");
  await loadHits(`/api/v1/entities/search?q=${encodeURIComponent(q)}&limit=20`, "results", status, {
    summary: (data) => `${data.items.length} match(es) for “${data.query}” (normalised: ${data.normalised})`,
    label: (h) => h.name || h.key,
    cls: "hit",
    open: openEntity,
    detail: (h) => ` — ${h.key}, risk ${fmtRisk(h.risk_score)}, by ${h.matched_on} (${h.score})`,
    failed: "Search failed",
  });
}

// ------------------------------------------------------------------ the card

function list(id, items, render) {
  const ul = $(id);
  clear(ul);
  if (!items || items.length === 0) { ul.appendChild(el("li", "none", "muted")); return; }
  for (const it of items) ul.appendChild(el("li", render(it)));
}

// Every analysis explains itself with the same Reason shape (feature, detail, value, contribution,
// evidence): the detail is the plain-words sentence.
function reasonText(r) {
  if (r === null || typeof r !== "object") return String(r);
  if (r.detail) return r.detail;
  const parts = [];
  if (r.feature) parts.push(r.feature);
  if (r.contribution !== undefined && r.contribution !== null) parts.push(`+${r.contribution}`);
  if (r.value !== undefined && r.value !== null) parts.push(`value ${r.value}`);
  return parts.length ? parts.join(" ") : JSON.stringify(r);
}

function reasonItems(reasons) {
  return Array.isArray(reasons) ? reasons.map(reasonText) : [];
}

async function openEntity(id) {
  status("Opening…");
  try {
    const card = await (await api(`/api/v1/entities/${encodeURIComponent(id)}`)).json();
    renderCard(card);
    status("");
    await loadNetwork(card.key);
  } catch (e) { status(`Could not open ${id}: ${e.message}`); }
}

function renderCard(c) {
  state.partyKey = c.key;
  $("card").hidden = false;
  $("card-name").textContent = c.identity.name || c.key;
  $("card-key").textContent = `${c.key} · ${c.identity.kind || ""} · ${c.identity.country || ""} · tax id ${c.identity.tax_id || "n/a"}`;
  const risk = $("card-risk");
  risk.textContent = `risk ${fmtRisk(c.risk.risk_score)}` + (c.risk.risk_rank ? ` (rank ${c.risk.risk_rank})` : "");
  risk.className = `risk ${riskClass(c.risk.risk_score)}`;
  list("card-reasons", reasonItems(c.risk.reasons), (x) => x);
  $("card-group").textContent = c.group
    ? `group ${c.group.key}: ${c.group.size || "?"} members, risk ${fmtRisk(c.group.risk)}`
    : "not in a linked group";
  const gr = c.group && c.group.reasons;
  list("card-group-reasons", reasonItems(gr), (x) => x);
  list("card-aliases", c.aliases, (a) => `${a.name || ""} (${a.key}${a.confidence ? `, confidence ${a.confidence}` : ""})`);
  const t = c.trade;
  const trade = [
    ...Object.entries(c.roles).map(([role, n]) => `${role}: ${n} item(s)`),
    `${t.declarations} declaration(s), ${t.items} item(s), value ${fmtNum(t.value)}` +
      (t.first_date ? `, ${t.first_date} … ${t.last_date}` : ""),
    ...t.top_hs.map((h) => `HS ${h.hs_code}: ${h.items} item(s), value ${fmtNum(h.value)}`),
    ...t.top_counterparties.map((p) => `with ${p.name || p.key}: ${p.items} item(s), risk ${fmtRisk(p.risk_score)}`),
  ];
  list("card-trade", trade, (x) => x);
  list("card-identifiers", [...c.identifiers.map((i) => `${i.rel.replace("HAS_", "").toLowerCase()}: ${i.value || i.key}` +
    (i.degree ? ` (shared by ${i.degree})` : "")), ...c.officers.map((o) => `officer: ${o.name || o.key} (${o.role || ""})`)],
  (x) => x);
  renderPath(c.offence_paths);
  list("card-offences", c.offences, (o) => `${o.date || ""} ${o.offence_type || ""} (${o.status || ""}), evaded ${fmtNum(o.evaded_amount)}`);
  list("card-decisions", c.decisions, (d) => `${d.at || ""} ${d.kind} ${d.object || d.value || ""} by ${d.user || ""}` +
    (d.deleted_at ? ` — withdrawn by ${d.deleted_by}` : ""));
}

// ------------------------------------------------------------------ the network

function nodeTitle(n) {
  return `${n.kind}: ${n.label}\nkey: ${n.key}\nrisk: ${fmtRisk(n.risk)}\nwhy: ${n.why}`;
}

function addGraph(sub) {
  const legend = sub.legend;
  for (const n of sub.nodes) {
    state.info.set(n.id, n);
    if (state.nodes.get(n.id)) continue;
    state.nodes.add({ id: n.id, label: n.label, title: nodeTitle(n), shape: shapeFor(n.kind, legend),
      color: colorFor(n.kind, n.risk, legend), size: n.id === state.root ? 26 : 15 });
  }
  for (const e of sub.edges) {
    const id = `${e.source}|${e.type}|${e.target}`;
    if (!state.edges.get(id)) state.edges.add({ id, from: e.source, to: e.target, title: e.type, arrows: "to" });
  }
  renderNodeList();
}

function renderLegend(legend) {
  const ul = $("legend");
  clear(ul);
  for (const l of legend) {
    const li = el("li");
    const sw = el("span", "", "swatch");
    sw.style.background = l.color;
    li.appendChild(sw);
    li.appendChild(el("span", l.label));
    li.title = l.doc;
    ul.appendChild(li);
  }
}

function renderNodeList() {
  const ul = $("node-list");
  clear(ul);
  const all = [...state.info.values()].sort((a, b) => a.depth - b.depth || (b.risk ?? -1) - (a.risk ?? -1));
  for (const n of all) {
    const li = el("li");
    const b = el("button", `${n.kind}: ${n.label}`);
    b.type = "button";
    b.dataset.id = n.id;
    b.title = n.why;
    b.addEventListener("click", () => selectNode(n.id));
    li.appendChild(b);
    ul.appendChild(li);
  }
}

function renderPath(paths) {
  const ol = $("card-path");
  clear(ol);
  const path = (paths || [])[0];
  if (!path) { ol.appendChild(el("li", "no known offender within 3 links", "muted")); return; }
  for (const step of path) {
    ol.appendChild(el("li", `${step.kind}: ${step.label}` + (step.link ? `  (via ${step.link})` : "")));
  }
}

async function loadNetwork(partyKey) {
  const depth = $("depth").value;
  $("graph-state").textContent = "Loading network…";
  try {
    const sub = await (await api(`/api/v1/entities/${encodeURIComponent(partyKey)}/network?depth=${depth}`)).json();
    state.root = sub.root;
    state.info = new Map();
    state.nodes = new vis.DataSet();
    state.edges = new vis.DataSet();
    addGraph(sub);
    renderLegend(sub.legend);
    if (state.network) state.network.destroy();
    state.network = new vis.Network($("network"), { nodes: state.nodes, edges: state.edges }, {
      interaction: { hover: true, tooltipDelay: 120 },
      physics: { solver: "forceAtlas2Based", stabilization: { iterations: 120 } },
      edges: { font: { size: 9 }, smooth: false },
    });
    state.network.on("click", (p) => { if (p.nodes.length) selectNode(p.nodes[0]); });
    state.network.on("doubleClick", (p) => { if (p.nodes.length) expandNode(p.nodes[0]); });
    $("graph-state").textContent = `${sub.nodes.length} nodes, ${sub.edges.length} links` +
      (sub.truncated ? " — truncated: a cap was hit" : "");
    $("reload-graph").disabled = false;
    $("pyvis-link").hidden = false;
  } catch (e) { $("graph-state").textContent = `Network failed: ${e.message}`; }
}

function selectNode(id) {
  const n = state.info.get(id);
  if (!n) return;
  state.selected = id;
  $("node-info").hidden = false;
  $("node-title").textContent = `${n.kind}: ${n.label} (risk ${fmtRisk(n.risk)})`;
  $("node-why").textContent = `Why here: ${n.why}`;
  $("expand-btn").disabled = !n.expandable;
  $("open-btn").hidden = n.kind !== "Party";
  if (state.network) state.network.selectNodes([id]);
}

async function expandNode(id) {
  $("graph-state").textContent = "Expanding…";
  try {
    const sub = await (await api(`/api/v1/graph/expand?node=${encodeURIComponent(id)}`)).json();
    const before = state.nodes.length;
    // nodes brought in by the expansion are one hop further than the node expanded
    const base = (state.info.get(id) || { depth: 0 }).depth;
    for (const n of sub.nodes) if (n.id !== id) n.depth = base + 1;
    sub.nodes = sub.nodes.filter((n) => !state.info.has(n.id) || n.id === id);
    addGraph(sub);
    $("graph-state").textContent = `expanded: ${state.nodes.length - before} new node(s)` +
      (sub.truncated ? " — truncated: a cap was hit" : "");
  } catch (e) { $("graph-state").textContent = `Expand failed: ${e.message}`; }
}

// The standalone page comes from its own URL with its own CSP (a blob page would inherit this page's
// script-src 'self' and stay blank): a one-time ticket, asked for with the key, opens it in a new tab.
async function openStandalone(ev) {
  ev.preventDefault();
  const tab = window.open("", "_blank");  // opened at the click, so no popup blocker stops it
  if (tab) tab.opener = null;
  try {
    const r = await fetch(`/api/v1/entities/${encodeURIComponent(state.partyKey)}/network-page?depth=${$("depth").value}`,
      { method: "POST", headers: { "X-API-Key": apiKey(), "Accept": "application/json" } });
    if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
    const { url } = await r.json();
    if (tab) tab.location.href = url; else window.open(url, "_blank", "noopener");
  } catch (e) {
    if (tab) tab.close();
    $("graph-state").textContent = `Page failed: ${e.message}`;
  }
}

// ------------------------------------------------------------------ the work queue (cases)

async function apiSend(path, method, body) {
  const headers = { "X-API-Key": apiKey(), "Accept": "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!r.ok) {
    let detail = r.statusText;
    try { const p = await r.json(); detail = `${p.title}: ${p.detail || ""}`; } catch (e) { /* not JSON */ }
    throw new Error(`${r.status} ${detail}`);
  }
  return r.json();
}

function fmtState(s) { return String(s || "").replace("_", " "); }

async function loadQueue() {
  const who = $("queue-who").value;
  const st = $("queue-state").value;
  const say = (text) => { $("queue-state-line").textContent = text; };
  say("Loading the queue…");
  const q = `/api/v1/cases?who=${encodeURIComponent(who)}` + (st ? `&state=${encodeURIComponent(st)}` : "");
  await loadHits(q, "queue", say, {
    summary: (data) => `${data.items.length} case(s), highest expected duties at stake first`,
    label: (c) => c.name || c.subject,
    cls: "case-hit",
    open: openCase,
    detail: (c) => ` — ${fmtState(c.state)}, ${c.assignee ? `assigned to ${c.assignee}` : "unassigned"}, ` +
      `${c.alerts || 0} alert(s), duties at stake ${fmtNum(c.priority)}`,
    failed: "Queue failed",
  });
}

function caseError(text) { $("case-error").textContent = text || ""; }

async function openCase(key) {
  caseError("");
  try {
    const c = await (await api(`/api/v1/cases/${encodeURIComponent(key)}`)).json();
    renderCase(c);
  } catch (e) { caseError(`Could not open the case: ${e.message}`); }
}

function renderCase(c) {
  state.caseKey = c.key;
  state.caseRoot = c.network_root;
  $("case").hidden = false;
  $("case-name").textContent = c.name || c.subject;
  $("case-meta").textContent = `${c.key} · ${c.subject_kind || ""} ${c.subject} · ${fmtState(c.state)} · ` +
    `${c.assignee ? `assigned to ${c.assignee}` : "unassigned"} · duties at stake ${fmtNum(c.priority)}` +
    (c.closing_reason ? ` · closed: ${c.closing_reason}` : "");
  $("case-network").disabled = !c.network_root;
  const closed = c.state === "confirmed" || c.state === "dismissed";
  for (const id of ["case-take", "note-add", "case-confirm", "case-dismiss"]) $(id).disabled = closed;
  list("case-alerts", c.alert_items, (a) => `${a.kind.replace("_", " ")} ${a.subject}` +
    (a.name ? ` (${a.name})` : "") + `: score ${fmtNum(a.score)}, duties ${fmtNum(a.expected_duties)}` +
    (a.reasons && a.reasons.length ? ` — ${reasonItems(a.reasons).slice(0, 2).join("; ")}` : ""));
  list("case-notes", c.notes, (n) => `${n.at || ""} ${n.user || ""}: ${n.text}`);
  list("case-decisions", c.decisions, (d) => `${d.at || ""} ${d.kind} ${d.subject} (${d.status || ""}) by ${d.user || ""}`);
}

async function caseAction(path, body, done) {
  caseError("");
  try {
    await apiSend(path, "POST", body);
    if (done) done();
    await openCase(state.caseKey);
    loadQueue();
  } catch (e) { caseError(`Not done: ${e.message}`); }
}

function closeCase(to) {
  const reason = $("close-reason").value.trim();
  if (!reason) { caseError("A closing reason is required"); return; }
  caseAction(`/api/v1/cases/${encodeURIComponent(state.caseKey)}/state`, { state: to, reason },
    () => { $("close-reason").value = ""; });
}

function wireQueue() {
  $("queue-load").addEventListener("click", loadQueue);
  $("queue-who").addEventListener("change", loadQueue);
  $("queue-state").addEventListener("change", loadQueue);
  $("case-network").addEventListener("click", () => { if (state.caseRoot) openEntity(state.caseRoot); });
  $("case-take").addEventListener("click", () => caseAction(`/api/v1/cases/${encodeURIComponent(state.caseKey)}/take`));
  $("note-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("note-text").value.trim();
    if (!text) return;
    caseAction(`/api/v1/cases/${encodeURIComponent(state.caseKey)}/notes`, { text }, () => { $("note-text").value = ""; });
  });
  $("close-form").addEventListener("submit", (ev) => { ev.preventDefault(); closeCase("confirmed"); });
  $("case-confirm").addEventListener("click", () => closeCase("confirmed"));
  $("case-dismiss").addEventListener("click", () => closeCase("dismissed"));
}

// ------------------------------------------------------------------ wiring

document.addEventListener("DOMContentLoaded", () => {
  $("key-state").textContent = apiKey() ? "key set for this tab" : "enter your key";
  $("key-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(KEY_STORE, $("api-key").value.trim());
    $("api-key").value = "";
    $("key-state").textContent = "key set for this tab";
  });
  $("search-form").addEventListener("submit", (ev) => { ev.preventDefault(); if ($("q").value.trim()) search($("q").value.trim()); });
  $("expand-btn").addEventListener("click", () => { if (state.selected) expandNode(state.selected); });
  $("open-btn").addEventListener("click", () => {
    const n = state.info.get(state.selected);
    if (n && n.kind === "Party") openEntity(n.key);
  });
  $("reload-graph").addEventListener("click", () => { if (state.partyKey) loadNetwork(state.partyKey); });
  $("pyvis-link").addEventListener("click", openStandalone);
  wireQueue();
});
