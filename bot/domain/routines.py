"""Routines: what a guided session walks a user through, loaded from TOML files.

A routine file looks like::

    id = "desk-break"
    title = "Desk break"
    summary = "Two minutes for neck, shoulders and wrists."

    [[steps]]
    name = "Neck side bend"
    seconds = 30
    kind = "stretch"
    side = "right"            # optional: left or right
    cues = ["Ear toward shoulder", "Shoulders stay low"]
    halfway = "Breathe out and soften"   # optional: one cue half-way through a long hold
    get_ready = 6             # optional: seconds to get into position before the clock runs
    picture = "neck-side-bend"  # the pose's drawing (see bot.presentation.figures), or "none"
    optional = true           # optional: offered at the end ("Add it" / "Finish here")

Every file in the folder is validated at start-up; any problem stops the bot with the file name
and what is wrong, so a broken routine never reaches a user.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from enum import StrEnum
from importlib.abc import Traversable
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

#: Routine ids travel inside Telegram callback data (64 bytes at most), so keep them short.
ROUTINE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,23}$"
#: A hold at least this long may carry one half-way cue.
HALFWAY_MIN_SECONDS = 20
#: A pose picture's name (a drawing in the pose catalogue), or "none" for a step with none.
PICTURE_PATTERN = r"^[a-z][a-z0-9-]{0,39}$"
NO_PICTURE = "none"

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class StepKind(StrEnum):
    ASSESS = "assess"
    STRETCH = "stretch"
    DYNAMIC = "dynamic"
    REST = "rest"


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"


class Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    seconds: int = Field(ge=1, le=900)
    kind: StepKind
    cues: list[ShortText] = Field(min_length=1, max_length=4)
    side: Side | None = None
    #: What the side names, as the user reads it: "side" ("right side") for a stretch of that
    #: side of the body, "leg forward" ("right leg forward") for a lunge, whose stretch is felt
    #: mostly on the other side.
    side_means: Literal["side", "leg forward"] = "side"
    halfway: ShortText | None = None
    #: Seconds to get into position (from standing to all fours, say) before the hold's clock
    #: starts; shown on the card as "Get ready", never as a message of its own.
    get_ready: int = Field(0, ge=0, le=15)
    #: The drawing of the pose, by name; "none" (or leaving it out) shows the card without one.
    picture: Annotated[str, StringConstraints(pattern=PICTURE_PATTERN)] | None = None
    #: Offered at the end of the routine ("Add it" / "Finish here") instead of run.
    optional: bool = False

    @model_validator(mode="after")
    def _halfway_needs_a_long_hold(self) -> Step:
        if self.halfway is not None and self.seconds < HALFWAY_MIN_SECONDS:
            raise ValueError(f"a halfway cue needs a hold of at least {HALFWAY_MIN_SECONDS} seconds")
        return self

    @property
    def picture_name(self) -> str | None:
        """The drawing to show, or None."""
        return None if self.picture in (None, NO_PICTURE) else self.picture

    @property
    def side_text(self) -> str | None:
        """"right side", "left leg forward", or None for a step without a side."""
        return f"{self.side.value} {self.side_means}" if self.side else None

    @property
    def label(self) -> str:
        """The name with its side, as a user reads it: "Side bend (right)", "Low lunge sway
        (right leg forward)"."""
        if self.side is None:
            return self.name
        return f"{self.name} ({self.side.value})" if self.side_means == "side" else f"{self.name} ({self.side_text})"

    @property
    def halfway_at(self) -> float | None:
        """Seconds into the hold at which the half-way cue is due, if there is one."""
        return self.seconds / 2 if self.halfway else None


class Routine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, StringConstraints(pattern=ROUTINE_ID_PATTERN)]
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    summary: ShortText
    safety: ShortText | None = None
    #: The id of a gentler routine, offered next time after a user reports pain.
    gentler: Annotated[str, StringConstraints(pattern=ROUTINE_ID_PATTERN)] | None = None
    steps: list[Step] = Field(min_length=1, max_length=60)

    @model_validator(mode="after")
    def _optional_steps_come_last(self) -> Routine:
        kinds = [step.optional for step in self.steps]
        if kinds[0]:
            raise ValueError("the first step cannot be optional")
        if kinds != sorted(kinds):
            raise ValueError("optional steps can only come after all the others, at the end")
        if any(step.optional and step.kind is StepKind.ASSESS for step in self.steps):
            raise ValueError("a reach check cannot be optional")
        return self

    @property
    def total_seconds(self) -> int:
        """Hold time of the routine as it runs without its optional steps."""
        return sum(step.seconds for step in self.steps if not step.optional)

    @property
    def required_steps(self) -> int:
        return sum(1 for step in self.steps if not step.optional)

    def step(self, index: int) -> Step:
        return self.steps[index]

    def next_step(self, index: int) -> Step | None:
        return self.steps[index + 1] if index + 1 < len(self.steps) else None


class RoutineError(Exception):
    """A routine file cannot be used; the message names the file and the problem."""


