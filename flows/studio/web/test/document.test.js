// The editor's document edits: pure functions from one graph document to the next.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  addNode, connect, copyNodes, edgesOf, parseReference, pasteNodes, removeNodes, renameNode, setParam, withPositions,
} from "../src/document.js";

const hello = () => ({
  reelgraph: 1, name: "hello", matrix: { locale: ["en", "es"] },
  nodes: {
    photos: { type: "image.load", params: { paths: ["a.png"] } },
    thumb: { type: "image.resize", inputs: { image: "photos.image" }, params: { width: 128 } },
    sheet: { type: "util.noop", inputs: { value: "thumb[locale=*].image" } },
  },
});

test("references, plain and fan-in, parse into node, selector and port", () => {
  assert.deepEqual(parseReference("photos.image"), { node: "photos", selector: "", port: "image" });
  assert.deepEqual(parseReference("clip[scene=*].frames"), { node: "clip", selector: "[scene=*]", port: "frames" });
  assert.equal(parseReference("no-port"), null);
});

test("edges come from input references, fan-in selectors as labels", () => {
  const edges = edgesOf(hello());
  assert.deepEqual(edges.map((e) => [e.source, e.sourceHandle, e.target, e.targetHandle, e.label]),
    [["photos", "image", "thumb", "image", undefined], ["thumb", "image", "sheet", "value", "[locale=*]"]]);
});

test("nodes without positions are laid out left to right by depth", () => {
  const placed = withPositions(hello()).ui.nodes;
  assert.ok(placed.photos.x < placed.thumb.x && placed.thumb.x < placed.sheet.x);
});

test("removing a node removes the inputs that referred to it", () => {
  const doc = removeNodes(withPositions(hello()), ["thumb"]);
  assert.deepEqual(Object.keys(doc.nodes), ["photos", "sheet"]);
  assert.deepEqual(doc.nodes.sheet.inputs, {});
  assert.equal(doc.ui.nodes.thumb, undefined);
});

test("renaming rewires references, keeping fan-in selectors", () => {
  const doc = renameNode(withPositions(hello()), "thumb", "small");
  assert.equal(doc.nodes.sheet.inputs.value, "small[locale=*].image");
  assert.ok(doc.ui.nodes.small && !doc.ui.nodes.thumb);
  assert.equal(renameNode(doc, "small", "photos"), doc, "a taken id is refused");
});

test("a pasted copy gets fresh ids; edges inside it follow, edges to the rest stay", () => {
  const doc = withPositions(hello());
  const { doc: next, ids } = pasteNodes(doc, copyNodes(doc, ["thumb", "sheet"]));
  assert.deepEqual(ids, ["thumb_2", "sheet_2"]);
  assert.equal(next.nodes.thumb_2.inputs.image, "photos.image");
  assert.equal(next.nodes.sheet_2.inputs.value, "thumb_2[locale=*].image");
  assert.equal(next.ui.nodes.thumb_2.x, doc.ui.nodes.thumb.x + 40);
});

test("params are set and reset, nested paths included, without touching the original", () => {
  const doc = hello();
  const wider = setParam(doc, "thumb", ["width"], 256);
  assert.equal(wider.nodes.thumb.params.width, 256);
  assert.equal(doc.nodes.thumb.params.width, 128);
  assert.deepEqual(setParam(wider, "thumb", ["width"], undefined).nodes.thumb.params, {});
  const nested = setParam(doc, "thumb", ["path", 0, "zoom"], 1.5);
  assert.deepEqual(nested.nodes.thumb.params.path, [{ zoom: 1.5 }]);
});

test("connecting replaces what an input had; adding picks a free id", () => {
  const doc = connect(hello(), { source: "photos", sourceHandle: "image", target: "sheet", targetHandle: "value" });
  assert.equal(doc.nodes.sheet.inputs.value, "photos.image");
  const { id } = addNode(doc, "image.resize", { x: 0, y: 0 });
  assert.equal(id, "resize");
  assert.equal(addNode({ ...doc, nodes: { ...doc.nodes, resize: {} } }, "image.resize", { x: 0, y: 0 }).id, "resize_2");
});
