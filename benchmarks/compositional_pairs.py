"""A compositional translation set generated in code: its own lexicon and reordering rules.

Source sentences are English-like: "[the] ADJ NOUN VERB [the] ADJ NOUN [ADVERB]". The target
language (invented words) is verb-final with adjectives after their noun and an object
marker, and negation moves to the end:

  the red dog sees the small cat      -> dag rota kat smi ko vidu
  the red dog does not see the cat    -> dag rota kat ko vidu ne

The test split holds adjective-noun combinations that never occur together in training
(every adjective and every noun does), so a model must bind each adjective to its own
noun rather than recall pairs. Deterministic for a seed.
"""

from __future__ import annotations

import csv
import itertools
import random

NOUNS = {"dog": "dag", "cat": "kat", "bird": "pilo", "horse": "hoso", "child": "kin",
         "woman": "wuma", "man": "mano", "teacher": "lero", "farmer": "bafa", "doctor": "doko",
         "girl": "gela", "boy": "boyo", "friend": "fren", "king": "reko", "queen": "kwina",
         "student": "tudo"}
ADJECTIVES = {"red": "rota", "small": "smi", "old": "alo", "young": "yuna", "happy": "hapi",
              "tall": "tola", "sad": "sado", "clever": "kleva", "quiet": "kwie", "angry": "gra",
              "brave": "bravo", "lazy": "lazi"}
VERBS = {"sees": "vidu", "helps": "help", "finds": "fin", "follows": "folo", "calls": "kalo",
         "visits": "vizi", "knows": "sabe", "pushes": "pusa", "likes": "liku", "teaches": "tica"}
NEGATED = {"sees": "see", "helps": "help", "finds": "find", "follows": "follow", "calls": "call",
           "visits": "visit", "knows": "know", "pushes": "push", "likes": "like",
           "teaches": "teach"}
ADVERBS = {"today": "oje", "often": "ofte", "again": "ree"}


def _phrase(rng: random.Random, combos: list[tuple[str, str]]) -> tuple[str, str, tuple]:
    adj, noun = rng.choice(combos)
    return f"the {adj} {noun}", f"{NOUNS[noun]} {ADJECTIVES[adj]}", (adj, noun)


def _sentence(rng: random.Random, combos) -> tuple[str, str, list[tuple]]:
    subj_en, subj_x, c1 = _phrase(rng, combos)
    obj_en, obj_x, c2 = _phrase(rng, combos)
    verb = rng.choice(list(VERBS))
    negate = rng.random() < 0.25
    adverb = rng.choice([None, None, *ADVERBS])
    en_verb = f"does not {NEGATED[verb]}" if negate else verb
    source = f"{subj_en} {en_verb} {obj_en}" + (f" {adverb}" if adverb else "") + "."
    target = (f"{ADVERBS[adverb]} " if adverb else "") + f"{subj_x} {obj_x} ko {VERBS[verb]}"
    target += " ne." if negate else "."
    return source[0].upper() + source[1:], target, [c1, c2]


def build(n_train: int = 1400, n_test: int = 60, held_out: float = 0.2, seed: int = 0
          ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train pairs, test pairs); each test sentence has at least one held-out combination."""
    rng = random.Random(seed)
    combos = list(itertools.product(ADJECTIVES, NOUNS))
    rng.shuffle(combos)
    # Hold out combinations but keep every adjective and noun in training.
    test_combos, train_combos = [], []
    for c in combos:
        rest = [x for x in combos if x not in test_combos and x != c]
        covered = ({a for a, _ in rest} == set(ADJECTIVES)) and ({n for _, n in rest} == set(NOUNS))
        if len(test_combos) < held_out * len(combos) and covered:
            test_combos.append(c)
        else:
            train_combos.append(c)
    train, seen = [], set()
    while len(train) < n_train:
        s, t, _ = _sentence(rng, train_combos)
        if s not in seen:
            seen.add(s)
            train.append((s, t))
    test = []
    while len(test) < n_test:
        s, t, used = _sentence(rng, combos)
        if any(u in test_combos for u in used) and s not in seen:
            seen.add(s)
            test.append((s, t))
    return train, test


def write_tsv(path: str, pairs: list[tuple[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["source", "target"])
        w.writerows(pairs)


if __name__ == "__main__":
    train, test = build()
    print(len(train), len(test))
    for p in train[:3] + test[:3]:
        print(p)
