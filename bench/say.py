"""Print the benchmark's figures as every bench module prints them: sections, labelled figures, seconds."""

from __future__ import annotations

GIB = 1024**3


def say(text: str = "") -> None:
    print(text, flush=True)


def section(title: str) -> None:
    say()
    say(f"== {title} ==")


def figure(label: str, value: str) -> None:
    say(f"  {label:<34} {value}")


def seconds(value: float) -> str:
    return f"{value:,.2f} s" if value < 100 else f"{value:,.0f} s"
