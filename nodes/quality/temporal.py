"""quality.temporal: measure how temporally consistent a frame sequence is, and optionally gate on it."""
from __future__ import annotations

from pydantic import Field

from reelgraph.nodes.api import Node, NodeParams
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.values import Frames


def sub_score(ratio: float) -> float:
    """1 for a perfect metric, 0.5 at its threshold, towards 0 as it gets worse."""
    return 1.0 / (1.0 + max(0.0, ratio))


def threshold_failures(meter, params) -> list[dict]:
    checks = [("warp_error", meter.warp.mean, "max_warp_error", params.max_warp_error, "above"),
              ("ssim", meter.ssim.mean, "min_ssim", params.min_ssim, "below"),
              ("flicker", meter.flicker, "max_flicker", params.max_flicker, "above")]
    return [{"metric": metric, "value": value, "threshold": name, "limit": limit,
             "message": f"{metric} {value:.4g} is {side} {name} {limit:.4g}"}
            for metric, value, name, limit, side in checks if (value < limit if side == "below" else value > limit)]


def build_report(meter, params) -> dict:
    ratios = {"warp_error": meter.warp.mean / params.max_warp_error,
              "ssim": (1.0 - meter.ssim.mean) / (1.0 - params.min_ssim),
              "flicker": meter.flicker / params.max_flicker}
    failures = threshold_failures(meter, params)
    return {
        "frames": meter.frames,
        "pairs": meter.warp.count,
        "warp_error": {"mean": meter.warp.mean, "max": meter.warp.max, "worst_pair": meter.warp.argmax},
        "occluded": {"mean": meter.occluded.mean, "max": meter.occluded.max},
        "ssim": {"mean": meter.ssim.mean, "min": meter.ssim.min, "worst_pair": meter.ssim.argmin},
        "flicker": meter.flicker,
        "luma_change": {"mean": meter.luma_delta.mean, "max_abs": max(abs(meter.luma_delta.min),
                                                                      abs(meter.luma_delta.max))},
        "score": sum(sub_score(r) for r in ratios.values()) / len(ratios),
        "thresholds": {"max_warp_error": params.max_warp_error, "min_ssim": params.min_ssim,
                       "max_flicker": params.max_flicker},
        "passed": not failures,
        "failures": failures,
    }


class TemporalQuality(Node):
    """Measure temporal consistency: optical-flow warping error (DIS flow, occlusions left out by a
    forward-backward check), mean frame-to-frame SSIM and luminance flicker, plus a combined score
    (1 is perfect, 0.5 means at the thresholds on average). With `gate`, a sequence past a threshold
    fails this node, and so the branch that follows it. Pairs of frames are read as they stream."""

    type = "quality.temporal"
    title = "Temporal consistency"
    category = "quality"
    inputs = {"frames": Input(PortKind.FRAMES, "The sequence to measure")}
    outputs = {
        "report": Output(PortKind.JSON, "Metrics (mean, worst pair), thresholds, score, passed, failures"),
        "frames": Output(PortKind.FRAMES, "The input frames, unchanged: connect the next step here so "
                                          "the gate holds it back"),
    }

    class Params(NodeParams):
        max_warp_error: float = Field(0.05, gt=0, le=1, description="Highest acceptable mean warping error "
                                      "(mean absolute RGB difference, 0..1, over pixels the flow explains)")
        min_ssim: float = Field(0.3, ge=-1, lt=1, description="Lowest acceptable mean SSIM between "
                                "consecutive frames (fast motion lowers it legitimately)")
        max_flicker: float = Field(3.0, gt=0, le=255, description="Highest acceptable std of the "
                                   "frame-to-frame mean-luminance change (0..255 scale)")
        gate: bool = Field(False, description="Fail the node (and the branch after it) when a threshold "
                                              "is exceeded")
        max_side: int = Field(512, ge=32, le=4096, description="Frames are shrunk to this longer side "
                                                               "before measuring (speed)")

    def run(self, ctx, params, *, frames: Frames):
        from reelgraph.nodes.quality.metrics import TemporalMeter

        meter = TemporalMeter(max_side=params.max_side)
        report_every = max(1, (frames.count or 100) // 100)
        for frame in frames:
            meter.add(frame)
            if meter.frames % report_every == 0:
                ctx.progress(meter.frames, frames.count, "measuring")
        if meter.frames < 2:
            raise NodeError(f"temporal metrics need at least two frames, got {meter.frames}", port="frames")
        report = build_report(meter, params)
        if params.gate and report["failures"]:
            failures = report["failures"]
            raise NodeError("temporal consistency gate failed: " + "; ".join(f["message"] for f in failures),
                            param=failures[0]["threshold"], code="quality_gate_failed",
                            hint=f"score {report['score']:.3f}; fix the sequence or relax the threshold")
        return {"report": report, "frames": frames}


NODE_TYPES = [TemporalQuality]
