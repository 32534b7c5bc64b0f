"""Builds the bundled multi-label sample (train.jsonl, dev.jsonl, test.jsonl) in this folder.

News-style English sentences written for this project. Each example joins one to
three clauses, each about one topic (sports, politics, tech, food), so it carries
the set of those topics as its labels. A clause comes from about 20 patterns per
topic whose slots are filled from word lists; about one filler in six of each
list never appears in train.jsonl, and some clauses add a topic-neutral phrase
(a day, a place, a source), so a model has to read the content words rather than
count clauses. The output is deterministic (fixed seed); run
`python data/multilabel/build_sample.py` after editing.
"""

from __future__ import annotations

import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 30
SIZES = {"train": 600, "dev": 150, "test": 150}
TOPICS = ("food", "politics", "sports", "tech")
# How many topics an example has: 1, 2 or 3.
TOPIC_COUNTS = ((1, 0.45), (2, 0.4), (3, 0.15))

FILLERS = {
    "team": ["the home side", "the visitors", "the national team", "the under-21 squad",
             "the league leaders", "the defending champions", "the relegated club",
             "the women's team", "the rowing crew", "the relay team", "the youth academy",
             "the rugby fifteen"],
    "athlete": ["the striker", "the goalkeeper", "the sprinter", "the veteran midfielder",
                "the young winger", "the marathon runner", "the tennis star", "the captain",
                "the swimmer", "the boxer", "the cyclist", "the point guard"],
    "match": ["the cup final", "the derby", "the semi-final", "the season opener",
              "the away game", "the title decider", "the qualifier", "the friendly",
              "the grand slam final", "the play-off", "the marathon", "the home match"],
    "official": ["the prime minister", "the senator", "the finance minister", "the mayor",
                 "the opposition leader", "the governor", "the foreign secretary",
                 "the president", "the party chair", "the health minister",
                 "the ambassador", "the speaker of parliament"],
    "policy": ["the budget", "the tax reform", "the pension bill", "the trade agreement",
               "the election law", "the immigration bill", "the climate treaty",
               "the housing plan", "the constitutional amendment", "the spending review",
               "the voting reform", "the sanctions package"],
    "body": ["parliament", "the senate", "the cabinet", "the city council", "the coalition",
             "the supreme court", "the electoral commission", "the ruling party",
             "the upper house", "the regional assembly", "the opposition", "the committee"],
    "device": ["the new smartphone", "the laptop", "the smartwatch", "the tablet",
               "the graphics card", "the home router", "the VR headset", "the e-reader",
               "the games console", "the wireless earbuds", "the server chip",
               "the electric scooter"],
    "software": ["the operating system update", "the mobile app", "the search engine",
                 "the cloud service", "the chatbot", "the password manager",
                 "the open-source library", "the web browser", "the video codec",
                 "the database engine", "the translation model", "the antivirus tool"],
    "company": ["the chipmaker", "the start-up", "the software giant",
                "the cloud provider", "the social network", "the phone maker",
                "the robotics firm", "the semiconductor plant", "the data centre operator",
                "the streaming platform", "the cybersecurity firm", "the satellite operator"],
    "dish": ["the risotto", "the ramen", "the sourdough bread", "the lamb curry",
             "the seafood paella", "the vegan burger", "the chocolate tart",
             "the tomato soup", "the roast chicken", "the dumplings", "the lemon cake",
             "the grilled salmon"],
    "venue": ["the bistro", "the food truck", "the bakery", "the noodle bar",
              "the vineyard restaurant", "the street market stall", "the cafe",
              "the steakhouse", "the pizzeria", "the tapas bar", "the farm kitchen",
              "the sushi counter"],
    "cook": ["the head chef", "the pastry chef", "the baker", "the home cook",
             "the food critic", "the sommelier", "the cookbook author", "the butcher",
             "the cheesemaker", "the barista", "the street vendor", "the grill master"],
}

