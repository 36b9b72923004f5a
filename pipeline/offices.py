"""Load the office registry (`registry/offices.yaml`) and tell which office a folder or a `填报单位：` line names."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from pipeline.registry_refusals import Misconfigured, refuse_joined
from pipeline.text import clean_name, remembered_if_short, squash

# What an office's `submits_for` says when it may submit for every office, listed or not.
EVERY_OFFICE = "all"
# Marks a clerk lists offices with (甲、乙, 甲/乙). 和 and 及 list them too, but are also part of names
# (区住房和城乡建设局), so a line is cut there only where both sides name an office.
_LIST_MARKS = re.compile(r"[、,/;]")
_AND_MARKS = re.compile(r"[和及]")
# How an office's name ends: a part of a `填报单位：` line so ending names an office, listed or not, never a note or a date.
_OFFICE_ENDING = re.compile(r"(?:办事处|街道|局|公司|委员会|中心|办公室|政府|镇|乡|社区|厅|站|所|院)$")
# How a place's name ends that its own office's full name goes on from, and how it goes on (七里园街道 → 七里园街道办事处
# or 七里园街道办, 七里园镇 → 七里园镇人民政府, a 社区's is its 居民委员会). Going on otherwise, a name is another office in
# the place (七里园街道社区卫生服务中心, 七里园街道第二社区居委会, 七里园街道办事处财务科).
_PLACE_OFFICES = {
    "街道": ("办事处", "办"),
    "镇": ("人民政府", "政府"),
    "乡": ("人民政府", "政府"),
    "社区": ("居民委员会", "居委会"),
}
_PLACE_ENDING = re.compile(rf"(?:{'|'.join(_PLACE_OFFICES)})$")
# How a name ending as no office's does (七里园, 区住建) goes on to its office's: a 街道's, 镇's or 乡's office
# (七里园街道办事处, 七里园镇人民政府), or a bureau (区住建局). Not a 社区's: a 街道 and a 社区 in it often share a name
# (七里园街道, 七里园社区), and 中心, 站, 所, 院 or 公司 name an institution beside the office, its figures its own.
_UNENDED_OFFICES = frozenset(
    {"局", *(place + office for place in ("街道", "镇", "乡") for office in _PLACE_OFFICES[place])}
)


# Every file's folder is folded several times, and its 填报单位 line too: a short name once per process.
@remembered_if_short(64, 1 << 12)
def office_key(text: str) -> str:
    """Fold a written office name the way names are compared: width, spaces, trailing notes, letter case."""
    return clean_name(text).casefold()


def is_abbreviation(short: str, name: str) -> bool:
    """Say whether the characters of `short` appear in order within `name` (枣林街道 → 枣林街道办事处)."""
    key, rest = office_key(short), iter(office_key(name))
    return bool(key) and all(char in rest for char in key)


def is_written_in_full(name: str, short: str) -> bool:
    """Say whether `name` is the office `short` names cut short, written in full: a place's name going on to its own
    office's (七里园街道 → 七里园街道办事处), or a name ending as no office's does going on to a place's office or a
    bureau (七里园 → 七里园镇人民政府, 区住建 → 区住建局)."""
    written, cut = office_key(name), office_key(short)
    if not cut or not written.startswith(cut):
        return False
    rest = written[len(cut) :]
    if place := _PLACE_ENDING.search(cut):
        return rest in _PLACE_OFFICES[place.group()]
    return _OFFICE_ENDING.search(cut) is None and rest in _UNENDED_OFFICES


def ends_as_office(text: str) -> bool:
    """Say whether `text` ends as an office's name does (办事处, 局, 公司, 委员会…), listed or not."""
    return _OFFICE_ENDING.search(text) is not None


def place_of(name: str) -> str | None:
    """Return the place an office's full name is that place's own office of (七里园街道办事处 → 七里园街道), else None."""
    for place, endings in _PLACE_OFFICES.items():
        for ending in endings:
            cut = name.removesuffix(ending)
            if cut != name and cut.endswith(place) and len(cut) > len(place):
                return cut
    return None


