"""bench.gpu's dry run: the real-model benchmark's whole path (text.encode -> keyframe.generate ->
video.generate -> frames.upscale -> video.encode -> ffprobe) on a CPU with the tiny models."""
from __future__ import annotations

import re

from bench import gpu


def test_the_dry_run_goes_through_every_node_and_prints_the_figures(capsys):
    assert gpu.main(["--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "MP4: 128x128, 4 frames" in printed  # 64x64 SVD frames, upscaled 2x, every frame encoded
    rows = {line.split()[0]: line.split()[1:] for line in printed.splitlines()
            if line.split() and line.split()[0] in ("text.encode", "keyframe.generate", "video.generate",
                                                   "frames.upscale", "video.encode")}
    assert set(rows) == {"text.encode", "keyframe.generate", "video.generate", "frames.upscale", "video.encode"}
    load, warm, per_step = rows["video.generate"][:3]
    assert float(load) >= 0 and float(warm) > 0 and float(per_step) > 0
    assert "frames" in " ".join(rows["video.generate"]) and "peak RSS GB" in printed
    assert re.search(r"total [\d.]+ s, (within|OVER) the 600 s budget", printed)


def test_without_a_gpu_the_real_run_says_to_use_the_dry_run(capsys):
    import torch

    if torch.cuda.is_available():
        return  # on a GPU machine the real run is the benchmark itself, not a test
    assert gpu.main([]) == 2
    assert "--dry-run" in capsys.readouterr().err
