// What the editor does with the API: open, save, validate on every edit, run and watch.
import * as api from "./api.js";
import { baseId, withPositions } from "./document.js";
import { applyEvent, fromRecord, newRun, runIsOver } from "./runState.js";
import { EMPTY_DOCUMENT, notify, store } from "./store.js";

// The address keeps the open document and the watched run, so a reload mid-run restores both.
export function readLocation() {
  const params = new URLSearchParams(location.hash.slice(1));
  return { path: params.get("graph"), run: params.get("run") };
}

function writeLocation() {
  const { path, run } = store.get();
  const params = new URLSearchParams();
  if (path) params.set("graph", path);
  if (run) params.set("run", run.run_id);
  const hash = params.toString();
  if (location.hash.slice(1) !== hash) history.replaceState(null, "", hash ? `#${hash}` : location.pathname);
}

export async function loadTypes() {
  try {
    store.set({ types: await api.nodeTypes(), typesError: null });
  } catch (error) {
    store.set({ typesError: `node types: ${error.message}` });
  }
}

export function newDocument() {
  stopFollowing();
  store.set({ doc: EMPTY_DOCUMENT, path: null, etag: null, dirty: false, past: [], future: [], run: null,
    selected: null, viewVersion: store.get().viewVersion + 1 });
  writeLocation();
}

export async function openDocument(path) {
  try {
    const { doc, etag } = await api.openGraph(path);
    stopFollowing();
    store.set({ doc: withPositions(doc), path, etag, dirty: false, past: [], future: [], run: null,
      selected: null, viewVersion: store.get().viewVersion + 1 });
    writeLocation();
    return true;
  } catch (error) {
    notify("error", `open ${path}: ${error.message}`);
    return false;
  }
}

/** Save to the document's path (or `path`); a 412 means someone else saved it meanwhile. */
export async function saveDocument(path = null) {
  const state = store.get();
  const target = path || state.path;
  if (!target) return false;
  const sameFile = target === state.path;
  try {
    const { etag } = await api.saveGraph(target, state.doc, sameFile ? state.etag : null);
    const doc = store.get().doc;
    store.set({ path: target, etag, dirty: doc !== state.doc });
    writeLocation();
    notify("info", `saved ${target}`);
    return true;
  } catch (error) {
    notify("error", error.status === 412
      ? `${target} changed on disk since you opened it; open it again (your edits: undo history) or save under another name`
      : `save ${target}: ${error.message}`);
    return false;
  }
}

// ---- validation on every edit -------------------------------------------------------------

let validationSequence = 0;

async function checkDocument(doc) {
  const sequence = ++validationSequence;
  try {
    const issues = await api.validate(doc);
    if (sequence !== validationSequence) return;
    const issuesByNode = {};
    for (const issue of issues) if (issue.node) (issuesByNode[baseId(issue.node)] ||= []).push(issue);
    store.set({ issues, issuesByNode });
    if (!issues.length) {
      const plan = await api.plan(doc).catch(() => null);
      if (sequence !== validationSequence || !plan) return;
      const fanout = {};
      for (const step of plan.nodes || []) fanout[baseId(step.node)] = (fanout[baseId(step.node)] || 0) + 1;
      store.set({ fanout });
    }
  } catch (error) {
    if (sequence === validationSequence && error.status !== 401) notify("error", `validate: ${error.message}`);
  }
}

export function validateOnEdit(delay = 150) {
  let timer = null;
  let last = store.get().doc;  // the empty document needs no checking
  return store.subscribe(() => {
    const { doc } = store.get();
    if (doc === last) return;
    last = doc;
    clearTimeout(timer);
    timer = setTimeout(() => checkDocument(doc), delay);
  });
}

// ---- runs ---------------------------------------------------------------------------------

let closeStream = null;

function stopFollowing() {
  if (closeStream) closeStream();
  closeStream = null;
}

export function followRun(runId, run = null, after = null) {
  stopFollowing();
  const nodeIds = Object.keys(store.get().doc.nodes);
  store.set({ run: run || newRun(runId, nodeIds, "queued", store.get().fanout) });
  writeLocation();
  const replayingAnEnd = runIsOver(store.get().run);  // a finished run's events: no news to announce
  closeStream = api.followRun(runId, (name, data, eventId) => {
    const current = store.get().run;
    if (!current || current.run_id !== runId) return;
    store.set({ run: { ...applyEvent(current, name, data), lastEventId: eventId ?? current.lastEventId } });
    if (name === "run_finished" && !replayingAnEnd) {
      notify(data.status === "succeeded" ? "info" : "error", `run ${data.status || "finished"}`);
    }
  }, after);
}

/** Queue a failed, cancelled or interrupted run again: what is done stays done. Its stream is
 * followed from the resumed run's first event (the server says which), or it would end again at
 * the old run_finished; the events seen so far may not have reached the old one yet (a reload). */
export async function resumeCurrentRun() {
  const { run } = store.get();
  if (!run) return;
  try {
    const answer = await api.resumeRun(run.run_id);
    followRun(run.run_id, { ...run, status: "queued", error: null }, answer.first_event_id - 1);
  } catch (error) {
    notify("error", `resume: ${error.message}`);
  }
}

/** Save when needed, then submit the saved file as a run and watch it. */
export async function runDocument({ priority = 0 } = {}) {
  const { path, dirty, issues } = store.get();
  if (issues.length) {
    notify("error", `fix the ${issues.length} issue(s) first`);
    return null;
  }
  if (!path) {
    notify("error", "save the document first (it needs a name in the graphs folder)");
    return null;
  }
  if (dirty && !(await saveDocument())) return null;
  try {
    const answer = await api.submitRun({ path, priority });
    followRun(answer.run_id);
    notify("info", `run ${answer.run_id.slice(0, 8)} queued${answer.position ? ` at position ${answer.position}` : ""}`);
    return answer.run_id;
  } catch (error) {
    const details = Array.isArray(error.body?.issues) ? `: ${error.body.issues.map((i) => i.message).join("; ")}` : "";
    notify("error", `run: ${error.message}${details}`);
    return null;
  }
}

/** After a reload: the run's record so far, then its events from the start. */
export async function restoreRun(runId) {
  try {
    const record = await api.getRun(runId);
    // Its events too, even when it is over: they carry the id a resume follows on from.
    followRun(runId, fromRecord(record, Object.keys(store.get().doc.nodes), store.get().fanout));
  } catch (error) {
    notify("error", `run ${runId}: ${error.message}`);
  }
}

export async function cancelCurrentRun() {
  const { run } = store.get();
  if (run) await api.cancelRun(run.run_id).catch((error) => notify("error", `cancel: ${error.message}`));
}