def is_part_of(name: str, whole: str) -> bool:
    """Say whether `name` goes on from an office's whole name `whole`, as a part of that office does (白河街道办事处 →
    白河街道办事处财务科), not a place's name its own office's goes on from (白河街道 → 白河街道办事处)."""
    written, office = office_key(name), office_key(whole)
    return (
        len(written) > len(office)
        and written.startswith(office)
        and _OFFICE_ENDING.search(office) is not None
        and _PLACE_ENDING.search(office) is None
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Office(_Strict):
    """An office: its full name, the other names its folders and lines use, and whom it may submit for (代报)."""

    name: str
    aliases: tuple[str, ...] = ()
    submits_for: tuple[str, ...] | Literal["all"] = ()

    @field_validator("name")
    @classmethod
    def _clean(cls, name: str) -> str:
        # The name is what the warehouse stores as the unit, so it is stored the way a written name is cleaned.
        if not clean_name(name):
            raise Misconfigured(
                "办公室名称为空", "an office needs a name", "请写办公室的全称，如 枣林街道办事处"
            )
        return clean_name(name)

    @field_validator("submits_for")
    @classmethod
    def _clean_each(cls, names: tuple[str, ...] | str) -> tuple[str, ...] | str:
        return names if names == EVERY_OFFICE else tuple(clean_name(n) for n in names)

    def is_named_by(self, text: str) -> bool:
        """Say whether `text` is this office's name, an alias, or an abbreviation of its name."""
        key = office_key(text)
        return key in {office_key(n) for n in (self.name, *self.aliases)} or is_abbreviation(key, self.name)

    def may_submit_for(self, other: Office) -> bool:
        """Say whether this office may send `other`'s data: its own always, another's only as listed (代报)."""
        if other.name == self.name or self.submits_for == EVERY_OFFICE:
            return True
        return other.name in self.submits_for

    @property
    def submits_for_zh(self) -> str:
        """Say in Chinese whose data this office may send."""
        if self.submits_for == EVERY_OFFICE:
            return "可报送本单位和所有单位（代报）的数据"
        if self.submits_for:
            return f"可报送本单位和{'、'.join(self.submits_for)}（代报）的数据"
        return "只能报送本单位的数据"


class Offices(_Strict):
    """Every listed office and the shared intake folders, where the `填报单位：` line decides."""

    offices: tuple[Office, ...] = ()
    shared_folders: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Offices:
        claimed: dict[str, str] = {}

        def claim(text: str, owner: str, at: tuple) -> None:
            key = office_key(text)
            if not key:
                raise Misconfigured(f"{owner}: 名称为空", "an empty name", "请删去它，或写上名称", at)
            if key in claimed:
                raise Misconfigured(
                    f"{text!r} 同时属于 {claimed[key]} 和 {owner}",
                    "claimed by two offices",
                    "一个名称只能指一个办公室：请从其中一处删去",
                    at,
                )
            claimed[key] = owner

        # `aliases: [区住建局，zjj]` was one alias: the zjj folder's files were stored as an office named zjj.
        refuse_joined(self.shared_folders, ("shared_folders",))
        for n, office in enumerate(self.offices):
            refuse_joined(office.aliases, ("offices", n, "aliases"))
            for text in dict.fromkeys((office.name, *office.aliases)):
                claim(
                    text,
                    f"office {office.name!r}",
                    ("offices", n, "name" if text == office.name else "aliases"),
                )
        for folder in self.shared_folders:
            claim(folder, "shared_folders", ("shared_folders",))
        names = {office.name for office in self.offices}
        for n, office in enumerate(self.offices):
            if office.submits_for == EVERY_OFFICE:
                continue
            at = ("offices", n, "submits_for")
            if unknown := [n for n in office.submits_for if n not in names]:
                raise Misconfigured(
                    f"office {office.name!r} 代报的 {'、'.join(unknown)} 不是 offices 中列出的办公室",
                    "submits for offices not listed",
                    "请写 offices 中办公室的全称（name），或先把它们列入 offices",
                    at,
                )
            if office.name in office.submits_for:
                raise Misconfigured(
                    f"office {office.name!r} 在 submits_for 中列了自己",
                    "lists itself in submits_for",
                    "本单位的数据总能报送，请从 submits_for 中删去它",
                    at,
                )
            if len(set(office.submits_for)) != len(office.submits_for):
                raise Misconfigured(
                    f"office {office.name!r} 在 submits_for 中把一个办公室列了两次",
                    "lists an office twice in submits_for",
                    "请删去重复的一个",
                    at,
                )
        return self

    @cached_property
    def _exact(self) -> dict[str, Office]:
        return {office_key(n): office for office in self.offices for n in (office.name, *office.aliases)}

    @cached_property
    def _shared_keys(self) -> frozenset[str]:
        # A folder named only by spaces names no office either.
        return frozenset({"", *(office_key(f) for f in self.shared_folders)})

    @cached_property
    def _named(self) -> dict[str, tuple[Office, ...]]:
        # Every file names its folder, often its `填报单位：` line too: each text is matched once per process.
        return {}

    def is_shared(self, folder: str | None) -> bool:
        """Say whether a sending folder is a shared intake folder; the inbox root (None) always is."""
        return folder is None or office_key(folder) in self._shared_keys

    def named(self, text: str) -> tuple[Office, ...]:
        """Return the offices `text` may mean: the one it names exactly, else every one it abbreviates."""
        named = self._named.get(text)
        if named is None:
            if len(self._named) >= 4096:
                self._named.clear()
            named = self._named[text] = self._meant(text)
        return named

    def _meant(self, text: str) -> tuple[Office, ...]:
        # Naming no listed office, it is an office of that name; blank, it names none; naming two, it is ambiguous.
        key = office_key(text)
        if not key:
            return ()
        if key in self._exact:
            return (self._exact[key],)
        return tuple(o for o in self.offices if is_abbreviation(key, o.name)) or (Office(name=text),)

    def several(self, text: str, sender: Office | None = None) -> tuple[str, ...]:
        """Return the offices a line lists when it names more than one (甲、乙), known or named as offices."""
        if self._known(text, sender) is not None:
            return ()
        parts = [p for part in _LIST_MARKS.split(squash(text)) if part for p in self._and_parts(part, sender)]
        return self._listed(parts, sender, marked=True)

    def apart(self, parts: tuple[str, ...], sender: Office | None = None) -> tuple[str, ...]:
        """Return the offices a line sets apart by spaces or in cells (`枣林街道办事处 区财政局`), when it names several."""
        if len(parts) < 2 or self._known("".join(parts), sender) is not None:
            return ()  # `枣林街道 办事处`: one office, spaced
        return self._listed(list(parts), sender, marked=False)

    def run_together(
        self, line: str, parts: tuple[str, ...], sender: Office | None = None
    ) -> tuple[str, str] | None:
        """Return a listed office's full name and the words one space sets after it, where the line read whole names
        no office (`枣林街道办事处 张三`, read as 枣林街道办事处张三), else None."""
        if len(parts) < 2 or self._known(line, sender) is not None:
            return None
        head = next((part for part in parts if self._is_full_name(part, sender)), None)
        return None if head is None else (head, " ".join(part for part in parts if part != head))

    def run_on(self, line: str, sender: Office | None = None) -> tuple[str, str] | None:
        """Return a listed office's full name and the words run on after its name or alias, where the line read whole
        names no office the folder's or listed and those words do not end as an office's name does
        (`枣林街道办事处财务科`, read whole an office of its own beside 枣林街道办事处), else None."""
        if self._known(line, sender) is not None:
            return None
        written = clean_name(line)
        key = written.casefold()
        heads = sorted(self._exact.items(), key=lambda item: -len(item[0]))
        head = next(((n, o) for n, o in heads if key.startswith(n) and len(key) > len(n)), None)
        if head is None:
            return None
        rest = written[len(head[0]) :].strip()
        return None if not rest or _OFFICE_ENDING.search(rest) else (head[1].name, rest)

    def _listed(self, parts: list[str], sender: Office | None, *, marked: bool) -> tuple[str, ...]:
        """Return the offices the parts of a line name when they are several: set apart by `、` (`marked`), when one
        is a known office or each is named as an office (甲街道办事处、乙街道办事处: no one name holds a `、`); by
        spaces, only when one is a listed office's full name or alias and each is named as an office (`枣林街道办事处
        2023年1月5日` lists nothing, and `七里园街道 办事处` is one unlisted office, though 办事处 abbreviates a listed
        one)."""
        found = [self._known(part, sender) for part in parts]
        known = (
            any(name is not None for name in found)
            if marked
            else any(self._is_full_name(p, sender) for p in parts)
        )
        named = all(
            name is not None or _OFFICE_ENDING.search(part) for name, part in zip(found, parts, strict=True)
        )
        if len(parts) < 2 or not ((known or named) if marked else (known and named)):
            return ()
        names = tuple(dict.fromkeys(name or part for name, part in zip(found, parts, strict=True)))
        # The same office written twice (枣林街道办事处、枣林街道) is told as written.
        return names if len(names) > 1 else tuple(parts)

    def _and_parts(self, text: str, sender: Office | None) -> list[str]:
        """Cut `text` at 和 or 及 into parts that each name an office; uncut when it cannot be."""
        if self._known(text, sender) is not None:
            return [text]
        # The longest head first: 区住房和城乡建设局和枣林街道办事处 is cut after 建设局, not into 区住房 and 城乡建设局.
        cuts = [
            [text[: mark.start()], *self._and_parts(text[mark.end() :], sender)]
            for mark in reversed(list(_AND_MARKS.finditer(text)))
        ]
        cuts = [
            (parts, [self._known(part, sender) is not None for part in parts]) for parts in cuts if all(parts)
        ]
        # Every part an office, else one of them an office's full name or alias beside a part unlisted (枣林街道办事处和
        # 七里园街道办事处): 区住房和城乡规划局 is one office though 区住房 fits two.
        for parts, known in cuts:
            if all(known):
                return parts
        for parts, known in cuts:
            if any(known) and any(self._is_full_name(part, sender) for part in parts):
                return parts
        return [text]

    def _is_full_name(self, text: str, sender: Office | None) -> bool:
        """Say whether `text` is a listed office's full name or alias, or the sender's name."""
        key = office_key(text)
        return key in self._exact or (sender is not None and key == office_key(sender.name))

    def _known(self, text: str, sender: Office | None) -> str | None:
        """Return the sender's or listed office's name `text` gives (as written when it fits several), else None."""
        if sender is not None and sender.is_named_by(text):
            return sender.name
        meant = self.named(text)
        if not meant or (len(meant) == 1 and meant[0] not in self.offices):
            return None
        return meant[0].name if len(meant) == 1 else clean_name(text)

    def sent_for(self, sender: Office, text: str) -> tuple[Office, ...]:
        """Return the offices a `填报单位：` line in `sender`'s folder may mean, none if it may not send for them."""
        # Another office's full name or alias names that office, even where it also reads as a short form of the
        # sender's (区住建局 within 示范区住房和城乡建设局's name; 枣林街道办事处 within a 枣林街道办事处财务科 folder).
        exact = self._exact.get(office_key(text))
        if exact is not None and exact.name != sender.name:
            return (exact,) if sender.may_submit_for(exact) else ()
        # The folder says who is writing: a short form fitting the sender and another office is the sender; not an
        # office's whole name the folder's goes on from (白河街道办事处 in a 白河街道办事处财务科 folder): as where that
        # office is listed, it is the office itself, and read as the section's own its data was counted beside the office's.
        if sender.is_named_by(text) and not is_part_of(sender.name, text):
            return (sender,)
        meant = self.named(text)
        if len(meant) > 1:
            return meant
        # An unlisted folder named short (白河街道) is the unlisted office its line writes in full (白河街道办事处), as a
        # listed office's abbreviated folder is that office's: returned, the file was told it belongs to 白河街道 while
        # the same night read it as the registered 白河街道办事处 it abbreviates.
        unlisted = [o for o in (sender, *meant) if office_key(o.name) not in self._exact]
        if len(unlisted) == 2 and is_written_in_full(meant[0].name, sender.name):
            return meant
        return tuple(o for o in meant if sender.may_submit_for(o))

    def who_may_send(self, office: Office) -> tuple[str, ...]:
        """Return the offices that may send `office`'s data: itself, then those listing it or every office."""
        return (
            office.name,
            *(o.name for o in self.offices if o.name != office.name and o.may_submit_for(office)),
        )
