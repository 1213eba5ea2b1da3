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
                <code>{String(r.sha256 || r.etag || r.id || "").slice(0, 10)}</code>{" "}
                <span className="muted small">{r.created_at || r.saved_at || ""} {r.saved_by || r.author || ""}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
