// Lists the API's operations from /openapi.json (text only, no CDN).
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const spec = await (await fetch("/openapi.json")).json();
  const body = document.querySelector("#ops tbody");
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tr = document.createElement("tr");
      for (const text of [method.toUpperCase(), path, op.operationId || "", op.summary || ""]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
  }
});
