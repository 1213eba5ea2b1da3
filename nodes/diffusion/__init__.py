"""Diffusion nodes: prompt embeddings, keyframes (text or image to image), video (image to video, extended).

Machinery in one module per concept: loading (model identity, devices, dtypes, the model cache),
prompts (embeddings in and out), schedulers (the allow-list), sampling (running a resident model).
Heavy imports (torch, diffusers) happen inside functions, so listing node types stays fast.
"""
from reelgraph.nodes.diffusion.keyframe import KeyframeGenerate
from reelgraph.nodes.diffusion.text_encode import TextEncode
from reelgraph.nodes.diffusion.video_extend import VideoExtend
from reelgraph.nodes.diffusion.video_generate import VideoGenerate

NODE_TYPES = [TextEncode, KeyframeGenerate, VideoGenerate, VideoExtend]
