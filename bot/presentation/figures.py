"""Pose pictures: clean line figures drawn from joint data (routines/pictures/poses.toml) to PNG.

Every pose is stored once, for the RIGHT side; ``mirrored=True`` draws the LEFT side as its mirror
image. The limbs of the working side are drawn in an accent colour, the other side's in a dark
neutral, and limbs on the far side of the body behind the rest, lighter. The pictures carry no
text, so they need no fonts; the output is deterministic (same data, same bytes).
"""

from __future__ import annotations

import io
import math
import tomllib
from functools import cache, lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Where the pose catalogue lives inside the ``routines`` package. A folder of its own: every
#: ``*.toml`` directly in ``routines/`` is loaded as a routine.
CATALOGUE = ("pictures", "poses.toml")

Point = tuple[float, float]
Limb = Literal["r_arm", "l_arm", "r_leg", "l_leg"]

#: Picture size in pixels (width, height). Each pose is scaled to fill the picture, at most this
#: many pixels per unit (a standing person is about 10 units tall), so compact poses do not balloon.
WIDTH, HEIGHT, DPI = 480, 360, 100
MAX_PIXELS_PER_UNIT = 38.0
#: Stroke widths in units, so they scale with the zoom.
TORSO_WIDTH, LIMB_WIDTH, HAND_WIDTH, PROP_WIDTH = 0.5, 0.42, 0.3, 0.16
HEAD_RADIUS = 0.66
ARROW_HEAD = 0.5
MARGIN = 0.5

BODY = "#37474f"        # torso, head and the other side's near limbs
ACCENT = "#ef6c00"      # the working side
ACCENT_FAR = "#ffb877"  # the working side, behind the body
OTHER_FAR = "#a7b6bd"   # the other side, behind the body
PROP = "#c5cacd"        # floor, chair, desk
PROP_DARK = "#9aa3a8"   # ruler ticks
MAT = "#eef1f2"
ARROW = "#1e88e5"       # movement arrows
STRAP = "#8d6e63"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Joints(_Model):
    """Joint positions. Shoulders default to the neck and hips to the pelvis (side views);
    ``chest`` bends the spine through that point; ``*_fingers`` adds a hand beyond the wrist."""

    head: Point
    neck: Point
    pelvis: Point
    chest: Point | None = None
    r_shoulder: Point | None = None
    r_elbow: Point | None = None
    r_hand: Point | None = None
    r_fingers: Point | None = None
    l_shoulder: Point | None = None
    l_elbow: Point | None = None
    l_hand: Point | None = None
    l_fingers: Point | None = None
    r_hip: Point | None = None
    r_knee: Point | None = None
    r_ankle: Point | None = None
    r_toe: Point | None = None
    l_hip: Point | None = None
    l_knee: Point | None = None
    l_ankle: Point | None = None
    l_toe: Point | None = None

    @model_validator(mode="after")
    def _limbs_are_whole(self) -> Joints:
        for side in "rl":
            for middle, end in (("elbow", "hand"), ("knee", "ankle")):
                has_middle = getattr(self, f"{side}_{middle}") is not None
                has_end = getattr(self, f"{side}_{end}") is not None
                if has_middle != has_end:
                    raise ValueError(f"{side}_{middle} and {side}_{end} go together")
            for extra, base in (("fingers", "hand"), ("toe", "ankle")):
                if getattr(self, f"{side}_{extra}") is not None and getattr(self, f"{side}_{base}") is None:
                    raise ValueError(f"{side}_{extra} needs {side}_{base}")
        return self

    def points(self) -> list[Point]:
        return [value for value in self.model_dump().values() if value is not None]


class Floor(_Model):
    kind: Literal["floor"]
    y: float = 0.0
    #: Extent; by default the width of the figure plus a margin.
    x: tuple[float, float] | None = None


class Chair(_Model):
    """A simple chair: seat from x[0] to x[1] at ``height``, a backrest at one end (or none)."""

    kind: Literal["chair"]
    x: tuple[float, float]
    height: float = 2.7
    back: Literal["left", "right", "none"] = "left"
    back_height: float = 3.6


class Desk(_Model):
    kind: Literal["desk"]
    x: tuple[float, float]
    height: float = 5.6


class Mat(_Model):
    """An exercise mat seen from above (for views from above): a light rounded rectangle."""

    kind: Literal["mat"]
    x: tuple[float, float]
    y: tuple[float, float]


