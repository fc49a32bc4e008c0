"""Shared test data: a small valid instrument that uses every item type, and helpers."""

from __future__ import annotations

import pytest

from surveys.instruments import InstrumentError, parse_instrument

# A small instrument that uses every item type. Tests break it with replace() on one line
# and look for the problem on that line (see line_of).
MINI = """\
id: mini
version: "1.0"
title: {en: Mini survey, es: Encuesta mini}
languages:
  - {code: en, name: English, direction: ltr, reviewed: true}
  - {code: es, name: Español, direction: ltr, reviewed: false}
default_language: en
texts:
  intro: {en: Hello, es: Hola}
  consent: {en: We store no names, es: No guardamos nombres}
  thank_you: {en: Thank you, es: Gracias}
  wave_closed: {en: Closed, es: Cerrada}
  wave_not_open: {en: Not open yet, es: Aún no abre}
  free_text_warning: {en: Do not write names, es: No escriba nombres}
option_sets:
  agree5:
    - {code: 1, label: {en: Strongly disagree, es: Muy en desacuerdo}}
    - {code: 2, label: {en: Disagree, es: En desacuerdo}}
    - {code: 3, label: {en: Neither, es: Ni de acuerdo ni en desacuerdo}}
    - {code: 4, label: {en: Agree, es: De acuerdo}}
    - {code: 5, label: {en: Strongly agree, es: Muy de acuerdo}}
  born:
    - {code: 1, label: {en: Born abroad, es: Nació en otro país}}
    - {code: 2, label: {en: A parent born abroad, es: Un padre nació en otro país}}
    - {code: 3, label: {en: Neither, es: Ninguno}}
    - {code: 99, label: {en: Prefer not to say, es: Prefiero no decirlo}, missing: true}
blocks:
  - id: opinions
    title: {en: Opinions, es: Opiniones}
    randomize: true
    items:
      - id: fair
        type: likert
        text: {en: Police are fair, es: La policía es justa}
        options: agree5
        source: Written for the tests
      - id: attitudes
        type: grid
        text: {en: "Do you agree?", es: "¿Está de acuerdo?"}
        options: agree5
        randomize: true
        source: Written for the tests
        rows:
          - {id: respect, text: {en: Respect, es: Respeto}}
          - {id: rude, text: {en: Rude, es: Groseros}, reverse: true}
      - id: overall
        type: scale
        text: {en: Overall trust, es: Confianza general}
        anchors: {low: {en: None, es: Ninguna}, high: {en: Complete, es: Total}}
        source: Written for the tests
  - id: about
    title: {en: About you, es: Sobre usted}
    items:
      - id: born_abroad
        type: single
        text: {en: "Where were you born?", es: "¿Dónde nació?"}
        options: born
        source: Written for the tests
      - id: years
        type: number
        text: {en: Years here, es: Años aquí}
        min: 0
        max: 80
        show_if: {item: born_abroad, in: [1]}
        source: Written for the tests
      - id: contact
        type: multiple
        text: {en: "Whom would you tell?", es: "¿A quién le diría?"}
        required: true
        options:
          - {code: 1, label: {en: Family, es: Familia}}
          - {code: 2, label: {en: Church, es: Iglesia}}
          - {code: 99, label: {en: Prefer not to say, es: Prefiero no decirlo}, missing: true}
        source: Written for the tests
      - id: comment
        type: text
        text: {en: "Anything else?", es: "¿Algo más?"}
        max_length: 20
        source: Written for the tests
scales:
  trust: {label: {en: Trust, es: Confianza}, items: [fair, respect, rude], min_items: 2}
flags:
  immigrant: {item: born_abroad, in: [1, 2]}
"""


def line_of(text: str, fragment: str) -> int:
    """1-based line on which the only occurrence of ``fragment`` (which may span lines) starts."""
    assert text.count(fragment) == 1, f"{fragment!r} occurs {text.count(fragment)} times"
    return text[: text.index(fragment)].count("\n") + 1


def problems_of(text: str) -> list:
    with pytest.raises(InstrumentError) as caught:
        parse_instrument(text, source_name="broken.yaml")
    return caught.value.problems
