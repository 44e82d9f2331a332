// Tamga page: the risk areas at a glance (GET /api/v1/risk-areas?plots=true). The plots are SVG
// drawn by the server (graph/pipeline/plots.py, every label escaped there); here each one is parsed
// as an SVG document (DOMParser never runs script) and refused if it holds anything active, then
// adopted into the page. Uses app.js's `api`, `el` and `clear` (classic scripts share one scope).
"use strict";

const RA_ACTIVE = "script, foreignObject, iframe, object, embed, a, use, image";

function raSvg(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const root = doc.documentElement;
  if (root.nodeName !== "svg" || doc.querySelector("parsererror") || doc.querySelector(RA_ACTIVE)) return null;
  for (const n of doc.querySelectorAll("*")) {
    for (const a of [...n.attributes]) if (a.name.toLowerCase().startsWith("on")) return null;
  }
  return document.importNode(root, true);
}

function raSummary(data) {
  const u = data.unplaced_offences || {};
  const lines = [`${fmtNum(data.items)} declaration items, scored ${data.scored_at}`,
    `${data.profiles.length} risk profile(s)`,
    `offences concerning no stored item: ${fmtNum(u.offences || 0)}`];
  return lines.join(" · ");
}

async function openRiskAreas() {
  document.querySelector("main").style.display = "none";  // the view takes the page; Close brings it back
  $("riskareas").hidden = false;
  const grid = $("riskareas-plots");
  clear(grid);
  $("riskareas-state").textContent = "Loading the risk areas…";
  try {
    const data = await (await api("/api/v1/risk-areas?plots=true")).json();
    let drawn = 0;
    for (const [name, title] of Object.entries(data.plot_titles)) {
      const fig = el("figure", null, "ra-plot");
      fig.dataset.plot = name;
      const svg = data.plots[name] ? raSvg(data.plots[name]) : null;
      if (svg) { fig.appendChild(svg); drawn += 1; } else { fig.appendChild(el("p", `${title}: not shown`, "error")); }
      grid.appendChild(fig);
    }
    $("riskareas-summary").textContent = raSummary(data);
    $("riskareas-state").textContent = `${drawn} plots`;
  } catch (e) { $("riskareas-state").textContent = `Risk areas failed: ${e.message}`; }
}

document.addEventListener("DOMContentLoaded", () => {
  $("riskareas-open").addEventListener("click", openRiskAreas);
  $("riskareas-close").addEventListener("click", () => {
    $("riskareas").hidden = true;
    document.querySelector("main").style.display = "";
  });
});
