// The palette: every installed node type (GET node-types) by category. Drag one onto the canvas,
// or click it to add it in the middle of the view.
import { useMemo, useState } from "react";
import { useReactFlow } from "@xyflow/react";
import { PALETTE_MIME } from "./Canvas.jsx";
import { addNode } from "./document.js";
import { categoryColor, kindColor } from "./kinds.js";
import { editDocument, store, useStore } from "./store.js";

/** Below `start`, the first place no node covers (nodes are about 220 x 150). */
function freeSpot(start) {
  const taken = Object.values(store.get().doc.ui?.nodes || {});
  const spot = { ...start };
  while (taken.some((p) => Math.abs(p.x - spot.x) < 230 && Math.abs(p.y - spot.y) < 160)) spot.y += 170;
  return spot;
}

export function Palette() {
  const types = useStore((s) => s.types);
  const typesError = useStore((s) => s.typesError);
  const [query, setQuery] = useState("");
  const { screenToFlowPosition } = useReactFlow();
  const categories = useMemo(() => {
    const needle = query.trim().toLowerCase();
    const groups = {};
    for (const [name, schema] of Object.entries(types)) {
      const text = `${name} ${schema.title || ""} ${schema.category || ""} ${schema.description || ""}`.toLowerCase();
      if (needle && !text.includes(needle)) continue;
      (groups[schema.category || "other"] ||= []).push([name, schema]);
    }
    return Object.entries(groups).sort(([a], [b]) => a.localeCompare(b))
      .map(([category, list]) => [category, list.sort(([a], [b]) => a.localeCompare(b))]);
  }, [types, query]);

  const addAtCentre = (type) => {
    const canvas = document.querySelector(".canvas").getBoundingClientRect();
    const position = freeSpot(screenToFlowPosition({ x: canvas.left + canvas.width / 2 - 110, y: canvas.top + 60 }));
    let added = null;
    editDocument((d) => { const result = addNode(d, type, position); added = result.id; return result.doc; });
    store.set({ selected: added });
  };

  return (
    <aside className="palette" aria-label="Node palette">
      <input className="search" type="search" placeholder="Find a node…" value={query} onChange={(e) => setQuery(e.target.value)} />
      {typesError && <div className="notice error">{typesError}</div>}
      {categories.map(([category, list]) => (
        <details key={category} open className="palette-group">
          <summary style={{ borderLeftColor: categoryColor(category) }}>{category} <span className="muted">{list.length}</span></summary>
          {list.map(([name, schema]) => (
            <div key={name} className="palette-item" draggable data-type={name} title={schema.description || ""}
              onDragStart={(e) => { e.dataTransfer.setData(PALETTE_MIME, name); e.dataTransfer.effectAllowed = "copy"; }}
              onClick={() => addAtCentre(name)}>
              <div className="palette-title">{schema.title || name}</div>
              <div className="palette-meta">
                <code>{name}</code>
                <span className="kinds">
                  {Object.values(schema.outputs || {}).map((p, i) => <i key={i} style={{ background: kindColor(p.kind) }} title={p.kind} />)}
                </span>
              </div>
            </div>
          ))}
        </details>
      ))}
    </aside>
  );
}
