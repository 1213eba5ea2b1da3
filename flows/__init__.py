"""Execution: the node runner shared by every engine, the engines, run sessions and the CLI."""