class StepText(BaseModel):
    """A step's words in another language; anything left out stays as in the routine file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)] | None = None
    cues: list[ShortText] | None = None
    halfway: ShortText | None = None


class RoutineText(BaseModel):
    """A routine's words in another language (``translations/<language>/<id>.toml``): steps by
    number, 1 for the first. English, the routine file's own words, fills every gap."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)] | None = None
    summary: ShortText | None = None
    safety: ShortText | None = None
    steps: dict[int, StepText] = Field(default_factory=dict)

    def applied_to(self, routine: Routine, source: str) -> Routine:
        """The routine in these words; raise RoutineError if they don't fit it."""
        steps = list(routine.steps)
        for number, text in self.steps.items():
            if not 1 <= number <= len(steps):
                raise RoutineError(f"{source}: steps.{number}: the routine has {len(steps)} steps")
            step = steps[number - 1]
            if text.cues is not None and len(text.cues) != len(step.cues):
                raise RoutineError(f"{source}: steps.{number}.cues: {len(step.cues)} cues expected")
            if text.halfway is not None and step.halfway is None:
                raise RoutineError(f"{source}: steps.{number}.halfway: the step has no half-way cue")
            changes = {key: value for key, value in text.model_dump().items() if value is not None}
            steps[number - 1] = step.model_copy(update=changes)
        changes = {key: getattr(self, key) for key in ("title", "summary", "safety") if getattr(self, key)}
        if self.safety and routine.safety is None:
            raise RoutineError(f"{source}: safety: the routine has no safety note")
        return routine.model_copy(update={**changes, "steps": steps})


class RoutineBook(Mapping[str, Routine]):
    """All loaded routines by id, in a stable order (the flagship first, then by title), with
    their translations."""

    FLAGSHIP = "hamstrings"

    def __init__(self, routines: list[Routine], translated: dict[tuple[str, str], Routine] | None = None) -> None:
        ordered = sorted(routines, key=lambda r: (r.id != self.FLAGSHIP, r.title.lower()))
        self._by_id = {routine.id: routine for routine in ordered}
        self._translated = translated or {}

    def in_language(self, routine: Routine, language: str) -> Routine:
        """``routine`` in ``language`` where a translation exists, else as written."""
        return self._translated.get((language, routine.id), routine)

    def __getitem__(self, routine_id: str) -> Routine:
        return self._by_id[routine_id]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    @property
    def default(self) -> Routine:
        """The routine `/stretch` starts: the flagship if present, else the first one."""
        return self._by_id.get(self.FLAGSHIP) or next(iter(self._by_id.values()))


def parse_routine(text: str, source: str) -> Routine:
    """Parse and validate one routine file's text; ``source`` names it in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RoutineError(f"{source}: not valid TOML: {exc}") from None
    try:
        return Routine.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_location(error['loc'])}: {error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors(include_url=False)
        )
        raise RoutineError(f"{source}: {problems}") from None


def shipped_routines() -> Traversable:
    """The routine files installed with the bot (the ``routines`` package's data)."""
    return files("routines")


def load_routines(folder: Traversable | Path | None = None) -> RoutineBook:
    """Load every ``*.toml`` in ``folder`` (default: the shipped routines); raise
    :class:`RoutineError` on the first bad one."""
    folder = shipped_routines() if folder is None else folder
    if not folder.is_dir():
        raise RoutineError(f"{folder}: routines folder not found")
    routines: list[Routine] = []
    seen: dict[str, Traversable] = {}
    paths = [entry for entry in folder.iterdir() if entry.name.endswith(".toml") and entry.is_file()]
    for path in sorted(paths, key=lambda entry: entry.name):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RoutineError(f"{path}: cannot be read: {exc}") from None
        routine = parse_routine(text, str(path))
        if routine.id in seen:
            raise RoutineError(f"{path}: id '{routine.id}' is already used by {seen[routine.id]}")
        seen[routine.id] = path
        routines.append(routine)
    if not routines:
        raise RoutineError(f"{folder}: no routine files (*.toml) found")
    for routine in routines:
        if routine.gentler is not None and routine.gentler not in seen:
            raise RoutineError(f"{seen[routine.id]}: gentler: no routine has the id '{routine.gentler}'")
    return RoutineBook(routines, _translations(folder, {routine.id: routine for routine in routines}))


def _translations(folder: Traversable | Path, routines: dict[str, Routine]) -> dict[tuple[str, str], Routine]:
    """Every ``translations/<language>/<routine id>.toml`` beside the routine files, applied."""
    found: dict[tuple[str, str], Routine] = {}
    base = folder / "translations"
    if not base.is_dir():
        return found
    for language in sorted(base.iterdir(), key=lambda entry: entry.name):
        if not language.is_dir():
            continue
        for path in sorted(language.iterdir(), key=lambda entry: entry.name):
            if not path.name.endswith(".toml"):
                continue
            routine_id = path.name.removesuffix(".toml")
            if routine_id not in routines:
                raise RoutineError(f"{path}: no routine has the id '{routine_id}'")
            try:
                text = RoutineText.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
                raise RoutineError(f"{path}: cannot be read: {exc}") from None
            except ValidationError as exc:
                problems = "; ".join(
                    f"{_location(error['loc'])}: {error['msg']}" for error in exc.errors(include_url=False)
                )
                raise RoutineError(f"{path}: {problems}") from None
            found[(language.name, routine_id)] = text.applied_to(routines[routine_id], str(path))
    return found


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "file"
