"""Writes sts_sample.tsv: constructed sentence pairs with graded similarity (0-5), CC0.

Score by construction: 5 same sentence with synonyms swapped in; 4 same event, one detail
changed; 3 same subject and verb, another object; 2 same topic, another event; 0 unrelated.
"""

import itertools
import os
import random

# (subject, verb phrase, object, synonym version of the sentence, other object, other event)
EVENTS = [
    ("A man", "is playing", "a guitar", "A guy is strumming a guitar", "a piano", "A man is tuning a violin"),
    ("A woman", "is slicing", "an onion", "A lady is cutting an onion", "a tomato", "A woman is washing dishes"),
    ("The child", "is reading", "a book", "The kid is looking through a book", "a newspaper", "The child is drawing a picture"),
    ("A dog", "is chasing", "a ball", "A puppy is running after a ball", "a cat", "A dog is sleeping on the sofa"),
    ("The chef", "is cooking", "pasta", "The cook is preparing pasta", "soup", "The chef is cleaning the oven"),
    ("Two boys", "are playing", "football", "Two kids are playing soccer", "basketball", "Two boys are riding bikes"),
    ("The pilot", "is flying", "a plane", "The aviator is piloting an aircraft", "a helicopter", "The pilot is checking the weather"),
    ("A girl", "is painting", "a fence", "A young woman is painting a fence", "a wall", "A girl is planting flowers"),
    ("The bank", "raised", "interest rates", "The central bank increased interest rates", "fees", "The bank opened a new branch"),
    ("The team", "won", "the championship", "The squad won the title", "the semifinal", "The team hired a new coach"),
    ("A farmer", "is feeding", "the cows", "A farmer is giving food to the cattle", "the chickens", "A farmer is repairing a tractor"),
    ("The students", "are writing", "an exam", "The pupils are taking a test", "an essay", "The students are going on a trip"),
    ("A man", "is riding", "a horse", "A person is on horseback", "a motorcycle", "A man is brushing a horse"),
    ("The company", "reported", "record profits", "The firm announced its highest profits ever", "heavy losses", "The company moved its headquarters"),
    ("A woman", "is singing", "a song", "A lady is performing a song", "an opera aria", "A woman is playing the drums"),
    ("The police", "arrested", "a suspect", "Officers detained a suspect", "two protesters", "The police closed the road"),
    ("A cat", "is drinking", "milk", "A kitten is lapping up milk", "water", "A cat is climbing a tree"),
    ("The president", "signed", "the bill", "The president approved the law", "a treaty", "The president visited a factory"),
    ("A boy", "is eating", "an apple", "A child is biting into an apple", "a sandwich", "A boy is brushing his teeth"),
    ("The storm", "damaged", "many houses", "The storm destroyed numerous homes", "the bridge", "The storm moved out to sea"),
    ("A man", "is cutting", "the grass", "A man is mowing the lawn", "a tree", "A man is washing his car"),
    ("Scientists", "discovered", "a new planet", "Astronomers found a new planet", "a new species", "Scientists held a conference"),
    ("A woman", "is typing", "a letter", "A lady is writing a letter on a keyboard", "a report", "A woman is answering the phone"),
    ("The train", "arrived", "at the station", "The train pulled into the station", "at the airport", "The train was cancelled"),
    ("A baby", "is holding", "a toy", "An infant is grasping a toy", "a spoon", "A baby is crying in a crib"),
    ("The museum", "opened", "a new exhibition", "The museum launched a new show", "a cafe", "The museum raised ticket prices"),
    ("A man", "is climbing", "a mountain", "A climber is scaling a mountain", "a ladder", "A man is camping by a lake"),
    ("The orchestra", "performed", "a symphony", "The orchestra played a symphony", "a film score", "The orchestra went on tour"),
    ("A woman", "is walking", "her dog", "A lady is taking her dog for a walk", "her bicycle", "A woman is feeding her fish"),
    ("The government", "cut", "taxes", "The government lowered taxes", "spending", "The government called an election"),
]
DETAILS = [("", " this morning"), ("", " in the park"), ("", " again"), ("", " slowly"), ("", " today")]


def main():
    rng = random.Random(0)
    rows = []
    for i, (subj, verb, obj, syn, other_obj, other_event) in enumerate(EVENTS):
        base = f"{subj} {verb} {obj}."
        rows.append((base, syn + ".", 5.0))
        rows.append((base, f"{subj} {verb} {obj}{rng.choice(DETAILS)[1]}.", 4.0))
        rows.append((base, f"{subj} {verb} {other_obj}.", 3.0))
        rows.append((base, other_event + ".", 2.0))
        for j in rng.sample([k for k in range(len(EVENTS)) if k != i], 2):
            s2, v2, o2 = EVENTS[j][:3]
            rows.append((base, f"{s2} {v2} {o2}.", 0.0))
    rng.shuffle(rows)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sts_sample.tsv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("sentence1\tsentence2\tscore\n")
        for a, b, s in rows:
            f.write(f"{a}\t{b}\t{s}\n")
    print(len(rows), "pairs ->", path)


if __name__ == "__main__":
    main()
