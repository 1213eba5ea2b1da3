// The selected node: its id, its inputs, and its params as a form generated from its schema.
import { useCallback, useEffect, useState } from "react";
import { disconnect, renameNode, setParam } from "./document.js";
import { kindColor } from "./kinds.js";
import { ParamForm } from "./ParamForm.jsx";
import { editDocument, store, useStore } from "./store.js";

const NO_ISSUES = [];

/** A docstring's paragraphs, its hard line breaks joined. */
const paragraphs = (text) => text.split(/\n\s*\n/).map((p) => p.replace(/\s*\n\s*/g, " ").trim()).filter(Boolean);

export function Inspector() {
  const id = useStore((s) => s.selected);
  const spec = useStore((s) => (id ? s.doc.nodes[id] : null));
  const schema = useStore((s) => (spec ? s.types[spec.type] : null));
  const issues = useStore((s) => (id ? s.issuesByNode[id] || NO_ISSUES : NO_ISSUES));
  const state = useStore((s) => (id ? s.run?.nodes[id] : null));
  const onChange = useCallback((path, value) => {
    editDocument((d) => setParam(d, id, path, value), `param:${id}:${path.join(".")}`);
  }, [id]);
  if (!id || !spec) return <p className="muted pad">Select a node to edit its params, or add one from the palette.</p>;
  const params = schema?.params?.properties || {};
  const inputs = schema?.inputs || {};
  const isInputIssue = (issue) => issue.field in inputs && issue.code !== "invalid_param";
  const nodeIssues = issues.filter((issue) => !issue.field || (!(issue.field.split(".")[0] in params) && !isInputIssue(issue)));
  return (
    <div className="inspector" data-node={id}>
      <RenameField id={id} />
      <div className="muted small">{spec.type}{schema ? ` · v${schema.version}` : ""}</div>
      {schema?.description && paragraphs(schema.description).map((text, i) => <p key={i} className="description">{text}</p>)}
      {nodeIssues.map((issue, i) => <div key={i} className="field-issue" role="alert">{issue.message}</div>)}
      {state?.status === "failed" && state.error && <div className="notice error">{state.error}</div>}
      {Object.keys(schema?.inputs || {}).length > 0 && (
        <section>
          <h4>Inputs</h4>
          {Object.entries(schema.inputs).map(([port, p]) => (
            <div className="input-row" key={port}>
              <i className="kind-dot" style={{ background: kindColor(p.kind) }} title={p.kind} />
              <span>{port}</span>
              <code>{spec.inputs?.[port] || (p.optional ? "—" : "not connected")}</code>
              {spec.inputs?.[port] && <button className="link" onClick={() => editDocument((d) => disconnect(d, id, port))}>✕</button>}
              {issues.filter((issue) => issue.field === port && isInputIssue(issue)).map((issue, i) => (
                <div key={i} className="field-issue input-issue" role="alert">{issue.message}</div>
              ))}
            </div>
          ))}
        </section>
      )}
      <section>
        <h4>Params</h4>
        {schema ? <ParamForm schema={schema} params={spec.params || {}} issues={issues} onChange={onChange} />
          : <p className="muted">Unknown node type: its params cannot be edited here.</p>}
      </section>
    </div>
  );
}

function RenameField({ id }) {
  const [draft, setDraft] = useState(id);
  useEffect(() => setDraft(id), [id]);
  const commit = () => {
    if (draft === id) return;
    const before = store.get().doc;
    editDocument((d) => renameNode(d, id, draft));
    if (store.get().doc !== before) store.set({ selected: draft });
    else setDraft(id);
  };
  return <input className="node-id" value={draft} onChange={(e) => setDraft(e.target.value)} onBlur={commit}
    onKeyDown={(e) => e.key === "Enter" && commit()} title="Node id (renaming rewires its edges)" />;
}
