"""The SKM survey's questions and answer words, both languages, from survey_questions.toml: one
copy for the kiosk's survey screens (kiosk/survey) and the central server's phone survey
(central/web/survey.py). Checked when loaded against the wire's element keys and respondent codes
(shared/survey_wire.py): all nine elements in order, four answers in each language.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .survey_wire import ELEMENTS, RESPONDENT

QUESTIONS = Path(__file__).with_name("survey_questions.toml")
LANGS = ("id", "en")


class QuestionsError(ValueError):
    """survey_questions.toml does not say what the survey needs; the message names the entry."""


@dataclass(frozen=True)
class Element:
    key: str
    titles: dict[str, str]
    questions: dict[str, str]
    answers: dict[str, tuple[str, ...]]  # lang -> the four words, score 1..4

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles["id"]

    def question(self, lang: str) -> str:
        return self.questions.get(lang) or self.questions["id"]

    def answer(self, score: int, lang: str) -> str:
        return (self.answers.get(lang) or self.answers["id"])[score - 1]


@dataclass(frozen=True)
class RespondentField:
    key: str
    titles: dict[str, str]
    choices: tuple[str, ...]
    labels: dict[str, tuple[str, ...]]

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles["id"]

    def label(self, code: str, lang: str) -> str:
        return (self.labels.get(lang) or self.labels["id"])[self.choices.index(code)]


@dataclass(frozen=True)
class Questions:
    elements: tuple[Element, ...]
    respondent: tuple[RespondentField, ...]

    def element(self, key: str) -> Element:
        return next(e for e in self.elements if e.key == key)


def _texts(entry: dict, where: str, name: str, count: int | None = None) -> dict:
    out = {}
    for lang in LANGS:
        value = entry.get(f"{name}_{lang}")
        if count is None:
            if not (isinstance(value, str) and value.strip()):
                raise QuestionsError(f"{where}: {name}_{lang} must be a non-empty text")
            out[lang] = value
        else:
            if not (isinstance(value, list) and len(value) == count and all(isinstance(v, str) and v.strip() for v in value)):
                raise QuestionsError(f"{where}: {name}_{lang} must list {count} non-empty texts")
            out[lang] = tuple(value)
    return out


def load_questions(path: Path | str = QUESTIONS) -> Questions:
    """The survey's questions; QuestionsError names the file and entry when they do not fit the wire."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise QuestionsError(f"{path.name}: {err}") from None
    raw_elements = data.get("elements")
    if not isinstance(raw_elements, list):
        raise QuestionsError(f"{path.name}: [[elements]] missing")
    keys = [e.get("key") if isinstance(e, dict) else None for e in raw_elements]
    if tuple(keys) != ELEMENTS:
        raise QuestionsError(f"{path.name}: elements must be, in this order: {', '.join(ELEMENTS)} (found {keys})")
    elements = tuple(
        Element(e["key"], _texts(e, f"{path.name}: elements[{i}]", "title"),
                _texts(e, f"{path.name}: elements[{i}]", "question"),
                _texts(e, f"{path.name}: elements[{i}]", "answers", 4))
        for i, e in enumerate(raw_elements))
    fields = []
    for i, r in enumerate(data.get("respondent") or []):
        where = f"{path.name}: respondent[{i}]"
        key = r.get("key") if isinstance(r, dict) else None
        if key not in RESPONDENT:
            raise QuestionsError(f"{where}: key must be one of {', '.join(RESPONDENT)}")
        if tuple(r.get("choices") or ()) != RESPONDENT[key]:
            raise QuestionsError(f"{where}: choices must be {', '.join(RESPONDENT[key])}")
        fields.append(RespondentField(key, _texts(r, where, "title"), RESPONDENT[key],
                                      _texts(r, where, "labels", len(RESPONDENT[key]))))
    return Questions(elements, tuple(fields))
