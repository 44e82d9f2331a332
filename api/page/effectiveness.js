// The effectiveness panel: GET /api/v1/effectiveness as two tables (control measures against the random
// baseline; compliance per risk area against the tolerance level) with a bar for each rate and its
// interval. Its own file so the page's other panels change without touching it. Every label reaches the
// page through textContent (a profile name or a border post is data, never markup).
"use strict";

(function () {
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };
  const pct = (v) => (v === null || v === undefined ? "n/a" : (100 * Number(v)).toFixed(1) + " %");
  const num = (v) => (v === null || v === undefined ? "n/a" : Number(v).toLocaleString("en", { maximumFractionDigits: 2 }));

  function bar(rate, low, high, mark) {
    // the rate as a bar, its interval as a band, the tolerance (or baseline) as a line; widths in percent
    const box = el("div", null, "eff-bar");
    box.style.cssText = "position:relative;width:160px;height:12px;background:#eceff1;display:inline-block";
    const band = el("div");
    band.style.cssText = `position:absolute;left:${100 * low}%;width:${100 * Math.max(high - low, 0.002)}%;` +
      "top:0;bottom:0;background:#90caf9";
    box.appendChild(band);
    if (rate !== null && rate !== undefined) {
      const dot = el("div");
      dot.style.cssText = `position:absolute;left:calc(${100 * rate}% - 2px);width:4px;top:0;bottom:0;background:#0d47a1`;
      box.appendChild(dot);
    }
    if (mark !== null && mark !== undefined) {
      const line = el("div");
      line.style.cssText = `position:absolute;left:${100 * mark}%;width:1px;top:-2px;bottom:-2px;background:#d32f2f`;
      box.appendChild(line);
    }
    return box;
  }

  function table(headers, rows) {
    const t = el("table", null, "eff-table");
    const tr = el("tr");
    headers.forEach((h) => tr.appendChild(el("th", h)));
    t.appendChild(tr);
    rows.forEach((cells) => {
      const r = el("tr");
      cells.forEach((c) => { const td = el("td"); if (c instanceof Node) td.appendChild(c); else td.textContent = c; r.appendChild(td); });
      t.appendChild(r);
    });
    return t;
  }

  async function load() {
    const state = document.getElementById("eff-state");
    const body = document.getElementById("eff-body");
    state.textContent = "loading ...";
    body.replaceChildren();
    try {
      const key = sessionStorage.getItem("tamga.apiKey") || "";
      const r = await fetch("/api/v1/effectiveness", { headers: { "X-API-Key": key, "Accept": "application/json" } });
      if (!r.ok) throw new Error(`${r.status} ${r.statusText}`);
      const e = await r.json();
      body.appendChild(el("h3", "Control measures (hit rate, interval, random baseline in red)"));
      const base = e.measures.length ? e.measures[0].hit_rate : null;
      body.appendChild(table(
        ["measure", "selected", "inspected", "hits", "hit rate", "", "lift", "duties recovered"],
        e.measures.map((m) => [`${m.measure}: ${m.label}`, num(m.selections), num(m.inspections), num(m.hits),
          pct(m.hit_rate), bar(m.hit_rate, m.low, m.high, base), m.lift === null ? "n/a" : num(m.lift),
          num(m.duties_recovered)])));
      body.appendChild(el("h3", `Compliance from random picks (tolerance ${pct(e.tolerance_level)} in red)`));
      body.appendChild(table(
        ["risk area", "random inspected", "compliance", "", "status"],
        e.compliance.map((c) => [`${c.area}: ${c.value}`, num(c.random_inspected), pct(c.compliance),
          bar(c.compliance, c.low, c.high, c.tolerance), c.status])));
      state.textContent = `${num(e.items)} items, ${num(e.random_picks)} random picks`;
    } catch (err) {
      state.textContent = "could not load: " + err.message;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const b = document.getElementById("eff-load");
    if (b) b.addEventListener("click", load);
  });
})();
