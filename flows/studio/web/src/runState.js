// A run's state as the editor shows it, folded from the run record (GET runs/{id}) and its SSE
// events. Nodes are keyed by the document's node id; a node that fans out keeps one entry per
// expansion ('caption[locale=en]') and shows their combined state.
import { baseId } from "./document.js";

const FINISHED = new Set(["succeeded", "cached", "failed", "skipped", "cancelled"]);

/** `expected`: node id -> how many expansions it has (the plan's fan-out), so that a node is
 * done only when all of them are. */
export function newRun(runId, nodeIds, status = "queued", expected = {}) {
  return {
    run_id: runId, status, expected,
    nodes: Object.fromEntries(nodeIds.map((id) => [id, { status: "queued", expansions: {} }])),
  };
}

const nodeIdOf = (data) => data.node_id ?? data.node;

function updateExpansion(run, expanded, change) {
  const id = baseId(expanded);
  const node = run.nodes[id] || { status: "queued", expansions: {} };
  const previous = node.expansions[expanded] || {};
  const expansions = { ...node.expansions, [expanded]: { ...previous, ...change } };
  return { ...run, nodes: { ...run.nodes, [id]: summarise({ ...node, expansions }, run.expected?.[id] || 1) } };
}

/** The combined state of a node's expansions; some done and some to come is "running". */
function summarise(node, expected) {
  const parts = Object.values(node.expansions);
  const statuses = parts.map((p) => p.status);
  const finished = statuses.filter((s) => FINISHED.has(s)).length;
  const remaining = Math.max(expected, statuses.length) - finished;  // pending expansions count too
  let status = node.status;
  if (statuses.includes("failed")) status = "failed";
  else if (statuses.includes("running") || (finished && remaining > 0)) status = "running";
  else if (statuses.length && statuses.every((s) => s === "cached")) status = "cached";
  else if (statuses.length && statuses.every((s) => FINISHED.has(s))) {
    status = statuses.every((s) => s === "skipped") ? "skipped"
      : statuses.every((s) => s === "cancelled") ? "cancelled" : "succeeded";
  }
  const running = parts.filter((p) => p.status === "running" && p.total);
  const progress = running.length ? running[0] : null;
  const failed = parts.find((p) => p.status === "failed");
  return {
    ...node, status,
    done: progress ? progress.done : undefined, total: progress ? progress.total : undefined,
    message: progress ? progress.message : undefined,
    error: failed ? failed.error : undefined,
    finished,
  };
}

/** Fold one SSE event into the run. */
export function applyEvent(run, name, data) {
  if (!run) return run;
  switch (name) {
    case "run_status":
    case "run_finished":
      return { ...run, status: data.status || run.status, error: data.error ?? run.error };
    case "queue":
      return data.position !== undefined ? { ...run, position: data.position } : run;
    case "node_started":
      return updateExpansion(run, nodeIdOf(data), { status: "running", done: 0, total: 0, message: "" });
    case "node_progress":
      return updateExpansion(run, nodeIdOf(data), {
        status: "running", done: data.done, total: data.total, message: data.message || "" });
    case "node_finished":
      return updateExpansion(run, nodeIdOf(data), {
        status: data.status, seconds: data.seconds, error: data.error || null, outputs: data.outputs || {} });
    default:
      return run;
  }
}

/** The run as GET runs/{id} returns it (the same JSON as `reelgraph run --json`). */
export function fromRecord(record, nodeIds, expected = {}) {
  const counts = { ...expected };
  for (const expanded of Object.keys(record.nodes || {})) {
    const id = baseId(expanded);
    counts[id] = Math.max(counts[id] || 0, Object.keys(record.nodes).filter((e) => baseId(e) === id).length);
  }
  let run = newRun(record.run_id || record.id, nodeIds, record.status, counts);
  for (const [expanded, node] of Object.entries(record.nodes || {})) {
    run = updateExpansion(run, expanded, {
      status: node.status, error: node.error || null, outputs: node.outputs || {} });
  }
  return run;
}

export const runIsOver = (run) => run && ["succeeded", "failed", "cancelled", "interrupted"].includes(run.status);
