// Lints Tamga's Cypher with Neo4j's own front-end (@neo4j-cypher/language-support, pinned).
//
// stdin:  {"schema": {"labels": [...], "relationshipTypes": [...], "propertyKeys": [...],
//                     "graphSchema": [{"from", "to", "relType"}]},
//          "queries": [{"name": "...", "text": "...", "plugins": false}]}
// stdout: [{"name", "line", "column", "offset", "severity": "error"|"warning", "message", "source"}]
//
// Why the extra walk below: the package checks labels, relationship types and property keys only in
// reading clauses (MATCH/WITH/RETURN); a misspelt label in MERGE or a misspelt key in SET would slip
// through and silently create a new label or property. Tamga's schema is closed (graph.schema is the
// whole graph), so this script walks the same parse tree the package builds and checks every label,
// type and node/relationship property key, in writes and DDL too.
//
// Undeclared parameters are dropped: values arrive at run time, the linter cannot know them.
import {
  CypherLanguageService,
  lintCypherQuery,
  testData,
} from '@neo4j-cypher/language-support';

const CYPHER = 'CYPHER 5';

// The function and procedure registry. The package ships, as `testData.mockSchema`, a dump of
// `SHOW FUNCTIONS` / `SHOW PROCEDURES` from a Neo4j 5 server with APOC and GDS. Named queries must
// run unchanged on Grafeo too, so they get the built-ins only (a call to apoc.* fails the lint);
// Neo4j-only variants from queries/dialect.py (`plugins: true`) may use APOC and GDS.
const dump = testData.mockSchema;
const pick = (reg, keep) => Object.fromEntries(Object.entries(reg).filter(([k, v]) => keep(k, v)));
const builtinFunctions = pick(dump.functions[CYPHER], (_k, v) => v.isBuiltIn);
const builtinProcedures = pick(dump.procedures[CYPHER], (k) => k.startsWith('db.') || k.startsWith('dbms.'));
const allFunctions = dump.functions[CYPHER];
const allProcedures = dump.procedures[CYPHER];

function dbSchema(schema, plugins) {
  return {
    labels: schema.labels,
    relationshipTypes: schema.relationshipTypes,
    propertyKeys: schema.propertyKeys,
    graphSchema: schema.graphSchema,
    functions: { [CYPHER]: plugins ? allFunctions : builtinFunctions },
    procedures: { [CYPHER]: plugins ? allProcedures : builtinProcedures },
    defaultLanguage: CYPHER,
  };
}

const service = new CypherLanguageService({ consoleCommandsEnabled: false });
if (typeof service.parse !== 'function') {
  // The walk relies on the parse tree the package builds; refuse to lint half-way if that moved.
  throw new Error('@neo4j-cypher/language-support changed: CypherLanguageService.parse is gone');
}

const kind = (ctx) => ctx?.constructor?.name ?? '';
const ancestor = (ctx, names) => {
  for (let p = ctx.parent; p; p = p.parent) if (names.includes(kind(p))) return p;
  return undefined;
};
const unquote = (s) => s.replace(/^`|`$/g, '');

function* walk(ctx) {
  yield ctx;
  for (const child of ctx.children ?? []) yield* walk(child);
}

// Every place a label, relationship type or schema property key is named, with what it must be.
function schemaNames(ctx, isEntityVariable, notProperties) {
  const found = [];
  for (const node of walk(ctx)) {
    const k = kind(node);
    if (['LabelNameContext', 'LabelTypeContext', 'RelTypeContext', 'LabelOrRelTypeContext'].includes(k)) {
      const nameCtx = k === 'LabelNameContext' ? node : node.symbolicNameString?.();
      if (!nameCtx || !nameCtx.start || !nameCtx.stop) continue;
      let want = 'label or type';
      if (k === 'RelTypeContext') want = 'type';
      else if (k === 'LabelTypeContext') want = 'label';
      else {
        const owner = ancestor(node, ['NodePatternContext', 'RelationshipPatternContext', 'CommandNodePatternContext',
          'CommandRelPatternContext', 'SetItemContext', 'RemoveItemContext', 'SetLabelsContext', 'RemoveLabelsContext']);
        const o = kind(owner);
        if (o.startsWith('Relationship') || o === 'CommandRelPatternContext') want = 'type';
        else if (o) want = 'label';
      }
      found.push({ want, name: unquote(nameCtx.getText()), start: nameCtx.start });
    } else if (k === 'PropertyKeyNameContext') {
      const parent = node.parent;
      const pk = kind(parent);
      let check = false;
      if (pk === 'MapContext') {
        // keys of a pattern's property map are properties; keys of a map literal are not
        check = kind(parent.parent) === 'PropertiesContext';
      } else if (pk === 'PropertyContext') {
        const holder = parent.parent;
        const hk = kind(holder);
        if (['PropertyListContext', 'EnclosedPropertyListContext'].includes(hk)) {
          check = true; // DDL: FOR (n:Label) ON (n.key)
        } else if (hk === 'MapProjectionElementContext') {
          check = isEntityVariable(holder.parent.variable?.());
        } else {
          const expr2 = ancestor(parent, ['Expression2Context']);
          check = isEntityVariable(expr2?.expression1?.()?.variable?.());
        }
      }
      if (check) found.push({ want: 'property', name: unquote(node.getText()), start: node.start });
      else notProperties.add(node.start.start);
    }
  }
  return found;
}

