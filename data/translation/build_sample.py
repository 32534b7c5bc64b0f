"""Builds the bundled English -> German translation sample (train.tsv, dev.tsv, test.tsv).

Sentences written for this project from a small grammar and translated by rule,
so the set has no third-party text: a subject and an object (article, optional
adjective, noun), a verb, and optionally a negation, a place or a time. The
German side needs what makes translation more than word substitution:

  gender and case       the dog sees the dog -> der hund sieht den hund
  adjective endings     the old dog -> der alte hund; sees the old dog -> den alten hund
  verb second           today the dog sees the cat -> heute sieht der hund die katze
  negation at the end   the dog does not see the cat -> der hund sieht die katze nicht
  contractions          in the garden -> im garten

German is written lower case and without umlauts (ae, oe, ue, ss), so an uncased
model (which strips accents) can produce every reference exactly. Columns:
source, target. The output is deterministic (fixed seed); dev and test hold
sentences that are not in train. Run `python data/translation/build_sample.py`.
"""

from __future__ import annotations

import csv
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 2014
SIZES = {"train": 2400, "dev": 120, "test": 120}

# English noun -> (German noun, gender m/f/n).
NOUNS = {
    "dog": ("hund", "m"), "cat": ("katze", "f"), "bird": ("vogel", "m"), "horse": ("pferd", "n"),
    "child": ("kind", "n"), "woman": ("frau", "f"), "man": ("mann", "m"),
    "teacher": ("lehrer", "m"), "ball": ("ball", "m"), "book": ("buch", "n"),
    "car": ("auto", "n"), "flower": ("blume", "f"), "bag": ("tasche", "f"),
    "letter": ("brief", "m"), "apple": ("apfel", "m"), "lamp": ("lampe", "f"),
    "house": ("haus", "n"), "window": ("fenster", "n"), "friend": ("freund", "m"),
    "doctor": ("arzt", "m"), "farmer": ("bauer", "m"), "girl": ("maedchen", "n"),
    "boy": ("junge", "m"), "student": ("student", "m"),
}
ANIMATE = ["dog", "cat", "bird", "horse", "child", "woman", "man", "teacher", "friend", "doctor",
           "farmer", "girl", "boy", "student"]
ADJECTIVES = {"big": "gross", "small": "klein", "old": "alt", "new": "neu", "young": "jung",
              "red": "rot", "blue": "blau", "black": "schwarz", "white": "weiss",
              "happy": "froh", "tired": "muede", "beautiful": "schoen"}
# English verb (base, 3rd person) -> German 3rd person.
VERBS = {("see", "sees"): "sieht", ("like", "likes"): "mag", ("find", "finds"): "findet",
         ("buy", "buys"): "kauft", ("paint", "paints"): "malt", ("seek", "seeks"): "sucht",
         ("need", "needs"): "braucht", ("visit", "visits"): "besucht",
         ("draw", "draws"): "zeichnet", ("fetch", "fetches"): "holt",
         ("hear", "hears"): "hoert", ("carry", "carries"): "traegt"}
PLACES = {"in the garden": "im garten", "at the station": "am bahnhof",
          "in the city": "in der stadt", "at school": "in der schule",
          "in the park": "im park", "at home": "zu hause"}
TIMES = {"today": "heute", "tomorrow": "morgen", "now": "jetzt", "often": "oft"}

ARTICLES = {"nom": {"m": "der", "f": "die", "n": "das"}, "acc": {"m": "den", "f": "die", "n": "das"}}


def noun_phrase(noun: str, adjective: str | None, case: str) -> tuple[str, str]:
    german, gender = NOUNS[noun]
    article = ARTICLES[case][gender]
    if adjective is None:
        return f"the {noun}", f"{article} {german}"
    stem = ADJECTIVES[adjective]
    # Weak endings after the definite article: -en only in the masculine accusative.
    ending = "en" if (case, gender) == ("acc", "m") else "e"
    stem = stem[:-1] if stem.endswith("e") else stem
    return f"the {adjective} {noun}", f"{article} {stem}{ending} {german}"


def sentence(rng: random.Random) -> tuple[str, str]:
    def adjective():
        return rng.choice(list(ADJECTIVES)) if rng.random() < 0.5 else None

    subject_en, subject_de = noun_phrase(rng.choice(ANIMATE), adjective(), "nom")
    object_en, object_de = noun_phrase(rng.choice(list(NOUNS)), adjective(), "acc")
    (base, third), verb_de = rng.choice(list(VERBS.items()))
    negated = rng.random() < 0.25
    place = rng.choice(list(PLACES)) if rng.random() < 0.35 else None
    time = rng.choice(list(TIMES)) if rng.random() < 0.35 else None

    verb_en = f"does not {base}" if negated else third
    english = f"{subject_en} {verb_en} {object_en}"
    if place:
        english += f" {place}"
    german_rest = f"{object_de}" + (f" {PLACES[place]}" if place else "") + (" nicht" if negated
                                                                            else "")
    if time and rng.random() < 0.5:  # fronted time: verb second, subject after the verb
        english = f"{time} {english}"
        german = f"{TIMES[time]} {verb_de} {subject_de} {german_rest}"
    elif time:
        english += f" {time}"
        german = f"{subject_de} {verb_de} {TIMES[time]} {german_rest}"
    else:
        german = f"{subject_de} {verb_de} {german_rest}"
    return english[0].upper() + english[1:] + ".", german + "."


def main() -> None:
    rng = random.Random(SEED)
    seen: set[str] = set()
    for split, size in SIZES.items():
        rows = []
        while len(rows) < size:
            english, german = sentence(rng)
            if english not in seen:
                seen.add(english)
                rows.append((english, german))
        with open(os.path.join(HERE, f"{split}.tsv"), "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, delimiter="\t", lineterminator="\n")
            writer.writerow(["source", "target"])
            writer.writerows(rows)


if __name__ == "__main__":
    main()