class Ruler(_Model):
    """Tick marks on the floor: where the fingertips reach."""

    kind: Literal["ruler"]
    x: tuple[float, float]
    y: float = 0.0
    step: float = 0.4


class Arc(_Model):
    """A curved arrow along a circle's arc, from ``start`` to ``end`` (degrees, anticlockwise
    from the right), with its head at ``end``."""

    kind: Literal["arc"]
    center: Point
    radius: float = Field(gt=0)
    start: float
    end: float


class Arrow(_Model):
    """A straight arrow from ``start`` to ``end``, with its head at ``end``."""

    kind: Literal["arrow"]
    start: Point
    end: Point


class Strap(_Model):
    """A thin strap or towel line through the given points."""

    kind: Literal["strap"]
    points: list[Point] = Field(min_length=2)


Prop = Annotated[Floor | Chair | Desk | Mat | Ruler | Arc | Arrow | Strap, Field(discriminator="kind")]


class Pose(_Model):
    #: "side": the figure faces right; "front": seen from behind, the figure's right on the right.
    view: Literal["side", "front"]
    #: False for a symmetric pose: there is one picture, ``mirrored`` changes nothing.
    sided: bool = True
    #: Limbs in the accent colour (default: the right arm and leg when sided).
    accent: list[Limb] | None = None
    #: Limbs drawn behind the body, lighter (default: the left ones in a side view).
    far: list[Limb] | None = None
    #: The window to show (x0, y0, x1, y1); by default everything, centred.
    frame: tuple[float, float, float, float] | None = None
    joints: Joints
    props: list[Prop] = []

    def accent_limbs(self) -> set[str]:
        if self.accent is not None:
            return set(self.accent)
        return {"r_arm", "r_leg"} if self.sided else set()

    def far_limbs(self) -> set[str]:
        if self.far is not None:
            return set(self.far)
        return {"l_arm", "l_leg"} if self.view == "side" else set()


class Catalogue(_Model):
    poses: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")], Pose] = Field(min_length=1)


@cache
def _catalogue() -> Catalogue:
    folder, name = CATALOGUE
    text = (files("routines") / folder / name).read_text(encoding="utf-8")
    return Catalogue.model_validate(tomllib.loads(text))


def pose_names() -> frozenset[str]:
    """Every pose in the catalogue."""
    return frozenset(_catalogue().poses)


def render_pose(name: str, *, mirrored: bool = False) -> bytes:
    """The pose as a PNG: the right side, or with ``mirrored`` the left side (its mirror image).

    Raises KeyError for a name not in the catalogue."""
    pose = _catalogue().poses.get(name)
    if pose is None:
        raise KeyError(name)
    return _render(name, mirrored and pose.sided)