PATTERNS = {
    "sports": [
        "{athlete} scored twice as {team} won {match}",
        "{team} lost {match} after a late penalty",
        "{athlete} was injured in training before {match}",
        "{team} signed {athlete} on a three-year contract",
        "the coach dropped {athlete} for {match}",
        "{athlete} broke the national record in the final lap",
        "{team} drew {match} in front of a sold-out stadium",
        "fans cheered as {team} lifted the trophy",
        "{athlete} served a ban after a red card",
        "the referee sent off {athlete} in {match}",
        "{team} came from two goals down to win {match}",
        "{athlete} retired after fifteen seasons in the league",
        "tickets for {match} sold out within an hour",
        "{team} sacked its manager after a losing streak",
        "{athlete} won gold in the hundred metres",
        "{team} clinched the championship on the last day of the season",
        "{athlete} tested the new racing shoes in the warm-up",
        "the transfer fee for {athlete} set a club record",
        "{team} trained at altitude before {match}",
        "the league postponed {match} because of a waterlogged pitch",
    ],
    "politics": [
        "{official} defended {policy} in a heated debate",
        "{body} voted against {policy}",
        "{official} resigned after a corruption inquiry",
        "{body} passed {policy} by a narrow margin",
        "{official} called an early election",
        "protesters marched against {policy} outside {body}",
        "{official} announced {policy} at a press conference",
        "{body} blocked the appointment proposed by {official}",
        "opinion polls show {official} losing support",
        "{official} met foreign leaders to discuss {policy}",
        "voters will decide on {policy} in a referendum",
        "{body} opened an investigation into {official}",
        "{official} promised to cut taxes before the election",
        "the coalition split over {policy}",
        "{official} survived a vote of no confidence",
        "campaign donations to {official} came under scrutiny",
        "{body} delayed {policy} until after the summer recess",
        "{official} vetoed {policy}",
        "a new party challenged {official} in the polls",
        "{official} signed {policy} into law",
    ],
    "tech": [
        "{company} released {software}",
        "{device} ships with a faster processor and a bigger battery",
        "a security flaw in {software} exposed user passwords",
        "{company} unveiled {device} at its developer conference",
        "reviewers praised the screen of {device}",
        "{company} laid off engineers after a weak quarter",
        "{software} now runs on {device}",
        "{company} patched a bug that crashed {software}",
        "{device} overheats when charging, users report",
        "{company} trained a larger neural network for {software}",
        "hackers breached the servers of {company}",
        "{software} added end-to-end encryption",
        "{company} moved its data to a new cloud region",
        "{device} got a firmware update that fixes the bluetooth issue",
        "{company} acquired a rival for its chip designs",
        "developers complained that {software} drains the battery",
        "{company} open-sourced the code behind {software}",
        "a shortage of memory chips delayed {device}",
        "{company} launched a programme to teach coding in schools",
        "{software} crashed for millions of users after an outage",
    ],
    "food": [
        "{cook} added {dish} to the menu at {venue}",
        "{venue} serves {dish} with fresh herbs from its garden",
        "{cook} baked {dish} with organic flour",
        "critics loved {dish} at {venue}",
        "{venue} earned a star for its tasting menu",
        "{cook} shared a recipe for {dish}",
        "{dish} at {venue} was too salty, one diner wrote",
        "{venue} sources its vegetables from local farms",
        "{cook} won a baking contest with {dish}",
        "the price of olive oil pushed up the cost of {dish}",
        "{venue} opened a second kitchen for takeaway orders",
        "{cook} slow-cooked {dish} for twelve hours",
        "{venue} paired {dish} with a crisp white wine",
        "a food festival celebrated {dish} and spicy street snacks",
        "{cook} taught a class on fermenting vegetables",
        "{venue} ran out of {dish} by lunchtime",
        "{cook} seasoned {dish} with smoked paprika",
        "diners queued outside {venue} for {dish}",
        "{venue} changed its menu to use seasonal fruit",
        "{cook} criticised the portions of {dish} at {venue}",
    ],
}

NEUTRAL = ["on Tuesday", "last weekend", "according to local reports", "in the capital",
           "earlier this month", "on Friday evening", "witnesses said", "in the north",
           "for the second time this year", "late on Sunday"]
CONNECTORS = ["; meanwhile, ", ", while ", ". Separately, ", " and ", ". In other news, ",
              ", as "]


def _held_out(rng: random.Random) -> dict[str, set[str]]:
    """About one filler in six per list appears only in dev and test."""
    return {slot: set(rng.sample(words, max(1, len(words) // 6)))
            for slot, words in FILLERS.items()}


def _clause(rng: random.Random, topic: str, train: bool, held: dict[str, set[str]]) -> str:
    pattern = rng.choice(PATTERNS[topic])
    values = {}
    for slot in FILLERS:
        if "{" + slot + "}" in pattern:
            pool = [w for w in FILLERS[slot] if not (train and w in held[slot])]
            values[slot] = rng.choice(pool)
    clause = pattern.format(**values)
    if rng.random() < 0.3:
        clause += " " + rng.choice(NEUTRAL)
    return clause


def _example(rng: random.Random, train: bool, held: dict[str, set[str]]) -> dict:
    counts, weights = zip(*TOPIC_COUNTS)
    topics = rng.sample(TOPICS, rng.choices(counts, weights)[0])
    text = _clause(rng, topics[0], train, held)
    for topic in topics[1:]:
        text += rng.choice(CONNECTORS) + _clause(rng, topic, train, held)
    text = text[0].upper() + text[1:] + "."
    return {"text": text, "labels": sorted(topics)}


def build() -> dict[str, list[dict]]:
    rng = random.Random(SEED)
    held = _held_out(rng)
    seen, out = set(), {}
    for split, size in SIZES.items():
        rows = []
        while len(rows) < size:
            row = _example(rng, split == "train", held)
            if row["text"] not in seen:  # no sentence in two places
                seen.add(row["text"])
                rows.append(row)
        out[split] = rows
    return out


def main() -> None:
    for split, rows in build().items():
        with open(os.path.join(HERE, f"{split}.jsonl"), "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
