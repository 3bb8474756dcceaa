"""What a draft changes for a test contact, in plain words: its paths on SFMC's version (the
base) against its paths on the draft.

"now takes 'VIP' at Decision Split 'Tier' (was 'Gold')", "now receives 'VIP offer' on day 3",
"no longer receives 'Welcome'", "receives 'Reminder' on day 3 (was day 2)", "now leaves the
journey on day 9: met the goal 'Bought' (was day 14: reached the end of the path)". Paths of a
random split followed down every branch are paired by the branches they followed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from journeys.domain.contact_paths import Path, Step


@dataclass(frozen=True)
class PathChange:
    """One difference in words, and the keys of the activities it is about (for hovering)."""

    words: str
    keys: tuple[str, ...] = ()


def path_changes(base: Sequence[Path], draft: Sequence[Path]) -> list[str]:
    """Each difference, in the paths' order; empty when the draft changes nothing for them."""
    return [change.words for change in path_change_items(base, draft)]


def path_change_items(base: Sequence[Path], draft: Sequence[Path]) -> list[PathChange]:
    """`path_changes` with the activity keys each line is about."""
    base_by = {path.choices: path for path in base}
    draft_by = {path.choices: path for path in draft}
    lines: list[PathChange] = []
    for choices in list(dict.fromkeys([*base_by, *draft_by])):
        before, after = base_by.get(choices), draft_by.get(choices)
        prefix = f"On the path {', '.join(choices)}: " if choices else ""
        if before is None:
            words = f"{prefix}a new path ({after.ending.words})" if after else prefix
            lines.append(PathChange(words))
        elif after is None:
            lines.append(PathChange(f"{prefix}this path no longer exists"))
        else:
            lines += [
                PathChange(prefix + change.words, change.keys)
                for change in _differences(before, after)
            ]
    return lines


def _differences(before: Path, after: Path) -> list[PathChange]:
    return [*_branches(before, after), *_messages(before, after), *_ending(before, after)]


def _branches(before: Path, after: Path) -> list[PathChange]:
    taken_before = {step.key: step for step in before.steps if step.branch_name}
    lines = []
    for step in after.steps:
        old = taken_before.get(step.key)
        if not step.branch_name or (old is not None and old.branch_name == step.branch_name):
            continue
        was = f" (was '{old.branch_name}')" if old is not None else ""
        words = f"now takes '{step.branch_name}' at {_title(step)}{was}"
        lines.append(PathChange(words, (step.key,)))
    return lines


def _messages(before: Path, after: Path) -> list[PathChange]:
    """Messages paired by the activity that sent them, so a renamed email reads as one."""
    sent_before = {message.key: message for message in before.messages}
    sent_after = {message.key: message for message in after.messages}
    lines = []
    for key, message in sent_after.items():
        old = sent_before.get(key)
        when, was = _day(message.at, after), _day(old.at, before) if old else ""
        if old is None:
            lines.append(PathChange(f"now receives '{message.name}' on {when}", (key,)))
        elif old.name != message.name:
            words = f"receives '{message.name}' instead of '{old.name}' on {when}"
            lines.append(PathChange(words, (key,)))
        elif when != was:
            lines.append(PathChange(f"receives '{message.name}' on {when} (was {was})", (key,)))
    gone = [(key, m.name) for key, m in sent_before.items() if key not in sent_after]
    return lines + [PathChange(f"no longer receives '{name}'", (key,)) for key, name in gone]


def _ending(before: Path, after: Path) -> list[PathChange]:
    old, new = before.ending, after.ending
    if (old.kind, old.words) == (new.kind, new.words) and _day(old.at, before) == _day(
        new.at, after
    ):
        return []
    words = (
        f"now leaves the journey on {_day(new.at, after)}: {new.words} "
        f"(was {_day(old.at, before)}: {old.words})"
    )
    return [PathChange(words, tuple(dict.fromkeys(k for k in (new.key, old.key) if k)))]


def _title(step: Step) -> str:
    return step.title or step.words.rpartition(": ")[0] or step.key


def _day(moment: datetime, path: Path) -> str:
    start = path.entered_at or moment
    return f"day {(moment.date() - start.date()).days} {moment:%H:%M}"
