// One small store for the editor's state, read by components through selectors.
//
// React Flow only holds what it must (node ids, positions, selection); everything a node shows
// (its spec, issues, run state, previews) is read here by node id, so an edit re-renders one
// node, not all 200.
import { useSyncExternalStore } from "react";

export function createStore(initial) {
  let state = initial;
  const listeners = new Set();
  return {
    get: () => state,
    set(update) {
      const next = typeof update === "function" ? update(state) : update;
      if (next === state) return;
      state = { ...state, ...next };
      listeners.forEach((listener) => listener());
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export const EMPTY_DOCUMENT = { reelgraph: 1, name: "untitled", description: "", matrix: {}, nodes: {} };

export const store = createStore({
  types: {},            // node type name -> its schema (GET node-types)
  typesError: null,
  doc: EMPTY_DOCUMENT,  // the document being edited, as JSON (positions in doc.ui.nodes)
  path: null,           // where it is saved in the graphs folder
  etag: null,           // of the saved file, sent as If-Match
  dirty: false,
  past: [],             // undo stack of earlier documents
  future: [],           // redo stack
  issues: [],           // POST validate: [{node, field, code, message}]
  issuesByNode: {},     // node id -> its issues (kept as one object so a node re-renders only when its own change)
  viewVersion: 0,       // bumped when a document is opened: the canvas fits it into view
  fanout: {},           // node id -> number of expansions (POST plan)
  selected: null,       // node id shown in the inspector
  selectOnly: null,     // node ids the canvas should select next (after a paste)
  run: null,            // {run_id, status, nodes: {node id: state}} of the run being watched
  notice: null,         // {kind: "error" | "info", text}
  auth: true,           // false after a 401: the page asks for the login URL
});

export function useStore(selector) {
  return useSyncExternalStore(store.subscribe, () => selector(store.get()));
}

const HISTORY_LIMIT = 200;

const COALESCE_MS = 1500;
let lastEdit = { key: null, at: 0 };

/** Change the document as one undoable edit. Edits with the same `coalesce` key in quick
 * succession (the keystrokes of one field) undo together. */
export function editDocument(change, coalesce = null) {
  const { doc, past } = store.get();
  const next = change(doc);
  if (next === doc) return;
  const now = Date.now();
  const merge = coalesce && lastEdit.key === coalesce && now - lastEdit.at < COALESCE_MS && past.length;
  lastEdit = { key: coalesce, at: now };
  store.set({ doc: next, past: merge ? past : [...past.slice(-HISTORY_LIMIT + 1), doc], future: [], dirty: true });
}

export function undo() {
  lastEdit = { key: null, at: 0 };
  const { doc, past, future } = store.get();
  if (!past.length) return;
  store.set({ doc: past[past.length - 1], past: past.slice(0, -1), future: [doc, ...future], dirty: true });
}

export function redo() {
  const { doc, past, future } = store.get();
  if (!future.length) return;
  store.set({ doc: future[0], past: [...past, doc], future: future.slice(1), dirty: true });
}

export function notify(kind, text) {
  store.set({ notice: { kind, text, at: Date.now() } });
}
