// Matrix variables: a node whose params use ${var} runs once per value.
import { useEffect, useState } from "react";
import { editDocument, useStore } from "./store.js";

const NONE = {};
const scalar = (text) => {
  const t = text.trim();
  if (t === "true" || t === "false") return t === "true";
  if (t !== "" && !Number.isNaN(Number(t))) return Number(t);
  return t.replace(/^"(.*)"$/, "$1");
};

function setMatrix(doc, matrix) {
  return { ...doc, matrix };
}

export function MatrixPanel() {
  const matrix = useStore((s) => s.doc.matrix) || NONE;
  const fanout = useStore((s) => s.fanout);
  const issues = useStore((s) => s.issues).filter((i) => String(i.field || "").startsWith("matrix"));
  const [name, setName] = useState("");
  const add = () => {
    const key = name.trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) || key in matrix) return;
    editDocument((d) => setMatrix(d, { ...(d.matrix || {}), [key]: [] }));
    setName("");
  };
  const fanned = Object.entries(fanout).filter(([, n]) => n > 1);
  return (
    <div className="matrix-panel pad">
      <p className="muted small">A node that uses <code>{"${var}"}</code> in a param runs once per value (and so do the nodes downstream of it).</p>
      {Object.entries(matrix).map(([key, values]) => <MatrixRow key={key} name={key} values={values} />)}
      <div className="row">
        <input placeholder="new variable" value={name} onChange={(e) => setName(e.target.value)} onKeyDown={(e) => e.key === "Enter" && add()} />
        <button onClick={add}>Add</button>
      </div>
      {issues.map((issue, i) => <div key={i} className="field-issue">{issue.message}</div>)}
      {fanned.length > 0 && (
        <>
          <h4>Fan-out</h4>
          <ul className="plain">{fanned.map(([id, n]) => <li key={id}><code>{id}</code> ×{n}</li>)}</ul>
        </>
      )}
    </div>
  );
}

function MatrixRow({ name, values }) {
  const text = values.map(String).join(", ");
  const [draft, setDraft] = useState(text);
  useEffect(() => setDraft(text), [text]);
  const commit = (value) => editDocument((d) => setMatrix(d, {
    ...d.matrix, [name]: value.split(",").map((v) => v.trim()).filter((v) => v !== "").map(scalar) }), `matrix:${name}`);
  return (
    <div className="matrix-row" data-var={name}>
      <label><code>{name}</code> <span className="muted">({values.length})</span></label>
      <input value={draft} placeholder="values, comma separated" onChange={(e) => { setDraft(e.target.value); commit(e.target.value); }} />
      <button className="link" title="Remove the variable" onClick={() => editDocument((d) => {
        const next = { ...d.matrix };
        delete next[name];
        return setMatrix(d, next);
      })}>✕</button>
    </div>
  );
}
