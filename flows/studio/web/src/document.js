// The graph document as the editor changes it: pure functions from one document to the next.
//
// A document is the same JSON the CLI runs: {reelgraph, name, description, matrix, nodes, ui}.
// Node positions live in `ui.nodes.<id> = {x, y}`, which validation accepts and cache keys ignore.

// '<node>.<port>' or a fan-in '<node>[var=*].<port>'
const REFERENCE = /^([A-Za-z_][A-Za-z0-9_-]*)(\[[^\]]*\])?\.([A-Za-z_][A-Za-z0-9_]*)$/;

export function parseReference(text) {
  const match = REFERENCE.exec(typeof text === "string" ? text.trim() : "");
  return match ? { node: match[1], selector: match[2] || "", port: match[3] } : null;
}

export const formatReference = (node, port, selector = "") => `${node}${selector}.${port}`;

/** React Flow edges from the document's input references. */
export function edgesOf(doc) {
  const edges = [];
  for (const [target, spec] of Object.entries(doc.nodes || {})) {
    for (const [port, text] of Object.entries(spec.inputs || {})) {
      const ref = parseReference(text);
      if (!ref || !doc.nodes[ref.node]) continue;
      edges.push({
        id: `${target}.${port}`, source: ref.node, sourceHandle: ref.port, target, targetHandle: port,
        label: ref.selector || undefined,
      });
    }
  }
  return edges;
}

export const positionsOf = (doc) => (doc.ui && doc.ui.nodes) || {};

/** Layered placement for nodes the document gives no position: by depth, left to right. */
export function layout(doc) {
  const ids = Object.keys(doc.nodes || {});
  const depth = {};
  const visit = (id, trail = new Set()) => {
    if (depth[id] !== undefined) return depth[id];
    if (trail.has(id)) return 0;
    trail.add(id);
    let d = 0;
    for (const text of Object.values(doc.nodes[id].inputs || {})) {
      const ref = parseReference(text);
      if (ref && doc.nodes[ref.node]) d = Math.max(d, visit(ref.node, trail) + 1);
    }
    depth[id] = d;
    return d;
  };
  ids.forEach((id) => visit(id));
  const rows = {};
  const placed = {};
  for (const id of ids) {
    const column = depth[id];
    rows[column] = (rows[column] || 0) + 1;
    placed[id] = { x: column * 300, y: (rows[column] - 1) * 260 };  // room for a preview
  }
  return placed;
}

/** The document with every node placed (missing positions laid out). */
export function withPositions(doc) {
  const known = positionsOf(doc);
  const ids = Object.keys(doc.nodes || {});
  if (ids.every((id) => known[id])) return doc;
  const auto = layout(doc);
  const nodes = Object.fromEntries(ids.map((id) => [id, known[id] || auto[id]]));
  return { ...doc, ui: { ...(doc.ui || {}), nodes } };
}

export function setPositions(doc, moved) {
  const nodes = { ...positionsOf(doc) };
  for (const [id, p] of Object.entries(moved)) nodes[id] = { x: Math.round(p.x), y: Math.round(p.y) };
  return { ...doc, ui: { ...(doc.ui || {}), nodes } };
}

export function freshId(doc, base) {
  const stem = base.replace(/[^A-Za-z0-9_-]/g, "_").replace(/^[^A-Za-z_]/, "n");
  if (!doc.nodes[stem]) return stem;
  for (let i = 2; ; i++) if (!doc.nodes[`${stem}_${i}`]) return `${stem}_${i}`;
}

export function addNode(doc, type, position, id = null) {
  const nodeId = id || freshId(doc, type.split(".").pop());
  const next = { ...doc, nodes: { ...doc.nodes, [nodeId]: { type, params: {}, inputs: {} } } };
  return { doc: setPositions(next, { [nodeId]: position }), id: nodeId };
}

export function removeNodes(doc, ids) {
  const gone = new Set(ids);
  const nodes = {};
  for (const [id, spec] of Object.entries(doc.nodes)) {
    if (gone.has(id)) continue;
    const inputs = Object.fromEntries(Object.entries(spec.inputs || {})
      .filter(([, text]) => !gone.has(parseReference(text)?.node)));
    nodes[id] = Object.keys(inputs).length === Object.keys(spec.inputs || {}).length ? spec : { ...spec, inputs };
  }
  const positions = Object.fromEntries(Object.entries(positionsOf(doc)).filter(([id]) => !gone.has(id)));
  return { ...doc, nodes, ui: { ...(doc.ui || {}), nodes: positions } };
}

