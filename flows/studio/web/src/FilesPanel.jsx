// Documents in the graphs folder, and the saved revisions of the open one.
import { useEffect, useState } from "react";
import * as api from "./api.js";
import { newDocument, openDocument, saveDocument } from "./session.js";
import { notify, store, useStore } from "./store.js";

export function FilesPanel() {
  const path = useStore((s) => s.path);
  const etag = useStore((s) => s.etag);
  const [graphs, setGraphs] = useState([]);
  const [revisions, setRevisions] = useState([]);
  const [saveAs, setSaveAs] = useState("");
  useEffect(() => { api.listGraphs().then(setGraphs).catch((e) => notify("error", `graphs: ${e.message}`)); }, [path, etag]);
  useEffect(() => {
    if (path) api.graphRevisions(path).then(setRevisions).catch(() => setRevisions([]));
    else setRevisions([]);
  }, [path, etag]);
  const confirmLeave = () => !store.get().dirty || confirm("Discard the unsaved edits?");
  // A revision comes back as a new save of its text (so it is itself a revision, and undoable).
  const restore = async (revision) => {
    if (!confirmLeave()) return;
    try {
      const text = await api.revisionText(path, revision.id);
      await api.saveGraphText(path, text, store.get().etag);
      await openDocument(path);
      notify("info", `restored ${path} as of ${revision.created_at || `revision ${revision.id}`}`);
    } catch (error) {
      notify("error", `restore: ${error.message}`);
    }
  };
  return (
    <div className="files-panel pad">
      <div className="row">
        <input placeholder="name.yaml" value={saveAs} onChange={(e) => setSaveAs(e.target.value)} />
        <button onClick={() => saveAs && saveDocument(/\.(ya?ml|json)$/.test(saveAs) ? saveAs : `${saveAs}.yaml`)}>Save as</button>
      </div>
      <button className="small" onClick={() => confirmLeave() && newDocument()}>New document</button>
      <h4>Graphs</h4>
      <ul className="plain files">
        {graphs.map((g) => (
          <li key={g.path}>
            <button className={`link${g.path === path ? " on" : ""}`} onClick={() => confirmLeave() && openDocument(g.path)}>{g.path}</button>
            {g.name && g.name !== g.path && <span className="muted small"> {g.name}</span>}
          </li>
        ))}
      </ul>
      {path && (
        <>
          <h4>Revisions of {path}</h4>
          {!revisions.length && <p className="muted small">None saved from the studio yet.</p>}
          <ul className="plain revisions">
            {revisions.map((r, i) => (
              <li key={r.id || r.sha256 || i}>
                <code title={r.sha256}>{String(r.sha256 || "").slice(0, 10)}</code>{" "}
                <span className="muted small">{(r.created_at || "").replace("T", " ").slice(0, 19)} {r.saved_by || ""}</span>
                {i > 0 && <button className="link" onClick={() => restore(r)} title="Save this version again">restore</button>}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
