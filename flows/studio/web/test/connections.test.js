// Which edges the editor allows, decided by the node types' schemas: the checked-in ui_schemas/,
// which a Python test keeps identical to what the server generates from nodes/ports.py.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { connectionAllowed } from "../src/connections.js";

const SCHEMAS = new URL("../../../../ui_schemas/nodes/", import.meta.url);
const schemaOf = (type) => JSON.parse(readFileSync(new URL(`${type}.schema.json`, SCHEMAS), "utf8"));
const types = Object.fromEntries(
  ["image.load", "image.resize", "camera.move", "video.encode", "text.template"].map((t) => [t, schemaOf(t)]));

const doc = {
  reelgraph: 1, name: "edges",
  nodes: {
    photos: { type: "image.load" }, thumb: { type: "image.resize" }, camera: { type: "camera.move" },
    video: { type: "video.encode" }, title: { type: "text.template" }, ghost: { type: "not.installed" },
  },
};
const edge = (source, sourceHandle, target, targetHandle) => connectionAllowed(doc, types,
  { source, sourceHandle, target, targetHandle });

test("the same kind connects", () => {
  assert.equal(edge("photos", "image", "thumb", "image"), true);
  assert.equal(edge("camera", "frames", "video", "frames"), true);
});

test("a kind connects into the kinds it converts to, as the schemas list them", () => {
  assert.equal(edge("photos", "image", "camera", "images"), true);   // one image is a list of one
  assert.equal(edge("photos", "images", "video", "frames"), true);   // a list of images is a frame sequence
});

test("other kinds, conversions backwards and chains of conversions are refused", () => {
  assert.equal(edge("photos", "image", "title", "text"), false);
  assert.equal(edge("camera", "frames", "thumb", "image"), false);   // frames do not become one image
  assert.equal(edge("photos", "images", "thumb", "image"), false);
  assert.equal(edge("photos", "image", "video", "frames"), false);   // image -> images -> frames is two steps
});

test("an edge to itself, to an unknown port or from an unknown type is refused", () => {
  assert.equal(edge("thumb", "image", "thumb", "image"), false);
  assert.equal(edge("photos", "image", "thumb", "nope"), false);
  assert.equal(edge("ghost", "image", "thumb", "image"), false);
});

test("the editor follows `accepts`, not a table of its own", () => {
  const served = structuredClone(types);
  served["image.resize"].inputs.image.accepts = ["image", "text"];   // what a newer server might say
  served["camera.move"].inputs.images.accepts = ["images"];
  const allowed = (c) => connectionAllowed(doc, served, c);
  assert.equal(allowed({ source: "title", sourceHandle: "text", target: "thumb", targetHandle: "image" }), true);
  assert.equal(allowed({ source: "photos", sourceHandle: "image", target: "camera", targetHandle: "images" }), false);
  delete served["camera.move"].inputs.images.accepts;  // no list: nothing is guessed
  assert.equal(allowed({ source: "photos", sourceHandle: "images", target: "camera", targetHandle: "images" }), false);
});
