"""Video: encode frame sequences, soundtracks and subtitles into MP4 files."""
from reelgraph.nodes.video.encode import VideoEncode

NODE_TYPES = [VideoEncode]
