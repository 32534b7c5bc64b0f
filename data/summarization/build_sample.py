"""Builds the bundled extractive-summarization sample (train.jsonl, dev.jsonl, test.jsonl) here.

Short news-style documents written for this project from templates (no real news):
places, organisations and people are invented names. Each document has 6 to 8
sentences: background sentences that say little (history, context, opinions, some
with numbers) and two or three key sentences with the news (who did what, how much,
when). The summary restates the key sentences in headline style (other tense,
fewer words), so the greedy oracle finds them but never scores 100.

The first two sentences are always background, and the key sentences are placed
at random among the rest, so the lead sentences are NOT the summary: Lead-3
holds on average only about one of the key sentences, and a model has to learn
what a key sentence looks like. The output is deterministic (fixed seed); run
`python data/summarization/build_sample.py` after editing.

Each line: {"id": ..., "text": "...", "summary": ["...", ...]}; "text" is raw text that
run_summarization.py splits into sentences itself.

headlines_{train,dev,test}.tsv (source, target) pair each key sentence with its
headline, for abstractive summarization with run_seq2seq.py in the style of
Gigaword headline generation (Rush et al., 2015; one of Rothe et al.'s bert2bert
tasks): rewrite the sentence shorter, in another tense, copying its names and
numbers. A dev or test pair whose sentence also occurs in train is left out.
"""

from __future__ import annotations

import csv
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 2019
SIZES = {"train": 200, "dev": 48, "test": 48}

