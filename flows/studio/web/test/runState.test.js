// A run's node states folded from its record and its SSE events.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyEvent, fromRecord, newRun, runIsOver } from "../src/runState.js";

test("events light a node: queued, running with progress, succeeded with outputs", () => {
  let run = newRun("r1", ["thumb"]);
  assert.equal(run.nodes.thumb.status, "queued");
  run = applyEvent(run, "node_started", { node_id: "thumb", attempt: 1 });
  run = applyEvent(run, "node_progress", { node_id: "thumb", done: 3, total: 4, message: "resizing" });
  assert.equal(run.nodes.thumb.status, "running");
  assert.deepEqual([run.nodes.thumb.done, run.nodes.thumb.total], [3, 4]);
  run = applyEvent(run, "node_finished", { node_id: "thumb", status: "succeeded", outputs: { image: "ab" } });
  assert.equal(run.nodes.thumb.status, "succeeded");
  assert.deepEqual(run.nodes.thumb.expansions.thumb.outputs, { image: "ab" });
  run = applyEvent(run, "run_finished", { status: "succeeded" });
  assert.ok(runIsOver(run));
});

test("a fanned-out node combines its expansions: failed wins, all cached is cached", () => {
  let run = newRun("r2", ["caption"], "running", { caption: 2 });
  run = applyEvent(run, "node_finished", { node_id: "caption[locale=en]", status: "cached", outputs: {} });
  assert.equal(run.nodes.caption.status, "running", "one of two done: the node is under way");
  run = applyEvent(run, "node_finished", { node_id: "caption[locale=es]", status: "cached", outputs: {} });
  assert.equal(run.nodes.caption.status, "cached");
  assert.equal(run.nodes.caption.finished, 2);
  run = applyEvent(run, "node_finished", { node_id: "caption[locale=es]", status: "failed", error: "boom" });
  assert.equal(run.nodes.caption.status, "failed");
  assert.equal(run.nodes.caption.error, "boom");
});

test("a run record (GET runs/{id}) restores states after a reload", () => {
  const run = fromRecord({ run_id: "r3", status: "running", nodes: {
    "photos": { status: "succeeded", outputs: { image: "cd" }, error: null },
    "thumb": { status: "running", outputs: {}, error: null },
    "caption[locale=en]": { status: "succeeded", outputs: {}, error: null },
    "caption[locale=es]": { status: "pending", outputs: {}, error: null } } }, ["photos", "thumb", "caption", "later"]);
  assert.equal(run.nodes.photos.status, "succeeded");
  assert.equal(run.nodes.thumb.status, "running");
  assert.equal(run.nodes.later.status, "queued");
  assert.equal(run.nodes.caption.status, "running", "one expansion done, one pending");
  assert.ok(!runIsOver(run));
});
