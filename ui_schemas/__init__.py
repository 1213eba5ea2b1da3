"""JSON Schemas for graph documents and node types, and their generator."""