export function connect(doc, { source, sourceHandle, target, targetHandle }) {
  const spec = doc.nodes[target];
  const inputs = { ...(spec.inputs || {}), [targetHandle]: formatReference(source, sourceHandle) };
  return { ...doc, nodes: { ...doc.nodes, [target]: { ...spec, inputs } } };
}

export function disconnect(doc, target, port) {
  const spec = doc.nodes[target];
  if (!spec || !(spec.inputs || {})[port]) return doc;
  const inputs = { ...spec.inputs };
  delete inputs[port];
  return { ...doc, nodes: { ...doc.nodes, [target]: { ...spec, inputs } } };
}

/** Set (or, with undefined, remove) one param; `path` walks into nested values. */
export function setParam(doc, nodeId, path, value) {
  const spec = doc.nodes[nodeId];
  const params = setIn(spec.params || {}, path, value);
  return { ...doc, nodes: { ...doc.nodes, [nodeId]: { ...spec, params } } };
}

function setIn(container, [key, ...rest], value) {
  const copy = Array.isArray(container) ? [...container] : { ...container };
  if (rest.length) copy[key] = setIn(container?.[key] ?? (typeof rest[0] === "number" ? [] : {}), rest, value);
  else if (value === undefined && !Array.isArray(copy)) delete copy[key];
  else copy[key] = value;
  return copy;
}

export function renameNode(doc, from, to) {
  if (from === to || doc.nodes[to] || !/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/.test(to)) return doc;
  const nodes = {};
  for (const [id, spec] of Object.entries(doc.nodes)) {
    const inputs = Object.fromEntries(Object.entries(spec.inputs || {}).map(([port, text]) => {
      const ref = parseReference(text);
      return [port, ref && ref.node === from ? formatReference(to, ref.port, ref.selector) : text];
    }));
    nodes[id === from ? to : id] = { ...spec, inputs };
  }
  const positions = Object.fromEntries(Object.entries(positionsOf(doc)).map(([id, p]) => [id === from ? to : id, p]));
  return { ...doc, nodes, ui: { ...(doc.ui || {}), nodes: positions } };
}

/** Copied nodes as a self-contained snippet: specs, positions, and only the edges among them. */
export function copyNodes(doc, ids) {
  const chosen = new Set(ids);
  const positions = positionsOf(doc);
  return {
    reelgraphClipboard: 1,
    nodes: Object.fromEntries(ids.filter((id) => doc.nodes[id]).map((id) => [id, structuredClone(doc.nodes[id])])),
    positions: Object.fromEntries(ids.map((id) => [id, positions[id] || { x: 0, y: 0 }])),
    internal: [...chosen],
  };
}

/** Paste a snippet with fresh ids, offset; edges to nodes outside the snippet are kept. */
export function pasteNodes(doc, snippet, offset = { x: 40, y: 40 }) {
  const rename = {};
  let next = doc;
  for (const id of Object.keys(snippet.nodes)) {
    rename[id] = freshId(next, id);
    next = { ...next, nodes: { ...next.nodes, [rename[id]]: { type: "util.noop" } } }; // reserve the id
  }
  const nodes = { ...doc.nodes };
  const moved = {};
  for (const [id, spec] of Object.entries(snippet.nodes)) {
    const inputs = Object.fromEntries(Object.entries(spec.inputs || {}).map(([port, text]) => {
      const ref = parseReference(text);
      return [port, ref && rename[ref.node] ? formatReference(rename[ref.node], ref.port, ref.selector) : text];
    }).filter(([, text]) => {
      const ref = parseReference(text);
      return !ref || nodes[ref.node] || Object.values(rename).includes(ref.node);
    }));
    nodes[rename[id]] = { ...spec, inputs };
    const p = snippet.positions[id] || { x: 0, y: 0 };
    moved[rename[id]] = { x: p.x + offset.x, y: p.y + offset.y };
  }
  return { doc: setPositions({ ...doc, nodes }, moved), ids: Object.values(rename) };
}

/** The node id a run's expanded id belongs to: 'caption[locale=en]' -> 'caption'. */
export const baseId = (expanded) => String(expanded).replace(/\[.*$/, "");
