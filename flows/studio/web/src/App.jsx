// The studio editor: palette | canvas | side panel (node, matrix, queue, files).
import { useEffect, useState } from "react";
import { ReactFlowProvider } from "@xyflow/react";
import { Canvas } from "./Canvas.jsx";
import { FilesPanel } from "./FilesPanel.jsx";
import { Inspector } from "./Inspector.jsx";
import { MatrixPanel } from "./MatrixPanel.jsx";
import { Palette } from "./Palette.jsx";
import { QueuePanel } from "./QueuePanel.jsx";
import { loadTypes, openDocument, readLocation, restoreRun, validateOnEdit } from "./session.js";
import { Shortcuts } from "./Shortcuts.jsx";
import { store, useStore } from "./store.js";
import { Toolbar } from "./Toolbar.jsx";

const TABS = [["node", "Node"], ["matrix", "Matrix"], ["queue", "Queue"], ["files", "Files"]];

export function App() {
  const [tab, setTab] = useState("node");
  const [panels, setPanels] = useState({ palette: true, side: true });  // hide either on a small screen
  const auth = useStore((s) => s.auth);
  const selected = useStore((s) => s.selected);
  useEffect(() => { if (selected) setTab("node"); }, [selected]);
  useEffect(() => {
    const stop = validateOnEdit();
    // The address names the document and the run (#graph=clip.yaml&run=...): a reload, a
    // bookmark or a pasted link opens both.
    const follow = async () => {
      const { path, run } = readLocation();
      const state = store.get();
      if (path && path !== state.path) {
        if (state.dirty && !confirm(`Discard the unsaved edits to ${state.path || "this graph"}?`)) return;
        if (!(await openDocument(path))) return;
      }
      if (run && run !== store.get().run?.run_id) await restoreRun(run);
    };
    // Node types and the document load side by side: nodes draw as soon as both are in.
    window.addEventListener("hashchange", follow);
    Promise.all([loadTypes(), follow()]).then(() => {
      if (!readLocation().path) setTab("files");
    });
    const warn = (event) => { if (store.get().dirty) event.preventDefault(); };
    window.addEventListener("beforeunload", warn);
    return () => {
      stop();
      window.removeEventListener("beforeunload", warn);
      window.removeEventListener("hashchange", follow);
    };
  }, []);
  if (!auth) return <LoginNeeded />;
  return (
    <ReactFlowProvider>
      <Shortcuts />
      <div className="app">
        <Toolbar onShowFiles={() => setTab("files")} panels={panels} onPanels={setPanels} />
        <div className={`workspace${panels.palette ? "" : " no-palette"}${panels.side ? "" : " no-side"}`}>
          {panels.palette && <Palette />}
          <Canvas />
          {panels.side && <aside className="side">
            <nav className="tabs">
              {TABS.map(([key, label]) => (
                <button key={key} className={tab === key ? "on" : ""} onClick={() => setTab(key)} data-tab={key}>{label}</button>
              ))}
            </nav>
            <div className="side-body">
              {tab === "node" && <Inspector />}
              {tab === "matrix" && <MatrixPanel />}
              {tab === "queue" && <QueuePanel />}
              {tab === "files" && <FilesPanel />}
            </div>
          </aside>}
        </div>
        <Notice />
      </div>
    </ReactFlowProvider>
  );
}

function Notice() {
  const notice = useStore((s) => s.notice);
  useEffect(() => {
    if (!notice) return undefined;
    const timer = setTimeout(() => store.set({ notice: null }), notice.kind === "error" ? 8000 : 3000);
    return () => clearTimeout(timer);
  }, [notice]);
  if (!notice) return null;
  return <div className={`toast ${notice.kind}`} role="status" onClick={() => store.set({ notice: null })}>{notice.text}</div>;
}

function LoginNeeded() {
  return (
    <div className="login-needed">
      <h1>reelgraph studio</h1>
      <p>This browser is not signed in. Open the login link that <code>reelgraph ui</code> printed when it started
        (it carries the token from <code>REELGRAPH_UI_TOKEN</code> or <code>.reelgraph/ui-token</code>).</p>
    </div>
  );
}
