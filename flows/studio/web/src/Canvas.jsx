// The graph canvas (React Flow). The document in the store is the truth; React Flow keeps node
// positions while a drag is under way, and the drag's end writes them into the document's
// `ui` block as one undoable edit.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  Background, Controls, MiniMap, ReactFlow, applyNodeChanges, getBezierPath, useReactFlow,
} from "@xyflow/react";
import { addNode, connect, disconnect, edgesOf, positionsOf, removeNodes, setPositions } from "./document.js";
import { connectionAllowed, portSchema } from "./connections.js";
import { GraphNode } from "./GraphNode.jsx";
import { kindColor } from "./kinds.js";
import { editDocument, notify, store, useStore } from "./store.js";

const NODE_TYPES = { rg: GraphNode };
export const PALETTE_MIME = "application/x-reelgraph-node-type";

const portKind = (doc, types, nodeId, port, direction) => portSchema(doc, types, nodeId, port, direction)?.kind;

/** React Flow's check while an edge is dragged and when it is dropped, on the current document. */
function allowed(connection) {
  const { doc, types } = store.get();
  return connectionAllowed(doc, types, connection);
}

function ConnectionLine({ fromX, fromY, toX, toY, fromPosition, toPosition, connectionStatus, fromNode, fromHandle }) {
  const { doc, types } = store.get();
  const kind = fromNode && fromHandle
    && portKind(doc, types, fromNode.id, fromHandle.id, fromHandle.type === "source" ? "outputs" : "inputs");
  const [path] = getBezierPath({ sourceX: fromX, sourceY: fromY, sourcePosition: fromPosition, targetX: toX, targetY: toY, targetPosition: toPosition });
  const invalid = connectionStatus === "invalid";
  return (
    <g className={`connection-line ${connectionStatus || ""}`}>
      <path d={path} fill="none" strokeWidth={2} strokeDasharray={invalid ? "6 4" : undefined}
        stroke={invalid ? "#e5484d" : kindColor(kind)} />
      {invalid && <text x={toX + 8} y={toY - 8} fill="#e5484d" fontSize={12}>wrong kind</text>}
    </g>
  );
}

export function Canvas() {
  const doc = useStore((s) => s.doc);
  const types = useStore((s) => s.types);
  const viewVersion = useStore((s) => s.viewVersion);
  const { screenToFlowPosition, fitView } = useReactFlow();
  const [nodes, setNodes] = useState([]);
  const [selectedEdges, setSelectedEdges] = useState(() => new Set());
  const ids = Object.keys(doc.nodes);
  const idKey = ids.join("\n");
  const positions = positionsOf(doc);

  // The document's nodes and positions into React Flow's, keeping the objects that did not change.
  // `selectOnly` (set by paste) selects exactly the pasted nodes.
  const selectOnly = useStore((s) => s.selectOnly);
  useEffect(() => {
    const only = selectOnly && new Set(selectOnly);
    setNodes((previous) => {
      const before = new Map(previous.map((n) => [n.id, n]));
      return ids.map((id) => {
        const p = positions[id] || { x: 0, y: 0 };
        const old = before.get(id);
        const selected = only ? only.has(id) : Boolean(old?.selected);
        if (old && old.position.x === p.x && old.position.y === p.y && Boolean(old.selected) === selected) return old;
        return old ? { ...old, position: p, selected } : { id, type: "rg", position: p, data: {}, selected };
      });
    });
    if (only) store.set({ selectOnly: null });
  }, [idKey, positions, selectOnly]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    if (viewVersion) requestAnimationFrame(() => fitView({ padding: 0.15, maxZoom: 1 }));
  }, [viewVersion, fitView]);

  const edges = useMemo(() => edgesOf(doc).map((edge) => {
    const kind = portKind(doc, types, edge.source, edge.sourceHandle, "outputs");
    return { ...edge, selected: selectedEdges.has(edge.id), style: { stroke: kindColor(kind), strokeWidth: 2 } };
  }), [doc.nodes, types, selectedEdges]); // eslint-disable-line react-hooks/exhaustive-deps

  const onNodesChange = useCallback((changes) => {
    const kept = changes.filter((c) => c.type !== "remove");
    if (kept.length) setNodes((current) => applyNodeChanges(kept, current));
    const selection = changes.filter((c) => c.type === "select");
    if (selection.length) {
      const chosen = selection.filter((c) => c.selected).map((c) => c.id);
      if (chosen.length) store.set({ selected: chosen[chosen.length - 1] });
    }
  }, []);

  const onEdgesChange = useCallback((changes) => {
    const selection = changes.filter((c) => c.type === "select");
    if (!selection.length) return;
    setSelectedEdges((current) => {
      const next = new Set(current);
      for (const c of selection) c.selected ? next.add(c.id) : next.delete(c.id);
      return next;
    });
  }, []);

  const onNodeDragStop = useCallback((_, __, dragged) => {
    const moved = Object.fromEntries(dragged.map((n) => [n.id, n.position]));
    editDocument((d) => setPositions(d, moved));
  }, []);

  const onDelete = useCallback(({ nodes: gone, edges: cut }) => {
    editDocument((d) => {
      let next = d;
      for (const edge of cut) next = disconnect(next, edge.target, edge.targetHandle);
      return gone.length ? removeNodes(next, gone.map((n) => n.id)) : next;
    });
    if (gone.some((n) => n.id === store.get().selected)) store.set({ selected: null });
    setSelectedEdges(new Set());
  }, []);

  const onConnect = useCallback((connection) => {
    if (!allowed(connection)) {
      notify("error", "those ports carry different kinds of value");
      return;
    }
    editDocument((d) => connect(d, connection));
  }, []);

  const onDrop = useCallback((event) => {
    const type = event.dataTransfer.getData(PALETTE_MIME);
    if (!type) return;
    event.preventDefault();
    const point = screenToFlowPosition({ x: event.clientX, y: event.clientY });
    const position = { x: point.x - 110, y: point.y - 20 };  // the node's title under the cursor
    let added = null;
    editDocument((d) => { const result = addNode(d, type, position); added = result.id; return result.doc; });
    store.set({ selected: added });
  }, [screenToFlowPosition]);

  const onPaneClick = useCallback(() => store.set({ selected: null }), []);

  const big = nodes.length > 120;
  return (
    <div className={`canvas${big ? " big" : ""}`} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "copy"; }} onDrop={onDrop}>
      <ReactFlow
        nodes={nodes} edges={edges} nodeTypes={NODE_TYPES}
        onNodesChange={onNodesChange} onEdgesChange={onEdgesChange} onNodeDragStop={onNodeDragStop}
        onDelete={onDelete} onConnect={onConnect} isValidConnection={allowed}
        onPaneClick={onPaneClick}
        connectionLineComponent={ConnectionLine}
        deleteKeyCode={["Delete", "Backspace"]} multiSelectionKeyCode={["Shift", "Meta", "Control"]}
        onlyRenderVisibleElements={big} minZoom={0.1} maxZoom={2}
      >
        <Background gap={24} size={1} />
        <Controls showInteractive={false} />
        {!nodes.length && (
          <div className="empty-hint">Drag a node here from the palette, or open a graph from <b>Files</b>.</div>
        )}
        {!big && <MiniMap pannable zoomable nodeStrokeWidth={2} style={{ width: 150, height: 100 }} />}
      </ReactFlow>
    </div>
  );
}
