// Choosing a form widget from pydantic's JSON Schemas.
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultOf, issuesAt, unwrapNullable, widgetOf } from "../src/schema.js";

const defs = { Key: { type: "object", properties: { zoom: { type: "number" } } } };

test("each schema shape gets its widget, anything else the JSON fallback", () => {
  assert.equal(widgetOf({ type: "integer", minimum: 1 }), "integer");
  assert.equal(widgetOf({ type: "string", enum: ["a", "b"] }), "enum");
  assert.equal(widgetOf({ type: "boolean" }), "boolean");
  assert.equal(widgetOf({ type: "array", items: { type: "string" }, "x-reelgraph-file": true }), "files");
  assert.equal(widgetOf({ type: "array", prefixItems: [{ type: "number" }, { type: "number" }] }), "tuple");
  assert.equal(widgetOf({ type: "array", items: { $ref: "#/$defs/Key" } }, defs), "objects");
  assert.equal(widgetOf({ $ref: "#/$defs/Key" }, defs), "object");
  assert.equal(widgetOf({ type: "object", additionalProperties: true }), "json");
  assert.equal(widgetOf({}), "json");
});

test("anyOf [X, null] is a nullable X", () => {
  const { schema, nullable } = unwrapNullable({ anyOf: [{ type: "number", maximum: 1 }, { type: "null" }], default: null });
  assert.equal(nullable, true);
  assert.equal(schema.maximum, 1);
  assert.equal(defaultOf({ type: "array", items: { type: "string" } }).length, 0);
});

test("issues match their field and what is inside it", () => {
  const issues = [{ field: "path.0.zoom" }, { field: "width" }, { field: "pathology" }];
  assert.deepEqual(issuesAt(issues, ["path"]).map((i) => i.field), ["path.0.zoom"]);
  assert.deepEqual(issuesAt(issues, ["width"]).map((i) => i.field), ["width"]);
});
