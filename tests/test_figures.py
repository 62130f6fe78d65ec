"""Pose pictures: every pose in the catalogue renders to a small PNG, both sides, and the left
side is the mirror image of the right."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageOps

from bot.presentation.figures import HEIGHT, WIDTH, pose_names, render_pose

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Names other parts of the bot (routine files) refer to; none may go missing.
REQUIRED = {
    "forward-fold", "forward-fold-relaxed", "low-lunge", "lunge-side-reach", "half-split", "childs-pose",
    "walking-the-dog", "neck-side-bend", "chin-tuck", "shoulder-rolls", "chest-opener", "upper-back-stretch",
    "overhead-side-reach", "seated-twist", "wrist-flexor-stretch", "wrist-extensor-stretch",
    "standing-hip-flexor", "standing-quad", "seated-hamstring", "seated-figure-four", "cat-cow",
    "knee-to-chest", "supine-twist", "pelvic-tilt", "supine-hamstring", "sphinx",
}
#: Symmetric poses: one picture serves both sides.
UNSIDED = {"childs-pose", "chin-tuck", "shoulder-rolls", "chest-opener", "upper-back-stretch", "cat-cow",
           "pelvic-tilt", "sphinx"}


def _image(data: bytes) -> Image.Image:
    assert data.startswith(PNG_SIGNATURE)
    assert 1_000 < len(data) < 30_000
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def test_the_catalogue_holds_every_pose_the_routines_use() -> None:
    assert pose_names() >= REQUIRED


def test_every_routine_picture_is_in_the_catalogue() -> None:
    from bot.domain.routines import load_routines

    pictures = {step.picture_name for routine in load_routines().values() for step in routine.steps}
    assert pictures - {None} <= pose_names()


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_each_pose_renders_both_sides(name: str) -> None:
    right = _image(render_pose(name))
    left = _image(render_pose(name, mirrored=True))
    assert right.size == left.size == (WIDTH, HEIGHT)
    # White background, with a drawing on it: the corners are white, and a fair share of the
    # picture is not.
    assert right.getpixel((0, 0)) == (255, 255, 255) or name == "supine-twist"
    inked = int((np.asarray(right.convert("L")) < 200).sum())
    assert inked > WIDTH * HEIGHT * 0.02
    if name in UNSIDED:
        assert left.tobytes() == right.tobytes()
    else:
        assert left.tobytes() != right.tobytes()
        # The left side is the right side's mirror image (give or take antialiasing at the edges
        # of a window that is not pixel-symmetric).
        flipped = np.asarray(ImageOps.mirror(right), dtype=np.int16)
        differing = int((np.abs(flipped - np.asarray(left, dtype=np.int16)).max(axis=2) > 60).sum())
        assert differing < WIDTH * HEIGHT * 0.01, differing


def test_rendering_is_deterministic() -> None:
    assert render_pose("forward-fold") == render_pose("forward-fold")
    from bot.presentation import figures

    figures._render.cache_clear()
    assert render_pose("low-lunge", mirrored=True) == render_pose("low-lunge", mirrored=True)


def test_an_unknown_pose_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="no-such-pose"):
        render_pose("no-such-pose")
