"""Match videos: frames to an animated GIF (Pillow) or an MP4 (ffmpeg, where installed).

Frames are ``[H, W, 3]`` uint8 images: an env's ``rgb_array`` render, or a text frame drawn with
:func:`text_image` for games that only draw text.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

FORMATS = (".gif", ".mp4")
MAX_SIDE = 480  # frames are scaled down to at most this many pixels on their longer side


def check_video_path(path: str | Path) -> Path:
    """A writable ``.gif`` or ``.mp4`` path (``.mp4`` only where ffmpeg is installed)."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"--save {path}: write a .gif (or .mp4 where ffmpeg is installed)")
    if path.suffix.lower() == ".mp4" and shutil.which("ffmpeg") is None:
        raise ValueError(f"--save {path}: .mp4 needs ffmpeg, which is not installed; save a .gif instead")
    if not path.parent.exists():
        raise ValueError(f"--save {path}: directory {path.parent} does not exist")
    return path


def _font(size: int):  # noqa: ANN202 - a Pillow font
    from PIL import ImageFont

    try:
        import matplotlib

        mono = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSansMono.ttf"
        return ImageFont.truetype(str(mono), size)
    except (ImportError, OSError):
        return ImageFont.load_default()


def text_image(text: str, *, font_size: int = 14, background: tuple[int, int, int] = (20, 20, 24),
               foreground: tuple[int, int, int] = (230, 230, 230)) -> np.ndarray:
    """A picture of a text frame (escape codes removed): ``[H, W, 3]`` uint8."""
    from PIL import Image, ImageDraw

    from arena.play.view import strip_ansi

    lines = strip_ansi(text).splitlines() or [""]
    font = _font(font_size)
    width = max(1, max(len(line) for line in lines))
    cell_w = max(1, int(round(font.getlength("M")))) if hasattr(font, "getlength") else font_size // 2
    cell_h = int(font_size * 1.25)
    image = Image.new("RGB", (width * cell_w + 16, len(lines) * cell_h + 16), background)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((8, 8 + i * cell_h), line, fill=foreground, font=font)
    return np.asarray(image, dtype=np.uint8)


class VideoWriter:
    """Collects frames, then :meth:`close` writes ``path`` (GIF with Pillow, MP4 with ffmpeg)."""

    def __init__(self, path: str | Path, fps: float = 10.0) -> None:
        self.path = check_video_path(path)
        self.fps = float(fps) if fps and fps > 0 else 10.0
        self.frames: list[np.ndarray] = []
        self.size: tuple[int, int] | None = None

    def add(self, frame: np.ndarray) -> None:
        """Add one ``[H, W, 3]`` uint8 frame (scaled down when large; later frames match the first's size)."""
        from PIL import Image

        image = Image.fromarray(np.ascontiguousarray(np.asarray(frame, dtype=np.uint8)[..., :3]))
        if self.size is None:
            w, h = image.size
            scale = min(1.0, MAX_SIDE / max(w, h))
            self.size = (max(2, int(w * scale)) // 2 * 2, max(2, int(h * scale)) // 2 * 2)
        if image.size != self.size:
            image = image.resize(self.size)
        self.frames.append(np.asarray(image))

    def __len__(self) -> int:
        return len(self.frames)

    def close(self) -> Path:
        """Write the file (atomically: a temporary file renamed into place) and return its path."""
        if not self.frames:
            raise ValueError("no frames to save")
        tmp = self.path.with_name(self.path.name + ".part" + self.path.suffix)
        if self.path.suffix.lower() == ".gif":
            from PIL import Image

            images = [Image.fromarray(f).convert("P", palette=Image.Palette.ADAPTIVE, colors=64) for f in self.frames]
            duration = max(20, int(round(1000.0 / self.fps)))
            images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=duration, loop=0,
                           optimize=False, disposal=1)
        else:
            h, w = self.frames[0].shape[:2]
            command = ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                       "-s", f"{w}x{h}", "-r", f"{self.fps:g}", "-i", "-", "-pix_fmt", "yuv420p", "-f", "mp4",
                       str(tmp)]
            process = subprocess.run(command, input=b"".join(f.tobytes() for f in self.frames),
                                     capture_output=True, check=False)
            if process.returncode != 0:
                tmp.unlink(missing_ok=True)
                raise ValueError(f"ffmpeg could not write {self.path}: "
                                 f"{process.stderr.decode(errors='ignore').strip()[:200]}")
        tmp.replace(self.path)
        return self.path