_ONSETS = ["b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "br", "dr",
           "gl", "kr", "st", "tr", "th", "sh", "w"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ei", "ou"]
_CODAS = ["", "n", "r", "l", "s", "m", "nd", "rk", "th", "x"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
NUMBERS = ["two", "three", "four", "five", "six", "eight", "ten", "twelve", "15", "20", "25",
           "40", "75", "120", "300"]

# Per domain: the organisation's kind, background templates, and (key, summary) template pairs.
# Slots: {place} {org} {person} {day} {num} {num2} {item}.
DOMAINS = {
    "council": {
        "org": "{place} city council",
        "items": ["bridges", "schools", "bus lines", "parks", "libraries", "clinics"],
        "background": [
            "{place} has long been known for its markets and its old stone harbour.",
            "Residents of {place} have discussed the future of the town for many years.",
            "The town was founded on the river more than {num} centuries ago.",
            "Local newspapers have followed the debate closely since the spring.",
            "Many families moved to the area after the new railway opened.",
            "Critics say such plans often take longer than promised.",
            "The weather in the region was mild for most of the season.",
            "Several neighbouring towns face similar questions about their budgets.",
        ],
        "keys": [
            ("The {org} voted on {day} to spend {num} million crowns on new {item}.",
             "{org} votes to spend {num} million crowns on new {item}."),
            ("Mayor {person} said the first {item} would open within {num2} months.",
             "Mayor {person} expects the first {item} to open in {num2} months."),
            ("The plan also cuts parking fees in the centre by {num2} percent.",
             "Parking fees in the centre will fall by {num2} percent."),
            ("Work on the project is due to begin next {day} in the northern district.",
             "Work starts next {day} in the northern district."),
        ],
    },
    "company": {
        "org": "{place} Motors",
        "items": ["electric vans", "tractors", "delivery bikes", "city buses", "scooters"],
        "background": [
            "The company was started by two engineers in a small workshop.",
            "Its factory sits beside the old canal on the edge of {place}.",
            "Analysts have watched the sector closely in recent years.",
            "Competition in the market has grown as new firms appeared.",
            "The firm employed about {num} people a decade ago.",
            "Industry groups often publish forecasts at this time of year.",
            "Customers in the region have mixed views on the brand.",
            "Shares in similar companies moved little during the week.",
        ],
        "keys": [
            ("{org} announced on {day} that it will build {num} thousand {item} next year.",
             "{org} will build {num} thousand {item} next year."),
            ("Chief executive {person} said profits rose by {num2} percent in the last quarter.",
             "Profits at {org} rose {num2} percent, says {person}."),
            ("The firm will hire {num2} hundred workers for a new plant in {place}.",
             "{org} to hire {num2} hundred workers for a new plant."),
            ("It also agreed to buy the rival maker of {item} for {num} million crowns.",
             "{org} agrees to buy a rival maker of {item} for {num} million crowns."),
        ],
    },
    "club": {
        "org": "{place} Rovers",
        "items": ["goals", "points", "matches", "titles"],
        "background": [
            "The club plays its home games at a small ground near the river.",
            "Supporters in {place} are known for their loud songs.",
            "The league has changed its rules several times over the years.",
            "Football has been played in the town for more than a century.",
            "Many young players in the area dream of joining the first team.",
            "The season began with cold and wet weather across the country.",
            "Former players often return to watch the team on weekends.",
            "Ticket prices were discussed at a supporters meeting last year.",
        ],
        "keys": [
            ("{org} won the cup final on {day} with {num2} late {item} against their rivals.",
             "{org} win the cup final with {num2} late {item}."),
            ("Striker {person} scored twice and was named player of the match.",
             "{person} scores twice and is named player of the match."),
            ("The victory ends a wait of {num} years for a major trophy.",
             "The win ends a {num} year wait for a trophy."),
            ("Coach {person} confirmed he will sign a new contract for {num2} more seasons.",
             "Coach {person} to stay for {num2} more seasons."),
        ],
    },
    "university": {
        "org": "the University of {place}",
        "items": ["batteries", "vaccines", "solar panels", "water filters", "soil sensors"],
        "background": [
            "The university was founded in an old monastery outside {place}.",
            "Its laboratories attract students from many countries.",
            "Research funding has been a topic of debate for several years.",
            "Scientists often spend a long time testing such ideas.",
            "The campus library holds about {num} thousand books.",
            "Other groups around the world study similar questions.",
            "Winter in the valley is long and the days are short.",
            "Professors at the faculty meet every month to discuss their work.",
        ],
        "keys": [
            ("Researchers at {org} said on {day} they had built {item} that last {num2} times "
             "longer.",
             "{org} researchers build {item} that last {num2} times longer."),
            ("Lead author {person} said the new {item} cost {num} percent less to make.",
             "The new {item} cost {num} percent less, says {person}."),
            ("The team received a grant of {num} million crowns to test the design.",
             "The team wins a {num} million crown grant to test the design."),
            ("The first trials will start in {num2} hospitals and farms next spring.",
             "Trials start in {num2} hospitals and farms next spring."),
        ],
    },
}


def _name(rng: random.Random, syllables: int) -> str:
    word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                   for _ in range(syllables))
    return word.capitalize()


def _document(rng: random.Random, index: int, split: str) -> dict:
    domain = DOMAINS[rng.choice(sorted(DOMAINS))]
    place = _name(rng, rng.choice([2, 3]))
    slots = {"place": place, "person": f"{_name(rng, 2)} {_name(rng, 2)}",
             "day": rng.choice(DAYS), "num": rng.choice(NUMBERS), "num2": rng.choice(NUMBERS),
             "item": rng.choice(domain["items"])}
    slots["org"] = domain["org"].format(**slots)
    n_sentences = rng.randint(6, 8)
    n_keys = rng.choice([2, 2, 3])
    background = rng.sample(domain["background"], n_sentences - n_keys)
    keys = rng.sample(domain["keys"], n_keys)
    # Two background sentences lead; the key sentences go anywhere after them.
    key_slots = sorted(rng.sample(range(2, n_sentences), n_keys))
    sentences, summary, b, k = [], [], iter(background), iter(keys)
    for position in range(n_sentences):
        if position in key_slots:
            key, headline = next(k)
            sentences.append(key.format(**slots))
            summary.append(headline.format(**slots))
        else:
            sentences.append(next(b).format(**slots))
    summary = [s[0].upper() + s[1:] for s in summary]
    sentences = [s[0].upper() + s[1:] for s in sentences]
    keys = [sentences[i] for i in key_slots]
    return {"id": f"{split}-{index}", "text": " ".join(sentences), "summary": summary,
            "headlines": list(zip(keys, summary))}


def main() -> None:
    rng = random.Random(SEED)
    seen = set()  # training sources: a dev or test pair with one of these is left out
    for split, size in SIZES.items():
        documents = [_document(rng, i, split) for i in range(size)]
        headlines = [pair for doc in documents for pair in doc.pop("headlines")
                     if pair[0] not in seen]
        if split == "train":
            seen = {source for source, _ in headlines}
        path = os.path.join(HERE, f"{split}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for doc in documents:
                f.write(json.dumps(doc, ensure_ascii=False) + "\n")
        print(f"wrote {size} documents to {path}")
        path = os.path.join(HERE, f"headlines_{split}.tsv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, delimiter="\t", lineterminator="\n")
            writer.writerow(["source", "target"])
            writer.writerows(headlines)
        print(f"wrote {len(headlines)} sentence/headline pairs to {path}")


if __name__ == "__main__":
    main()
