"""The workspace: the folder a graph document's relative paths are resolved against.

Paths that come from documents (images, catalogs, weights) must stay inside it, whatever `..`,
absolute paths or symlinks they use, unless the user allowed another folder explicitly
(`REELGRAPH_ALLOWED_DIRS`, os.pathsep-separated).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from reelgraph.nodes.errors import NodeError, PathOutsideWorkspace


def allowed_dirs_from_env() -> tuple[Path, ...]:
    raw = os.environ.get("REELGRAPH_ALLOWED_DIRS", "")
    return tuple(Path(p).resolve() for p in raw.split(os.pathsep) if p)


@dataclass(frozen=True)
class Workspace:
    root: Path
    allowed_dirs: tuple[Path, ...] = field(default_factory=allowed_dirs_from_env)

    def resolve(self, path: str | os.PathLike, *, param: str | None = None) -> Path:
        """The real path of `path` (relative to the root), refused when it leaves the workspace.

        Symlinks are resolved before the check, so a link pointing outside is refused too.
        """
        root = Path(self.root).resolve()
        try:
            candidate = Path(path)
            if not candidate.is_absolute():
                candidate = root / candidate
            real = candidate.resolve()
        except (OSError, ValueError) as error:  # a NUL byte, a name too long for the filesystem
            raise NodeError(f"'{path}' cannot be used as a path: {getattr(error, 'strerror', None) or error}",
                            param=param, hint="use a plain relative path", code="invalid_path") from None
        for base in (root, *self.allowed_dirs):
            if real == base or real.is_relative_to(base):
                return real
        raise PathOutsideWorkspace(str(path), param=param)
