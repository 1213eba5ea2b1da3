// Reading a node's params JSON Schema (pydantic's output) to choose a form widget.

export function resolve(schema, defs) {
  let current = schema || {};
  for (let guard = 0; current.$ref && guard < 10; guard++) {
    const name = current.$ref.split("/").pop();
    const { $ref, ...rest } = current;
    current = { ...(defs?.[name] || {}), ...rest };
  }
  if (current.allOf && current.allOf.length === 1) {
    const { allOf, ...rest } = current;
    current = { ...resolve(allOf[0], defs), ...rest };
  }
  return current;
}

/** {schema, nullable}: `anyOf: [X, {type: null}]` is X that may be left empty. */
export function unwrapNullable(schema, defs) {
  const resolved = resolve(schema, defs);
  const options = resolved.anyOf || resolved.oneOf;
  if (options) {
    const others = options.filter((option) => option.type !== "null");
    if (others.length === 1 && others.length < options.length) {
      const { anyOf, oneOf, ...rest } = resolved;
      return { schema: { ...resolve(others[0], defs), ...rest }, nullable: true };
    }
  }
  return { schema: resolved, nullable: resolved.type?.includes?.("null") && Array.isArray(resolved.type) };
}

const SCALARS = new Set(["string", "integer", "number", "boolean"]);

/** Which widget edits this schema: enum, boolean, integer, number, string, file, list, tuple,
 * object, or json (the fallback for anything else). */
export function widgetOf(schema, defs) {
  const s = resolve(schema, defs);
  if (s["x-reelgraph-file"]) return s.type === "array" ? "files" : "file";
  if (Array.isArray(s.enum)) return "enum";
  if (s.type === "boolean") return "boolean";
  if (s.type === "integer" || s.type === "number") return s.type;
  if (s.type === "string") return "string";
  if (s.type === "array") {
    if (s.prefixItems && s.prefixItems.every((item) => SCALARS.has(resolve(item, defs).type))) return "tuple";
    const items = resolve(s.items || {}, defs);
    if (SCALARS.has(items.type) || Array.isArray(items.enum)) return "list";
    if (items.type === "object" && items.properties) return "objects";
    return "json";
  }
  if (s.type === "object" && s.properties && !s.additionalProperties) return "object";
  return "json";
}

export function defaultOf(schema, defs) {
  const s = resolve(schema, defs);
  if ("default" in s) return s.default;
  const widget = widgetOf(s, defs);
  if (widget === "list" || widget === "objects" || widget === "files") return [];
  if (widget === "object") return {};
  return undefined;
}

/** Issues whose field names this path or something inside it. */
export function issuesAt(issues, path) {
  const key = path.join(".");
  return issues.filter((issue) => issue.field === key || String(issue.field || "").startsWith(key + ".")
    || String(issue.field || "").startsWith(key + "["));
}

export const describe = (value) => (value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value));