const severity = (s) => (s === 1 ? 'error' : s === 2 ? 'warning' : 'info');

function lintOne(item, schema) {
  const db = dbSchema(schema, Boolean(item.plugins));
  const text = item.text;
  const { diagnostics, symbolTables } = lintCypherQuery(text, db, { consoleCommandsEnabled: false });
  const out = diagnostics
    .filter((d) => !(d.message.startsWith('Parameter $') && d.message.endsWith(' is not defined.')))
    .map((d) => ({
      name: item.name,
      line: d.range.start.line + 1,
      column: d.range.start.character + 1,
      offset: d.offsets?.start ?? 0,
      severity: severity(d.severity),
      message: d.message,
      source: 'neo4j-language-support',
    }));
  const reported = new Set(out.map((d) => d.offset));

  const symbols = symbolTables.flat();
  const isEntityVariable = (varCtx) => {
    if (!varCtx || !varCtx.start) return false;
    const sym = symbols.find((s) => s.references.includes(varCtx.start.start));
    return Boolean(sym && sym.types.length > 0 && sym.types.every((t) => t === 'Node' || t === 'Relationship'));
  };
  const labels = new Set(schema.labels);
  const types = new Set(schema.relationshipTypes);
  const keys = new Set(schema.propertyKeys);
  const parsed = service.parse(text);
  const found = [];
  const notProperties = new Set();
  for (const st of parsed.statementsParsing) {
    if (st.syntaxErrors.length > 0) continue; // the grammar error is reported already
    found.push(...schemaNames(st.ctx, isEntityVariable, notProperties));
  }
  // The package attributes `r.field` inside a node pattern's map (`MATCH (p:Party {key: r.field})`)
  // to the node `p` and flags `field`; the parse tree says it is a field of the row `r`: drop those.
  const isMisattributedField = (d) => d.source === 'neo4j-language-support' && notProperties.has(d.offset)
    && d.message.includes(' is not present in the database.')
    && !/^(Label|Relationship type|Function|Procedure) /.test(d.message);
  const result = out.filter((d) => !isMisattributedField(d));
  for (const f of found) {
    const ok = f.want === 'property' ? keys.has(f.name)
      : f.want === 'label' ? labels.has(f.name)
        : f.want === 'type' ? types.has(f.name)
          : labels.has(f.name) || types.has(f.name);
    if (ok || reported.has(f.start.start)) continue;
    const what = { property: 'Property key', label: 'Label', type: 'Relationship type' }[f.want]
      ?? 'Label or relationship type';
    result.push({
      name: item.name,
      line: f.start.line,
      column: f.start.column + 1,
      offset: f.start.start,
      severity: 'warning',
      message: `${what} ${f.name} is not in graph.schema (misspelt, or missing from the schema)`,
      source: 'tamga-schema',
    });
  }
  return result;
}

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

const input = JSON.parse(await readStdin());
const result = [];
for (const item of input.queries) {
  try {
    result.push(...lintOne(item, input.schema));
  } catch (e) {
    result.push({ name: item.name, line: 1, column: 1, offset: 0, severity: 'error',
      message: `linter crashed on this statement: ${e?.message ?? e}`, source: 'tamga-lint' });
  }
}
process.stdout.write(JSON.stringify(result));
