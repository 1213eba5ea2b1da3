// The top bar: the document, save, undo/redo, run and the watched run's state.
import { cancelCurrentRun, resumeCurrentRun, runDocument, saveDocument } from "./session.js";
import { useReactFlow } from "@xyflow/react";
import { baseId } from "./document.js";
import { editDocument, redo, store, undo, useStore } from "./store.js";

export function Toolbar({ onShowFiles, panels, onPanels }) {
  const name = useStore((s) => s.doc.name);
  const path = useStore((s) => s.path);
  const dirty = useStore((s) => s.dirty);
  const issues = useStore((s) => s.issues);
  const empty = useStore((s) => Object.keys(s.doc.nodes).length === 0);
  const canUndo = useStore((s) => s.past.length > 0);
  const canRedo = useStore((s) => s.future.length > 0);
  const run = useStore((s) => s.run);
  const active = run && (run.status === "queued" || run.status === "running");
  const { fitView } = useReactFlow();
  // The pill takes you to the first node with an issue (the others are in its tooltip).
  const showFirstIssue = () => {
    const issue = issues.find((i) => i.node && store.get().doc.nodes[baseId(i.node)]);
    if (!issue) return;
    const id = baseId(issue.node);
    store.set({ selected: id, selectOnly: [id] });
    fitView({ nodes: [{ id }], maxZoom: 1, duration: 200 });
  };
  return (
    <header className="toolbar">
      <button className={`link${panels.palette ? " on" : ""}`} title="Show or hide the palette"
        onClick={() => onPanels({ ...panels, palette: !panels.palette })}>☰</button>
      <span className="brand">reelgraph<span className="muted"> studio</span></span>
      <input className="doc-name" value={name} title="The graph's name"
        onChange={(e) => editDocument((d) => ({ ...d, name: e.target.value }), "name")} />
      <button className="link path" onClick={onShowFiles} title="Open, save as, revisions">
        {path || "not saved"}{dirty ? " •" : ""}</button>
      <button onClick={() => (path ? saveDocument() : onShowFiles())} title="Save (Ctrl+S)">Save</button>
      <button onClick={undo} disabled={!canUndo} title="Undo (Ctrl+Z)">↶</button>
      <button onClick={redo} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)">↷</button>
      <span className={`issues-count${issues.length ? " bad" : " good"}`} data-testid="issues-count"
        onClick={showFirstIssue} role={issues.length ? "button" : undefined}
        title={issues.map((i) => `${i.node ? i.node + ": " : ""}${i.message}`).join("\n")}>
        {issues.length ? `${issues.length} issue${issues.length > 1 ? "s" : ""}` : empty ? "empty" : "valid"}</span>
      <span className="spacer" />
      {run && (
        <span className={`run-status ${run.status}`} data-testid="run-status" data-run={run.run_id}>
          run {run.run_id.slice(0, 8)}: {run.status}{run.status === "queued" && run.position ? ` (#${run.position} in the queue)` : ""}
        </span>
      )}
      {active && <button onClick={cancelCurrentRun}>Cancel</button>}
      {run && ["failed", "cancelled", "interrupted"].includes(run.status) && (
        <button onClick={resumeCurrentRun} title="Run again what did not finish; what is done stays done">Resume</button>
      )}
      <button className={`link${panels.side ? " on" : ""}`} title="Show or hide the side panel"
        onClick={() => onPanels({ ...panels, side: !panels.side })}>◧</button>
      <button className="primary" onClick={() => runDocument()} disabled={issues.length > 0 || empty} title="Run (Ctrl+Enter)">▶ Run</button>
    </header>
  );
}
