"""The vocabulary of police records: offence categories and victim groups.

One home for these names: the importer maps a city's offence types onto
these categories, the simulator draws them, the triple difference splits them
into reporting-sensitive and benchmark sets, and the web side shows their
labels.

Why these two sets.  Victimization surveys find that domestic violence,
sexual assault and assault are often not reported to the police, and that
whether they are depends on trust (Comino, Mastrobuoni and Nicolo 2020); the
department reports behind this platform's question (a 2017 fall in sexual
assault and domestic violence reports by Latino victims) are of these
crimes.  Homicide and motor vehicle theft are nearly always reported whatever
the trust (a body is found; insurance needs a police report), so their counts
follow crime itself.  Comparing the two sets within a victim group separates
a fall in *reporting* from a fall in *crime*.
"""

from __future__ import annotations

__all__ = ["BENCHMARK", "CATEGORY_LABELS", "FOCUS_GROUP", "GROUP_LABELS", "SENSITIVE",
           "UNKNOWN_GROUP", "category_label", "group_label"]

CATEGORY_LABELS = {
    "domestic_violence": "Domestic violence",
    "sexual_assault": "Sexual assault",
    "assault": "Assault",
    "homicide": "Homicide",
    "motor_vehicle_theft": "Motor vehicle theft",
}
SENSITIVE: tuple[str, ...] = ("domestic_violence", "sexual_assault", "assault")
BENCHMARK: tuple[str, ...] = ("homicide", "motor_vehicle_theft")

FOCUS_GROUP = "hispanic"
UNKNOWN_GROUP = "unknown"
GROUP_LABELS = {"hispanic": "Hispanic or Latino victims", "other": "Other victims",
                UNKNOWN_GROUP: "Victim group not recorded"}


def category_label(code: str) -> str:
    """Human label of a category code (its code with spaces when it is not a standard one)."""
    return CATEGORY_LABELS.get(code, str(code).replace("_", " ").capitalize())


def group_label(code: str) -> str:
    """Human label of a victim group code."""
    return GROUP_LABELS.get(code, f"{str(code).replace('_', ' ').capitalize()} victims")
