"""Builds data/longdoc: long reviews whose sentiment sits in one sentence, often late.

  python data/longdoc/make_longdoc.py      # rewrites train.tsv, dev.tsv, test.tsv, test_labels.tsv

Each document is 16-22 neutral sentences (who went, when, where, what was ordered or
seen: generated from templates below, with no opinion in them) and one sentence of
data/sentiment, which gives the document its label. That sentence goes in a random
slot after the first six, so in most documents it lies beyond the first 128
wordpieces, where --max_seq_length=128 truncation never sees it. Train documents
take their sentiment sentence from data/sentiment/train.tsv, dev from dev.tsv and
test from test.tsv, so no deciding sentence is shared between splits. Layout: GLUE
SST-2's (`--task_name=sst-2`). Deterministic (seed 13).
"""

from __future__ import annotations

import csv
import pathlib
import random

HERE = pathlib.Path(__file__).resolve().parent
SENTIMENT = HERE.parent / "sentiment"
SIZES = {"train": 160, "dev": 50, "test": 50}

PEOPLE = ["my sister", "two colleagues", "an old friend", "my parents", "a neighbour",
          "my cousin", "the whole family", "a client", "my partner", "three classmates"]
DAYS = ["on a Monday", "on a Tuesday evening", "last Thursday", "on a rainy Saturday",
        "one Sunday morning", "in early spring", "during the holidays", "after work on Friday"]
PLACES = ["near the station", "on the corner of Mill Street", "next to the old library",
          "across from the bus depot", "in the shopping centre", "on the second floor",
          "beside the river path", "behind the town hall"]
THINGS = ["the set menu", "a standard ticket", "the basic plan", "the weekend package",
          "the paperback edition", "a family pass", "the early showing", "the monthly option"]
TEMPLATES = [
    "I went {day} with {person}.",
    "The place is {place}, about ten minutes from where we live.",
    "We chose {thing} because it was the one on offer that week.",
    "Parking was available {place}, and we paid at the machine.",
    "{Person} had heard about it from a newsletter.",
    "We arrived at around seven and left a little after nine.",
    "The booking was made online {day}, and a confirmation came by email.",
    "There were perhaps twenty other people there at the time.",
    "I had {thing} while {person} looked through the other options.",
    "The entrance is {place}, with a small sign above the door.",
    "We had checked the opening hours beforehand on the website.",
    "The price was listed at the counter, next to a few leaflets.",
    "{Person} took a few notes to compare it with a visit last year.",
    "It was the first time either of us had tried {thing}.",
    "We came back the following week {day} to pick something up.",
    "The staff asked for a name for the reservation and pointed to a table.",
    "Most of the other customers seemed to be locals.",
    "I paid by card, and the receipt listed {thing} and a service charge.",
    "Afterwards we walked {place} and took the bus home.",
    "The website describes the history of the building in some detail.",
]


def sentences(name: str) -> list[tuple[str, str]]:
    """(sentence, label) of a data/sentiment split; test labels from test_labels.tsv."""
    with open(SENTIMENT / f"{name}.tsv", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    if name != "test":
        return [(r[0], r[1]) for r in rows]
    with open(SENTIMENT / "test_labels.tsv", encoding="utf-8") as f:
        labels = dict(list(csv.reader(f, delimiter="\t"))[1:])
    return [(r[1], labels[r[0]]) for r in rows]


def filler(rng: random.Random) -> str:
    person = rng.choice(PEOPLE)
    return rng.choice(TEMPLATES).format(day=rng.choice(DAYS), person=person,
                                        Person=person[0].upper() + person[1:],
                                        place=rng.choice(PLACES), thing=rng.choice(THINGS))


def document(sentence: str, rng: random.Random) -> str:
    body = [filler(rng) for _ in range(rng.randint(16, 22))]
    body.insert(rng.randint(6, len(body)), sentence)
    return " ".join(body)


def main() -> None:
    rng = random.Random(13)
    for split, n in SIZES.items():
        pool = sentences(split)
        rng.shuffle(pool)
        docs = [(document(s, rng), label) for s, label in (pool * 2)[:n]]
        with open(HERE / f"{split}.tsv", "w", encoding="utf-8") as f:
            if split == "test":
                f.write("index\tsentence\n" + "".join(f"{i}\t{d}\n" for i, (d, _) in
                                                        enumerate(docs)))
                with open(HERE / "test_labels.tsv", "w", encoding="utf-8") as g:
                    g.write("index\tlabel\n" + "".join(f"{i}\t{label}\n" for i, (_, label) in
                                                       enumerate(docs)))
            else:
                f.write("sentence\tlabel\n" + "".join(f"{d}\t{label}\n" for d, label in docs))


if __name__ == "__main__":
    main()
