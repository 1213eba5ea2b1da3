// The render queue (GET queue): reorder by priority, cancel, pause and resume the workers.
import { useEffect, useState } from "react";
import * as api from "./api.js";
import { followRun } from "./session.js";
import { notify, useStore } from "./store.js";

const POLL_MS = 2000;

/** GET queue: {paused, queued: [...in the order workers take them], running: [...]} */
function normalise(data) {
  return { paused: Boolean(data?.paused), runs: [...(data?.running || []), ...(data?.queued || [])] };
}

export function QueuePanel() {
  const [queue, setQueue] = useState({ paused: false, runs: [] });
  const watched = useStore((s) => s.run?.run_id);
  const refresh = () => api.getQueue().then((data) => setQueue(normalise(data))).catch(() => {});
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, []);
  const act = (promise, what) => promise.then(refresh).catch((error) => notify("error", `${what}: ${error.message}`));
  const runs = queue.runs;
  const move = (index, delta) => {
    const other = runs[index + delta];
    if (!other || other.status !== "queued") return;
    const run = runs[index];
    // The queue is ordered by priority (highest first): step just past the neighbour.
    const priority = delta < 0 ? (other.priority ?? 0) + 1 : (other.priority ?? 0) - 1;
    act(api.setPriority(run.run_id || run.id, priority), "reorder");
  };
  return (
    <div className="queue-panel pad">
      <div className="row">
        <strong>{queue.paused ? "Paused" : "Running"}</strong>
        {queue.paused
          ? <button onClick={() => act(api.resumeQueue(), "resume")}>Resume queue</button>
          : <button onClick={() => act(api.pauseQueue(), "pause")}>Pause queue</button>}
      </div>
      {!runs.length && <p className="muted">Nothing queued or running.</p>}
      <ol className="queue-list">
        {runs.map((run, index) => {
          const id = run.run_id || run.id;
          return (
            <li key={id} className={`queue-item ${run.status}${id === watched ? " watched" : ""}`} data-run={id}>
              <div className="queue-line">
                <span className={`dot ${run.status}`} />
                <button className="link" title="Show this run's states on the canvas" onClick={() => followRun(id)}>
                  {run.graph || run.graph_name || id.slice(0, 8)}</button>
                <span className="muted small" title={`run ${id}, submitted ${run.created_at || ""} by ${run.submitted_by || "?"}`}>
                  {id.slice(0, 8)} · {run.status}{run.cancel_requested ? " (cancelling)" : ""} · p{run.priority ?? 0}</span>
              </div>
              <div className="queue-actions">
                <button className="small" disabled={run.status !== "queued" || runs[index - 1]?.status !== "queued"} onClick={() => move(index, -1)} title="Earlier">↑</button>
                <button className="small" disabled={index === runs.length - 1 || run.status !== "queued"} onClick={() => move(index, 1)} title="Later">↓</button>
                <button className="small" onClick={() => act(api.cancelRun(id), "cancel")}>Cancel</button>
              </div>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
