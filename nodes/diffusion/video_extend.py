"""video.extend: a clip longer than the video model makes at once, by chaining it on its own frames.

Segment 1 animates the picture. Segment k+1 animates frame F - overlap of segment k (F frames a
segment), so its first `overlap` frames retell the last `overlap` frames of segment k; those are
crossfaded, and the clip runs on without a jump. N segments give N*F - (N-1)*overlap frames.
"""
from __future__ import annotations

from pydantic import Field

from reelgraph.nodes.api import Node
from reelgraph.nodes.diffusion.loading import model_identity
from reelgraph.nodes.diffusion.video_generate import VideoGenerate
from reelgraph.nodes.errors import NodeError
from reelgraph.nodes.ports import Input, Output, PortKind
from reelgraph.nodes.sequence.timeline import CROSSFADE, Transition, assemble_frames, sequence_length
from reelgraph.nodes.values import Frames


class VideoExtend(Node):
    """Animate a picture into a long clip: an image-to-video model chained on its own frames, segment
    after segment (segment k+1 starts from segment k's frame F - overlap, and the overlap is crossfaded)."""

    type = "video.extend"
    version = 1
    title = "Extend video"
    category = "diffusion"
    inputs = {"image": Input(PortKind.IMAGE, "The picture to animate (the clip's first frame)")}
    outputs = {"frames": Output(PortKind.FRAMES, "The whole clip, at fps")}
    resources = VideoGenerate.resources

    class Params(VideoGenerate.Params):
        segments: int = Field(2, ge=1, le=64, description="How many times the model runs")
        overlap: int = Field(2, ge=1, le=32, description="Frames each segment shares with the previous one, "
                                                         "crossfaded; fewer than `frames`")

    @classmethod
    def model_ids(cls, params) -> list[str]:
        return [model_identity(params)]

    def run(self, ctx, params, *, image):
        if params.overlap >= params.frames:
            raise NodeError(f"overlap {params.overlap} leaves nothing new in a {params.frames}-frame segment",
                            param="overlap", hint="use an overlap smaller than frames")
        from PIL import Image

        generate = VideoGenerate()
        segment_params = VideoGenerate.Params(**params.model_dump(exclude={"segments", "overlap"}))
        segments: list[list] = []
        picture = image
        for index in range(params.segments):
            ctx.progress(index, params.segments, f"segment {index + 1} of {params.segments}")
            seeded = segment_params.model_copy(update={"seed": (params.seed + index) % 2**32})
            clip = list(generate.run(ctx, seeded, image=picture)["frames"])   # uint8 frames of one segment
            segments.append(clip)
            picture = Image.fromarray(clip[len(clip) - params.overlap])
        ctx.progress(params.segments, params.segments, "segments done")
        transitions = [Transition(CROSSFADE, params.overlap)] * (len(segments) - 1)
        height, width = segments[0][0].shape[:2]
        count = sequence_length([len(clip) for clip in segments], transitions)
        sources = [lambda clip=clip: iter(clip) for clip in segments]
        return {"frames": Frames(fps=params.fps, width=width, height=height, count=count,
                                 source=lambda: assemble_frames(sources, transitions))}
