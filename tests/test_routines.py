"""Routine files: the shipped ones are sound, and broken ones are refused with a clear reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.routines import RoutineError, Side, StepKind, load_routines, parse_routine

VALID = """
id = "tiny"
title = "Tiny"
summary = "One step."

[[steps]]
name = "Reach"
kind = "stretch"
seconds = 30
cues = ["Up."]
"""


def test_every_shipped_routine_loads() -> None:
    book = load_routines()
    assert {"hamstrings", "desk-break"} <= set(book)
    assert book.default.id == "hamstrings"
    assert next(iter(book)) == "hamstrings"


def test_flagship_follows_the_source_sequence_on_both_sides() -> None:
    routine = load_routines()["hamstrings"]
    labels = [step.label for step in routine.steps]
    assert labels == [
        "Standing forward fold",
        "Low lunge sway (right leg forward)",  # a lunge names the leg in front, not the side stretched
        "Lunge with side reach (right leg forward)",
        "Rocking hamstring stretch (right leg forward)",
        "Child's pose",
        "Low lunge sway (left leg forward)",
        "Lunge with side reach (left leg forward)",
        "Rocking hamstring stretch (left leg forward)",
        "Child's pose",
        "Standing forward fold",
        "Walking the dog",
    ]
    kinds = [step.kind for step in routine.steps]
    assert kinds[0] is StepKind.ASSESS and kinds[9] is StepKind.ASSESS
    # About ten minutes. Static holds within what suits most adults (the static side reach
    # 10-30 s, the others at most 60 s); moving (dynamic) steps may run longer.
    assert 9 * 60 <= routine.total_seconds <= 11 * 60
    static = [step for step in routine.steps if step.kind is not StepKind.DYNAMIC]
    assert all(step.seconds <= 60 for step in static)
    assert [step.seconds for step in routine.steps if step.name == "Lunge with side reach"] == [30, 30]


def test_desk_break_is_short_and_has_no_floor_work() -> None:
    routine = load_routines()["desk-break"]
    assert 120 <= routine.total_seconds <= 180
    words = " ".join(step.name + " " + " ".join(step.cues) for step in routine.steps).lower()
    for floor_word in ("floor", "kneel", "all fours", "child's pose", "lie down"):
        assert floor_word not in words
    sides = [(step.name, step.side) for step in routine.steps if step.side]
    for name, side in sides:
        other = Side.LEFT if side is Side.RIGHT else Side.RIGHT
        assert (name, other) in sides, f"{name} is done on one side only"


def test_a_valid_file_parses() -> None:
    routine = parse_routine(VALID, "tiny.toml")
    assert routine.total_seconds == 30
    assert routine.steps[0].label == "Reach"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("seconds = 30", "seconds = 0"), "steps[0].seconds: Input should be greater than or equal to 1"),
        (('kind = "stretch"', 'kind = "yoga"'), "steps[0].kind"),
        (('cues = ["Up."]', "cues = []"), "steps[0].cues"),
        (('id = "tiny"', 'id = "Has Spaces"'), "id: String should match pattern"),
        (('name = "Reach"', 'name = "Reach"\nside = "middle"'), "steps[0].side"),
        (('name = "Reach"', 'name = "Reach"\ncolour = "red"'), "steps[0].colour: Extra inputs are not permitted"),
        (('summary = "One step."', ""), "summary: Field required"),
        (("seconds = 30", 'seconds = 10\nhalfway = "Keep going"'), "halfway cue needs a hold of at least 20"),
        (("seconds = 30", 'seconds = "thirty"'), "steps[0].seconds"),
    ],
)
def test_a_broken_file_is_refused_with_file_and_problem(change: tuple[str, str], expected: str) -> None:
    with pytest.raises(RoutineError) as error:
        parse_routine(VALID.replace(*change), "routines/tiny.toml")
    assert str(error.value).startswith("routines/tiny.toml: ")
    assert expected in str(error.value)


def test_invalid_toml_names_the_file() -> None:
    with pytest.raises(RoutineError, match=r"broken\.toml: not valid TOML"):
        parse_routine("id = ", "broken.toml")


def test_folder_with_a_broken_file_refuses_to_load(tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text(VALID)
    (tmp_path / "bad.toml").write_text(VALID.replace("seconds = 30", "seconds = -5"))
    with pytest.raises(RoutineError, match=r"bad\.toml: steps\[0\]\.seconds"):
        load_routines(tmp_path)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(VALID)
    (tmp_path / "b.toml").write_text(VALID)
    with pytest.raises(RoutineError, match="id 'tiny' is already used"):
        load_routines(tmp_path)


def test_empty_or_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RoutineError, match="no routine files"):
        load_routines(tmp_path)
    with pytest.raises(RoutineError, match="routines folder not found"):
        load_routines(tmp_path / "nope")
