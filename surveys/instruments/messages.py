"""Messages for answers that fail validation, in the respondent's language.

The form layer shows its own (Flask-Babel) messages first; these are the second line of
defence and must not depend on Flask. English is the source; the Spanish and Arabic were
drafted with an LLM and have not been reviewed by a human translator (as the default
instrument's ``reviewed: false`` says for its own text). Other languages fall back to
English.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "unknown": "This is not a question in this survey.",
        "required": "Please answer this question.",
        "choice": "Please choose one of the answers shown.",
        "choices": "Please choose only from the answers shown, each at most once.",
        "exclusive": "“{label}” cannot be combined with other answers.",
        "scale": "Please choose a number from {low} to {high}.",
        "number": "Please enter a number from {low} to {high}.",
        "text": "Please type your answer as text.",
        "too_long": "Please shorten your answer to at most {max} characters (it has {length}).",
        "characters": "Your answer contains characters that cannot be saved. Please remove them.",
        "hidden": "This question does not apply given your earlier answers; please leave it empty.",
    },
    "es": {
        "unknown": "Esta no es una pregunta de esta encuesta.",
        "required": "Por favor, responda esta pregunta.",
        "choice": "Por favor, elija una de las respuestas que se muestran.",
        "choices": "Por favor, elija solo entre las respuestas que se muestran, cada una una sola vez.",
        "exclusive": "“{label}” no se puede combinar con otras respuestas.",
        "scale": "Por favor, elija un número del {low} al {high}.",
        "number": "Por favor, escriba un número del {low} al {high}.",
        "text": "Por favor, escriba su respuesta como texto.",
        "too_long": "Por favor, acorte su respuesta a un máximo de {max} caracteres (ahora tiene {length}).",
        "characters": "Su respuesta contiene caracteres que no se pueden guardar. Por favor, quítelos.",
        "hidden": "Esta pregunta no corresponde según sus respuestas anteriores; por favor, déjela en blanco.",
    },
    "ar": {
        "unknown": "هذا ليس سؤالاً في هذا الاستبيان.",
        "required": "يُرجى الإجابة عن هذا السؤال.",
        "choice": "يُرجى اختيار إحدى الإجابات المعروضة.",
        "choices": "يُرجى الاختيار من الإجابات المعروضة فقط، وكل إجابة مرة واحدة.",
        "exclusive": "لا يمكن الجمع بين «{label}» وإجابات أخرى.",
        "scale": "يُرجى اختيار رقم من {low} إلى {high}.",
        "number": "يُرجى إدخال رقم من {low} إلى {high}.",
        "text": "يُرجى كتابة إجابتك نصًّا.",
        "too_long": "يُرجى اختصار إجابتك إلى {max} حرفًا على الأكثر (عدد أحرفها الآن {length}).",
        "characters": "تحتوي إجابتك على رموز لا يمكن حفظها. يُرجى حذفها.",
        "hidden": "هذا السؤال لا ينطبق بناءً على إجاباتك السابقة؛ يُرجى تركه فارغًا.",
    },
}


def _plain(number: object) -> object:
    return int(number) if isinstance(number, float) and number.is_integer() else number


def message(kind: str, language: str, **params: object) -> str:
    lang = language if isinstance(language, str) else "en"
    template = MESSAGES.get(lang, MESSAGES.get(lang.split("-")[0], MESSAGES["en"]))[kind]
    return template.format(**{key: _plain(value) for key, value in params.items()})
