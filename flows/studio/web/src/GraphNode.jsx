// One node on the canvas: its ports coloured by kind, its issues, its fan-out, its run state
// and its output preview. It reads its own slice of the store, so edits elsewhere do not
// re-render it.
import { memo } from "react";
import { Handle, Position } from "@xyflow/react";
import { categoryColor, kindColor } from "./kinds.js";
import { Preview } from "./Preview.jsx";
import { useStore } from "./store.js";

const NO_ISSUES = [];
const STATUS_TEXT = {
  queued: "queued", running: "running", cached: "cached", succeeded: "succeeded",
  failed: "failed", skipped: "skipped", cancelled: "cancelled",
};

export const GraphNode = memo(function GraphNode({ id, selected }) {
  const spec = useStore((s) => s.doc.nodes[id]);
  const schema = useStore((s) => (spec ? s.types[spec.type] : undefined));
  const issues = useStore((s) => s.issuesByNode[id] || NO_ISSUES);
  const fanout = useStore((s) => s.fanout[id] || 1);
  const state = useStore((s) => s.run?.nodes[id]);
  if (!spec) return null;
  const inputs = Object.entries(schema?.inputs || {});
  const outputs = Object.entries(schema?.outputs || {});
  const outputKinds = Object.fromEntries(outputs.map(([port, p]) => [port, p.kind]));
  const status = state?.status;
  const progress = status === "running" && state.total ? Math.min(1, state.done / state.total) : null;
  return (
    <div className={`rg-node${selected ? " selected" : ""}${issues.length ? " has-issues" : ""}${status ? ` status-${status}` : ""}`}
      data-node-id={id} data-status={status || ""}>
      <div className="rg-head" style={{ borderTopColor: categoryColor(schema?.category) }}>
        <span className="rg-id">{id}</span>
        {fanout > 1 && <span className="badge fanout" title={`runs ${fanout} times (matrix)`}>×{fanout}</span>}
        {issues.length > 0 && <span className="badge issue" title={issues.map((i) => i.message).join("\n")}>!{issues.length}</span>}
      </div>
      <div className="rg-type" title={schema?.description || ""}>{schema?.title || spec.type}{!schema && " (unknown type)"}</div>
      <div className="rg-ports">
        <div className="rg-inputs">
          {inputs.map(([port, p]) => {
            const problem = issues.find((issue) => issue.field === port && issue.code !== "invalid_param");
            return (
            <div className={`rg-port in${problem ? " port-issue" : ""}`} key={port}
              title={problem ? problem.message : `${p.kind}${p.optional ? " (optional)" : ""}: ${p.description || ""}`}>
              <Handle type="target" position={Position.Left} id={port} className={`kind-${p.kind}`}
                style={{ background: kindColor(p.kind) }} />
              <span className={p.optional ? "optional" : ""}>{port}</span>
            </div>
            );
          })}
        </div>
        <div className="rg-outputs">
          {outputs.map(([port, p]) => (
            <div className="rg-port out" key={port} title={`${p.kind}: ${p.description || ""}`}>
              <span>{port}</span>
              <Handle type="source" position={Position.Right} id={port} className={`kind-${p.kind}`}
                style={{ background: kindColor(p.kind) }} />
            </div>
          ))}
        </div>
      </div>
      {status && (
        <div className="rg-status" data-testid="node-status">
          <span className={`dot ${status}`} />
          <span>{STATUS_TEXT[status] || status}{fanout > 1 && state.finished ? ` ${state.finished}/${fanout}` : ""}</span>
          {progress !== null && <progress value={progress} max={1} title={state.message || ""} />}
        </div>
      )}
      {status === "failed" && state.error && <div className="rg-error" title={state.error}>{state.error}</div>}
      {issues.length > 0 && !status && <div className="rg-issue-line">{issues[0].message}</div>}
      {(status === "succeeded" || status === "cached" || status === "running") && <Preview state={state} outputKinds={outputKinds} />}
    </div>
  );
});
