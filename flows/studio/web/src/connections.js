// Which edges the editor lets a person draw. Each input's schema, as the server serves it from
// /node-types, lists the output kinds it takes (`inputs.<port>.accepts`, generated from
// nodes/ports.py PORT_KINDS: its own kind and those that convert into it). Reading that list
// instead of keeping a table here means the editor refuses exactly the edges validation refuses,
// and a kind or conversion added in Python needs no change in the editor.

/** The schema of one port ({kind, accepts, ...} for inputs, {kind, ...} for outputs), or undefined. */
export function portSchema(doc, types, nodeId, port, direction) {
  const spec = doc.nodes[nodeId];
  const schema = spec && types[spec.type];
  return schema?.[direction]?.[port];
}

/** Can this edge exist? Not from a node to itself, and only into an input that accepts the
 * output's kind. An input whose schema lists no `accepts` takes nothing: guessing would be a
 * second source of truth. */
export function connectionAllowed(doc, types, connection) {
  if (connection.source === connection.target) return false;
  const from = portSchema(doc, types, connection.source, connection.sourceHandle, "outputs");
  const to = portSchema(doc, types, connection.target, connection.targetHandle, "inputs");
  return Boolean(from && to && Array.isArray(to.accepts) && to.accepts.includes(from.kind));
}