@lru_cache(maxsize=128)
def _render(name: str, mirrored: bool) -> bytes:
    # Loaded on first use, like the progress chart; the object API, never pyplot (worker threads).
    from matplotlib.figure import Figure

    pose = _catalogue().poses[name]
    sign = -1.0 if mirrored else 1.0

    def flip(point: Point) -> Point:
        return (sign * point[0], point[1])

    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor="white")
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axes.set_axis_off()
    x0, y0, x1, y1 = _window(pose)
    if mirrored:
        x0, x1 = -x1, -x0
    axes.set_xlim(x0, x1)
    axes.set_ylim(y0, y1)
    # Points per unit: stroke widths are given in units so they follow the zoom.
    unit = WIDTH / (x1 - x0) * 72.0 / DPI
    for prop in pose.props:
        _draw_prop(axes, prop, pose, flip, unit)
    joints = pose.joints
    accent, far = pose.accent_limbs(), pose.far_limbs()

    def line(points: list[Point], colour: str, width: float, zorder: float) -> None:
        xs, ys = zip(*(flip(p) for p in points), strict=True)
        axes.plot(xs, ys, color=colour, linewidth=width * unit, solid_capstyle="round",
                  solid_joinstyle="round", zorder=zorder)

    for limb in ("r_arm", "l_arm", "r_leg", "l_leg"):
        chain, tip = _chain(joints, limb)
        if len(chain) < 2:
            continue
        is_far, is_accent = limb in far, limb in accent
        colour = (ACCENT_FAR if is_far else ACCENT) if is_accent else (OTHER_FAR if is_far else BODY)
        zorder = 2.0 if is_far else 4.0
        line(chain, colour, LIMB_WIDTH, zorder)
        if tip is not None:  # the hand or foot: a slimmer stroke beyond the wrist or ankle
            line([chain[-1], tip], colour, HAND_WIDTH, zorder)
    # The torso: a smooth curve from pelvis to neck through the chest, shoulder and hip bars.
    line(_spine(joints), BODY, TORSO_WIDTH, 3.0)
    for left, right in (("l_shoulder", "r_shoulder"), ("l_hip", "r_hip")):
        a, b = getattr(joints, left), getattr(joints, right)
        if a is not None and b is not None:
            line([a, b], BODY, TORSO_WIDTH, 3.0)
    line([joints.neck, joints.head], BODY, TORSO_WIDTH * 0.8, 3.0)
    from matplotlib.patches import Circle

    axes.add_patch(Circle(flip(joints.head), HEAD_RADIUS, facecolor=BODY, edgecolor="none", zorder=3.1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _chain(joints: Joints, limb: str) -> tuple[list[Point], Point | None]:
    """A limb's joints from shoulder or hip to wrist or ankle, and its fingertips or toe."""
    side, kind = limb.split("_")
    names = ("shoulder", "elbow", "hand", "fingers") if kind == "arm" else ("hip", "knee", "ankle", "toe")
    root: Point = getattr(joints, f"{side}_{names[0]}") or (joints.neck if kind == "arm" else joints.pelvis)
    middle: Point | None = getattr(joints, f"{side}_{names[1]}")
    end: Point | None = getattr(joints, f"{side}_{names[2]}")
    tip: Point | None = getattr(joints, f"{side}_{names[3]}")
    if middle is None or end is None:
        return [root], None
    return [root, middle, end], tip


def _spine(joints: Joints, steps: int = 16) -> list[Point]:
    if joints.chest is None:
        return [joints.pelvis, joints.neck]
    (ax, ay), (mx, my), (bx, by) = joints.pelvis, joints.chest, joints.neck
    # A quadratic Bézier that passes through the chest point half-way.
    cx, cy = 2 * mx - (ax + bx) / 2, 2 * my - (ay + by) / 2
    return [
        ((1 - t) ** 2 * ax + 2 * (1 - t) * t * cx + t * t * bx, (1 - t) ** 2 * ay + 2 * (1 - t) * t * cy + t * t * by)
        for t in (i / steps for i in range(steps + 1))
    ]


def _extent(pose: Pose) -> tuple[float, float, float, float]:
    points = pose.joints.points()
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    xs += [pose.joints.head[0] - HEAD_RADIUS, pose.joints.head[0] + HEAD_RADIUS]
    ys += [pose.joints.head[1] + HEAD_RADIUS]
    for prop in pose.props:
        if isinstance(prop, Chair | Desk | Ruler | Mat):
            xs += list(prop.x)
        if isinstance(prop, Mat):
            ys += list(prop.y)
        elif isinstance(prop, Chair):
            ys.append(prop.height + (prop.back_height if prop.back != "none" else 0))
        elif isinstance(prop, Desk):
            ys.append(prop.height)
        elif isinstance(prop, Floor):
            ys.append(prop.y)
        elif isinstance(prop, Arc):
            xs += [prop.center[0] - prop.radius, prop.center[0] + prop.radius]
            ys += [prop.center[1] - prop.radius, prop.center[1] + prop.radius]
        elif isinstance(prop, Arrow):
            xs += [prop.start[0], prop.end[0]]
            ys += [prop.start[1], prop.end[1]]
        elif isinstance(prop, Strap):
            xs += [p[0] for p in prop.points]
            ys += [p[1] for p in prop.points]
    return min(xs), min(ys), max(xs), max(ys)


def _window(pose: Pose) -> tuple[float, float, float, float]:
    """The visible area in units, with the picture's aspect ratio, centred on the content."""
    if pose.frame is not None:  # a close-up: exactly this window, however large the scale
        x0, y0, x1, y1 = pose.frame
        scale = min(WIDTH / (x1 - x0), HEIGHT / (y1 - y0))
    else:
        x0, y0, x1, y1 = _extent(pose)
        x0, y0, x1, y1 = x0 - MARGIN, y0 - MARGIN, x1 + MARGIN, y1 + MARGIN
        scale = min(MAX_PIXELS_PER_UNIT, WIDTH / (x1 - x0), HEIGHT / (y1 - y0))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w, half_h = WIDTH / scale / 2, HEIGHT / scale / 2
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


def _draw_prop(axes: Axes, prop: Prop, pose: Pose, flip: _Flip, unit: float) -> None:
    def line(points: list[Point], colour: str = PROP, width: float = PROP_WIDTH, zorder: float = 1.0) -> None:
        xs, ys = zip(*(flip(p) for p in points), strict=True)
        axes.plot(xs, ys, color=colour, linewidth=width * unit, solid_capstyle="round",
                  solid_joinstyle="round", zorder=zorder)

    if isinstance(prop, Floor):
        left, right = prop.x if prop.x is not None else _floor_span(pose)
        line([(left, prop.y), (right, prop.y)], width=PROP_WIDTH * 1.2)
    elif isinstance(prop, Chair):
        a, b, h = prop.x[0], prop.x[1], prop.height
        line([(a, h), (b, h)], width=PROP_WIDTH * 1.6)
        line([(a + 0.2, h), (a + 0.2, 0.0)])
        line([(b - 0.2, h), (b - 0.2, 0.0)])
        if prop.back != "none":
            x = a if prop.back == "left" else b
            line([(x, h), (x, h + prop.back_height)], width=PROP_WIDTH * 1.6)
    elif isinstance(prop, Desk):
        a, b, h = prop.x[0], prop.x[1], prop.height
        line([(a, h), (b, h)], width=PROP_WIDTH * 1.8)
        line([(a + 0.3, h), (a + 0.3, 0.0)])
        line([(b - 0.3, h), (b - 0.3, 0.0)])
    elif isinstance(prop, Mat):
        from matplotlib.patches import FancyBboxPatch

        a, b = sorted((flip((prop.x[0], 0.0))[0], flip((prop.x[1], 0.0))[0]))
        c, d = sorted(prop.y)
        axes.add_patch(FancyBboxPatch((a, c), b - a, d - c, boxstyle="round,pad=0,rounding_size=0.4",
                                      facecolor=MAT, edgecolor="none", zorder=0.5))
    elif isinstance(prop, Ruler):
        count = round((prop.x[1] - prop.x[0]) / prop.step)
        for i in range(count + 1):
            x = prop.x[0] + i * prop.step
            tall = 0.45 if i % 5 == 0 else 0.25
            line([(x, prop.y), (x, prop.y + tall)], colour=PROP_DARK, width=PROP_WIDTH * 0.6, zorder=1.5)
    elif isinstance(prop, Arc | Arrow):
        if isinstance(prop, Arc):
            steps = max(4, round(abs(prop.end - prop.start) / 8))
            angles = [math.radians(prop.start + (prop.end - prop.start) * i / steps) for i in range(steps + 1)]
            cx, cy = prop.center
            path = [(cx + prop.radius * math.cos(a), cy + prop.radius * math.sin(a)) for a in angles]
        else:
            path = [prop.start, prop.end]
        # The head: a filled triangle pointing along the path at its end; the shaft stops at its base.
        size = ARROW_HEAD
        end = path[-1]
        shaft = [p for p in path[:-1] if math.dist(p, end) > size]
        before = shaft[-1] if shaft else path[0]
        dx, dy = end[0] - before[0], end[1] - before[1]
        length = math.hypot(dx, dy) or 1.0
        dx, dy = dx / length, dy / length
        base = (end[0] - dx * size, end[1] - dy * size)
        line([*shaft, base] if shaft else [path[0], base], colour=ARROW, width=PROP_WIDTH, zorder=5.0)
        head = [end, (base[0] - dy * size * 0.6, base[1] + dx * size * 0.6),
                (base[0] + dy * size * 0.6, base[1] - dx * size * 0.6)]
        flipped = [flip(p) for p in head]
        axes.fill([p[0] for p in flipped], [p[1] for p in flipped], color=ARROW, zorder=5.0, linewidth=0)
    else:
        line(list(prop.points), colour=STRAP, width=PROP_WIDTH * 0.9, zorder=3.5)


def _floor_span(pose: Pose) -> tuple[float, float]:
    xs = [p[0] for p in pose.joints.points()]
    for prop in pose.props:
        if isinstance(prop, Chair | Desk | Ruler):
            xs += list(prop.x)
    return min(xs) - 1.2, max(xs) + 1.2


if TYPE_CHECKING:
    from collections.abc import Callable

    _Flip = Callable[[Point], Point]
