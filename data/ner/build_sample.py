"""Builds the bundled CoNLL-2003-format NER sample (train.txt, dev.txt, test.txt) in this folder.

News-style English sentences written for this project: about 120 sentence
patterns (politics, business, sport, culture, general news) whose slots are
filled from lists of people, organisations, places and MISC names (nationalities,
languages, events, prizes), tagged PER / ORG / LOC / MISC in BIO (IOB2).
Tokenized as CoNLL-2003 is: punctuation and possessive 's are separate tokens.
National sports teams are LOC and clubs are ORG, as in CoNLL-2003.

About one name in eight of each list never appears in train.txt, so dev and
test also measure names seen only in context. The output is deterministic
(fixed seed); run `python data/ner/build_sample.py` after editing.
"""

from __future__ import annotations

import os
import random
import re

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 2003
SIZES = {"train": 300, "dev": 80, "test": 80}
DOC_SENTENCES = 20  # a -DOCSTART- line every this many sentences, like CoNLL-2003 documents

# Slot name -> (entity type or None, fillers). Fillers are pre-tokenized (space-separated).
POOLS: dict[str, tuple[str | None, list[str]]] = {
    "POL": ("PER", [
        "Angela Merkel", "Emmanuel Macron", "Boris Johnson", "Joe Biden", "Vladimir Putin",
        "Olaf Scholz", "Justin Trudeau", "Narendra Modi", "Xi Jinping", "Jacinda Ardern",
        "Pedro Sanchez", "Mario Draghi", "Theresa May", "Shinzo Abe", "Nicolas Sarkozy",
        "Helmut Kohl", "Bill Clinton", "Tony Blair", "Jacques Chirac", "Romano Prodi",
        "Kofi Annan", "Nelson Mandela", "Boris Yeltsin", "John Major", "Gerhard Schroeder",
        "Benjamin Netanyahu", "Recep Tayyip Erdogan", "Lula da Silva", "Cyril Ramaphosa",
        "Mark Rutte", "Ursula von der Leyen", "Donald Tusk"]),
    "BIZ": ("PER", [
        "Bill Gates", "Warren Buffett", "Elon Musk", "Tim Cook", "Jeff Bezos", "Sundar Pichai",
        "Satya Nadella", "Mark Zuckerberg", "Steve Jobs", "Jack Welch", "Carlos Ghosn",
        "Rupert Murdoch", "Larry Page", "Mary Barra", "Jack Ma", "Richard Branson"]),
    "TENNIS": ("PER", [
        "Roger Federer", "Serena Williams", "Rafael Nadal", "Novak Djokovic", "Andy Murray",
        "Andre Agassi", "Pete Sampras", "Steffi Graf", "Martina Hingis", "Venus Williams",
        "Boris Becker", "Monica Seles", "Maria Sharapova", "Goran Ivanisevic"]),
    "FOOT": ("PER", [
        "Lionel Messi", "Cristiano Ronaldo", "Zinedine Zidane", "Thierry Henry", "David Beckham",
        "Wayne Rooney", "Robert Lewandowski", "Kylian Mbappe", "Luis Suarez", "Andrea Pirlo",
        "Alan Shearer", "Dennis Bergkamp", "Erling Haaland", "Mohamed Salah", "Jurgen Klinsmann",
        "Ryan Giggs"]),
    "COACH": ("PER", [
        "Alex Ferguson", "Arsene Wenger", "Jose Mourinho", "Pep Guardiola", "Carlo Ancelotti",
        "Jurgen Klopp", "Fabio Capello", "Johan Cruyff", "Louis van Gaal", "Ottmar Hitzfeld"]),
    "F1": ("PER", [
        "Michael Schumacher", "Lewis Hamilton", "Damon Hill", "Mika Hakkinen", "Sebastian Vettel",
        "Fernando Alonso", "Jacques Villeneuve", "Max Verstappen", "Ayrton Senna"]),
    "ATH": ("PER", [
        "Usain Bolt", "Carl Lewis", "Michael Johnson", "Haile Gebrselassie", "Paula Radcliffe",
        "Eliud Kipchoge", "Sergei Bubka", "Jackie Joyner-Kersee", "Mo Farah"]),
    "GOLFER": ("PER", [
        "Tiger Woods", "Nick Faldo", "Greg Norman", "Ernie Els", "Colin Montgomerie",
        "Phil Mickelson", "Seve Ballesteros", "Rory McIlroy"]),
    "CYC": ("PER", [
        "Miguel Indurain", "Lance Armstrong", "Jan Ullrich", "Bjarne Riis", "Marco Pantani",
        "Chris Froome", "Tadej Pogacar"]),
    "ART": ("PER", [
        "Pedro Almodovar", "Steven Spielberg", "Martin Scorsese", "Lars von Trier",
        "Wim Wenders", "Ken Loach", "Sofia Coppola", "Michael Haneke", "Jane Campion"]),
    "PAINTER": ("PER", [
        "Pablo Picasso", "Vincent van Gogh", "Claude Monet", "Rembrandt", "Salvador Dali",
        "Frida Kahlo", "Gustav Klimt", "Paul Cezanne"]),
    "SCI": ("PER", [
        "Stephen Hawking", "Peter Higgs", "Jennifer Doudna", "Tim Berners-Lee", "Ada Yonath",
        "Paul Nurse", "Francoise Barre-Sinoussi"]),
    "COMPANY": ("ORG", [
        "Siemens", "Volkswagen", "Toyota", "Microsoft", "Apple", "Google", "Amazon",
        "General Motors", "Royal Dutch Shell", "Nestle", "Unilever", "Boeing", "Airbus", "Sony",
        "Samsung", "IBM", "Intel", "Philips", "Exxon Mobil", "Coca-Cola", "Daimler", "BASF",
        "Bayer", "Novartis", "Ericsson", "Vodafone", "Deutsche Telekom", "Gazprom"]),
    "CAR": ("ORG", [
        "Volkswagen", "Toyota", "BMW", "Renault", "Fiat", "Ford", "General Motors", "Honda",
        "Daimler", "Nissan", "Volvo", "Peugeot", "Hyundai"]),
    "TECH": ("ORG", [
        "Apple", "Samsung", "Sony", "Nokia", "Microsoft", "Google", "IBM", "Intel", "Huawei",
        "Motorola", "Oracle"]),
    "AIR": ("ORG", [
        "British Airways", "Lufthansa", "Air France", "KLM", "Qantas", "Emirates",
        "Delta Air Lines", "Iberia", "Alitalia", "Ryanair"]),
    "BANK": ("ORG", [
        "Goldman Sachs", "Deutsche Bank", "Barclays", "HSBC", "Morgan Stanley", "UBS",
        "JP Morgan", "Credit Suisse", "BNP Paribas", "Citigroup"]),
    "CB": ("ORG", [
        "European Central Bank", "Federal Reserve", "Bank of England", "Bundesbank",
        "Bank of Japan", "Swiss National Bank"]),
    "INST": ("ORG", [
        "United Nations", "European Union", "NATO", "World Bank", "International Monetary Fund",
        "Red Cross", "World Health Organisation", "African Union", "World Trade Organisation",
        "European Commission", "Arab League", "International Energy Agency"]),
    "BARE_ORG": ("ORG", ["NATO", "OPEC", "UNICEF", "Amnesty International", "Greenpeace",
                         "Interpol", "Human Rights Watch"]),
    "PARTY": ("ORG", [
        "Christian Democrats", "Social Democrats", "Conservative Party", "Labour Party",
        "Democratic Party", "Republican Party", "Green Party", "Liberal Democrats"]),
    "NEWS": ("ORG", [
        "Reuters", "BBC", "CNN", "Le Monde", "Der Spiegel", "Financial Times",
        "Associated Press", "Al Jazeera", "El Pais", "Xinhua"]),
    "CLUB": ("ORG", [
        "Manchester United", "Real Madrid", "Bayern Munich", "Juventus", "Ajax", "Chelsea",
        "Arsenal", "AC Milan", "Inter Milan", "Celtic", "Benfica", "Borussia Dortmund",
        "Paris Saint-Germain", "Atletico Madrid", "PSV Eindhoven", "Galatasaray", "Rangers",
        "Feyenoord", "Tottenham"]),
    "UNI": ("ORG", [
        "Oxford University", "Harvard University", "Cambridge University", "Stanford University",
        "ETH Zurich", "Sorbonne", "University of Tokyo", "Max Planck Institute"]),
    "EXCH": ("ORG", [
        "London Stock Exchange", "New York Stock Exchange", "Tokyo Stock Exchange", "Nasdaq",
        "Deutsche Boerse"]),
    "CITY": ("LOC", [
        "Berlin", "Paris", "London", "Washington", "Moscow", "Tokyo", "Beijing", "Madrid", "Rome",
        "Brussels", "Geneva", "New York", "Los Angeles", "Hong Kong", "Sydney", "Frankfurt",
        "Munich", "Zurich", "Vienna", "Amsterdam", "Stockholm", "Cairo", "Nairobi",
        "Buenos Aires", "Rio de Janeiro", "Mumbai", "Seoul", "Toronto", "Chicago",
        "Johannesburg", "Istanbul", "Warsaw", "Prague", "Lisbon", "Athens", "Dublin", "Oslo",
        "Helsinki", "Milan", "Barcelona", "Manchester", "Hamburg", "Lyon", "Sao Paulo"]),
    "COUNTRY": ("LOC", [
        "Germany", "France", "Britain", "United States", "U.S.", "Russia", "China", "Japan",
        "Italy", "Spain", "Brazil", "India", "Canada", "Australia", "Mexico", "Egypt", "Kenya",
        "South Africa", "Argentina", "Poland", "Sweden", "Netherlands", "Switzerland", "Turkey",
        "Iran", "Iraq", "Israel", "Pakistan", "Indonesia", "South Korea", "Nigeria", "Ukraine",
        "Greece", "Portugal", "Norway", "Belgium", "Austria", "Denmark", "Chile", "Vietnam"]),
    "REGION": ("LOC", [
        "Europe", "Asia", "Africa", "Latin America", "Bavaria", "California", "Texas",
        "Siberia", "Scandinavia", "Catalonia", "Scotland", "Kashmir", "Patagonia", "Tuscany",
        "Flanders", "Sicily"]),
    "AREA": ("LOC", ["Middle East", "Balkans", "Caucasus", "Sahara", "Gulf", "Horn of Africa"]),
    "RIVER": ("LOC", [
        "Rhine", "Danube", "Thames", "Nile", "Mississippi", "Yangtze", "Seine", "Elbe", "Ganges",
        "Amazon River"]),
    "SEA": ("LOC", [
        "Mediterranean", "North Sea", "Baltic Sea", "Black Sea", "Atlantic", "Pacific",
        "Indian Ocean", "Caribbean"]),
    "NAT": ("MISC", [
        "German", "French", "British", "American", "Russian", "Chinese", "Japanese", "Italian",
        "Spanish", "Brazilian", "Indian", "Canadian", "Australian", "Mexican", "Egyptian",
        "Kenyan", "South African", "Argentine", "Polish", "Swedish", "Dutch", "Swiss", "Turkish",
        "Iranian", "Israeli", "Greek", "Portuguese", "Norwegian", "Belgian", "Austrian",
        "Danish", "Chilean"]),
    "LANG": ("MISC", [
        "English", "French", "German", "Spanish", "Arabic", "Russian", "Japanese", "Portuguese",
        "Italian", "Swahili", "Hindi", "Dutch"]),
    "RELIG": ("MISC", ["Muslim", "Jewish", "Catholic", "Hindu", "Buddhist", "Protestant",
                       "Orthodox"]),
    "TENNIS_EVENT": ("MISC", [
        "Australian Open", "French Open", "U.S. Open", "German Open",
        "Davis Cup", "Italian Open"]),
    "CUP": ("MISC", [
        "World Cup", "Champions League", "European Championship", "UEFA Cup", "FA Cup",
        "Copa America", "Africa Cup of Nations"]),
    "GP": ("MISC", [
        "Monaco Grand Prix", "Italian Grand Prix", "British Grand Prix", "Belgian Grand Prix",
        "Japanese Grand Prix", "German Grand Prix", "Canadian Grand Prix"]),
    "GAMES": ("MISC", ["Olympic Games", "World Championships", "Commonwealth Games",
                       "European Championships", "Asian Games"]),
    "GOLF_EVENT": ("MISC", ["British Open", "U.S. Masters", "Ryder Cup", "PGA Championship",
                            "Dutch Open"]),
    "TOUR": ("MISC", ["Tour de France", "Giro d'Italia", "Vuelta a Espana", "Tour of Flanders"]),
    "FEST": ("MISC", ["Cannes Film Festival", "Venice Film Festival", "Berlin Film Festival",
                      "Academy Awards", "Golden Globe Awards"]),
    "PRIZE": ("MISC", ["Nobel Peace Prize", "Nobel Prize", "Pulitzer Prize", "Booker Prize"]),
    # Not entities: they add variety to the O words.
    "NUM": (None, ["two", "three", "five", "12", "15", "40", "85", "250", "1,200", "18", "60",
                   "seven"]),
    "PCT": (None, ["3.5", "7.2", "1.5", "2.1", "0.8", "four", "six", "12", "nine"]),
    "DAY": (None, ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]),
    "MONTH": (None, ["January", "February", "March", "April", "May", "June", "July", "August",
                     "September", "October", "November", "December"]),
    "YEAR": (None, [str(y) for y in range(1990, 2024)]),
    "SCORE": (None, ["1-0", "2-0", "2-1", "3-1", "3-2", "4-0", "4-2", "5-1"]),
    "SETS": (None, ["6-3 6-4", "7-5 6-2", "6-4 3-6 6-1", "6-2 6-2", "7-6 6-4", "6-1 4-6 7-5"]),
    "MINUTE": (None, ["fifth", "12th", "23rd", "31st", "45th", "58th", "67th", "89th"]),
    "G": (None, ["1", "2", "3", "0"]),
}

# {SLOT} is filled from POOLS; {SLOT:last} takes the filler's last word (a surname);
# [TYPE words] is a fixed entity.
TEMPLATES = """
{POL} met {POL} in {CITY} on {DAY} to discuss trade .
{NAT} Prime Minister {POL} arrived in {CITY} for a two-day visit .
{POL} said the {INST} would send more aid to {COUNTRY} .
The {INST} called on {COUNTRY} to release the prisoners .
{COUNTRY} and {COUNTRY} signed a new border agreement in {CITY} .
Talks between {NAT} and {NAT} officials ended without agreement on {DAY} .
{POL} told reporters in {CITY} that the election would be held in {MONTH} .
The {PARTY} won {NUM} seats in the regional election in {REGION} .
Foreign ministers from {COUNTRY} , {COUNTRY} and {COUNTRY} will meet in {CITY} next week .
{POL} , the {NAT} president , flew to {CITY} on {DAY} .
Officials in {CITY} said {NUM} people were killed in the attack .
Protesters gathered outside the {NAT} embassy in {CITY} .
{POL:last} said talks with the {INST} were going well .
The {INST} approved a loan of {NUM} million dollars to {COUNTRY} .
Troops from {COUNTRY} crossed into {COUNTRY} early on {DAY} , witnesses said .
{POL} will visit {COUNTRY} and {COUNTRY} later this month .
A spokesman for {POL:last} declined to comment on the report .
The {NAT} government has denied the claims , {NEWS} reported .
{NEWS} quoted {POL} as saying the sanctions would stay .
{COUNTRY} recalled its ambassador from {COUNTRY} on {DAY} .
The vote in the {NAT} parliament is expected in {MONTH} .
{POL} and {POL} held a joint news conference in {CITY} .
Leaders of the {INST} met in {CITY} to discuss the crisis in the {AREA} .
Thousands of people marched through {CITY} on {DAY} to protest against the plan .
{POL} thanked {COUNTRY} for its support .
The {PARTY} chose {POL} as its candidate for the election .
{POL} won the {PRIZE} in {YEAR} .
{NAT} police arrested {NUM} people in {CITY} on {DAY} .
The {NAT} foreign ministry said it was deeply concerned .
Refugees from {COUNTRY} have crossed the border into {COUNTRY} .
{POL} is expected to announce the decision in {CITY} on {DAY} .
The {INST} said it would investigate the allegations .
{POL:last} 's spokesman said the meeting was useful .
{POL} was born in {CITY} in {YEAR} .
{NAT} tourists were among the victims , the {NAT} foreign ministry said .
Opposition leaders in {COUNTRY} accused {POL:last} of ignoring parliament .
The {INST} secretary-general will travel to {CITY} on {DAY} .
{COUNTRY} 's parliament passed the budget by {NUM} votes .
{POL} urged the {INST} to act quickly in {REGION} .
Elections in {COUNTRY} will take place in {MONTH} , the electoral commission said .
{ORG_COMPANY} said on {DAY} its net profit rose {PCT} percent .
Shares in {COMPANY} fell {PCT} percent in {CITY} .
{COMPANY} will cut {NUM} jobs in {COUNTRY} , the company said .
{BIZ} , chief executive of {COMPANY} , said sales were strong in {REGION} .
{COMPANY} agreed to buy {COMPANY} for {NUM} billion dollars .
The {CB} left interest rates unchanged on {DAY} .
{COMPANY} opened a new factory near {CITY} .
Analysts at {BANK} expect the {NAT} economy to grow by {PCT} percent .
{BIZ} said {COMPANY} had no plans to leave {COUNTRY} .
The {NAT} car maker {CAR} recalled {NUM} vehicles .
{AIR} cancelled flights between {CITY} and {CITY} because of the strike .
The dollar rose against the yen in {CITY} on {DAY} .
{COMPANY} hired {BIZ} as its new chairman .
Oil prices climbed after {BARE_ORG} warned to cut output .
{COMPANY} reported a loss of {NUM} million euros for the quarter .
Workers at the {CAR} plant in {CITY} went on strike on {DAY} .
{BIZ} stepped down as head of {COMPANY} after {NUM} years .
{COMPANY} and {COMPANY} announced a joint venture in {COUNTRY} .
The {INST} cut its forecast for growth in {REGION} .
{BANK} was fined {NUM} million dollars by regulators in {COUNTRY} .
{BIZ} bought a stake in {COMPANY} last year .
Sales of the new phone from {TECH} rose sharply in {COUNTRY} .
{TECH} unveiled its latest software at a conference in {CITY} .
Inflation in {COUNTRY} rose to {PCT} percent in {MONTH} .
{COMPANY} 's shares rose {PCT} percent after the announcement .
{COUNTRY} 's central bank raised interest rates by half a point .
Prices on the {EXCH} fell for a third day .
{NAT} exports rose {PCT} percent in {MONTH} from a year earlier .
{COMPANY} said it would invest {NUM} million euros in {REGION} .
The {CB} is expected to raise rates in {MONTH} , economists at {BANK} said .
{PLAYER_T} beat {PLAYER_T} {SETS} in the final of the {TENNIS_EVENT} .
{PLAYER_T} reached the semi-finals of the {TENNIS_EVENT} on {DAY} .
{CLUB} beat {CLUB} {SCORE} in the {CUP} on {DAY} .
{FOOT} scored twice as {CLUB} won {SCORE} at home .
{CLUB} signed {NAT} striker {FOOT} from {CLUB} .
{COUNTRY} beat {COUNTRY} {SCORE} in a {CUP} qualifier in {CITY} .
{F1} won the {GP} ahead of {F1} .
{ATH} won the 100 metres at the {GAMES} in {CITY} .
{GOLFER} shot a five-under-par 67 to take the lead at the {GOLF_EVENT} .
{CLUB} coach {COACH} was sacked on {DAY} after a run of bad results .
{FOOT} will miss the match against {CLUB} with a knee injury .
{NAT} cyclist {CYC} won the stage of the {TOUR} .
{CLUB} are top of the table after a {SCORE} win over {CLUB} .
The {CUP} final will be played in {CITY} in {MONTH} .
{PLAYER_T} withdrew from the {TENNIS_EVENT} with a back injury .
{COUNTRY} coach {COACH} named {FOOT} in the squad for the {CUP} .
{FOOT} has agreed a new contract with {CLUB} until {YEAR} .
Fans of {CLUB} celebrated in the streets of {CITY} .
{ATH} set a new world record in {CITY} on {DAY} .
Results of {NAT} first division matches played on {DAY} :
{CLUB} {G} {CLUB} {G}
{F1} took pole position for the {GP} .
The {NAT} team arrived in {CITY} for the {GAMES} .
{GOLFER} won the {GOLF_EVENT} by {NUM} strokes .
{FOOT:last} scored in the {MINUTE} minute to give {CLUB} the lead .
{PLAYER_T:last} said the conditions in {CITY} were difficult .
{CYC:last} leads the {TOUR} by {NUM} seconds .
{COACH:last} said {CLUB} deserved to win .
A strong earthquake struck {REGION} on {DAY} , the [ORG U.S. Geological Survey] said .
Heavy rain caused flooding along the {RIVER} in {COUNTRY} .
The film by {NAT} director {ART} won the top prize at the {FEST} .
{ART} will receive an honorary award in {CITY} next month .
The museum in {CITY} bought a painting by {PAINTER} for {NUM} million dollars .
The book has been translated from {LANG} into {LANG} .
{ART} gave an interview to {NEWS} in {CITY} .
Police in {CITY} are looking for a man who robbed a bank on {DAY} .
The {NAT} navy rescued {NUM} fishermen off the coast of {COUNTRY} .
{BARE_ORG} inspectors arrived in {CITY} on {DAY} .
Scientists at {UNI} said the new drug could help millions of people .
{SCI} of {UNI} won the {PRIZE} in {YEAR} .
{NEWS} said {NUM} journalists were detained in {COUNTRY} .
A train from {CITY} to {CITY} derailed on {DAY} , injuring {NUM} people .
Temperatures in {REGION} fell below zero overnight .
The festival attracts thousands of visitors to {CITY} every summer .
The ship sank in the {SEA} with {NUM} people on board .
{ART} , who lives in {CITY} , is working on a new film .
The concert in {CITY} was cancelled because of the storm .
The {RELIG} community in {CITY} celebrated the holiday on {DAY} .
An exhibition of works by {PAINTER} opens in {CITY} in {MONTH} .
Most people in {COUNTRY} speak {LANG} .
{SCI:last} gave a lecture at {UNI} on {DAY} .
The weather is expected to improve later in the week .
Shares fell sharply in early trading on {DAY} .
The government said it would raise taxes next year .
Police said {NUM} people were injured in the crash .
The match was postponed because of heavy snow .
Prices rose by {PCT} percent over the past year .
{BARE_ORG} said the report showed a worrying trend in {COUNTRY} .
A report by {BARE_ORG} criticised the {NAT} authorities .
{POL} asked {BARE_ORG} for help in {AREA} .
Fighting in the {AREA} has driven thousands of people from their homes .
Oil prices climbed after [ORG OPEC] agreed to cut output .
"""
# Aliases used in TEMPLATES.
ALIASES = {"ORG_COMPANY": "COMPANY", "PLAYER_T": "TENNIS"}
HELD_OUT_EVERY = 8  # one filler in 8 of each entity list is kept out of train.txt

_SLOT = re.compile(r"\{([A-Z_0-9]+)(:last)?\}|\[([A-Z]+) ([^\]]+)\]|(\S+)")


def held_out(pool: str, filler: str) -> bool:
    kind, fillers = POOLS[pool]
    return kind is not None and fillers.index(filler) % HELD_OUT_EVERY == HELD_OUT_EVERY - 1


def fill(template: str, rng: random.Random, train: bool) -> list[tuple[str, str]]:
    """A template -> [(word, BIO tag)], distinct fillers for repeated slots."""
    used: set[str] = set()
    out: list[tuple[str, str]] = []
    for m in _SLOT.finditer(template):
        slot, last, fixed_type, fixed_words, word = m.groups()
        if word is not None:
            out.append((word, "O"))
            continue
        if fixed_type is not None:
            kind, words = fixed_type, fixed_words.split()
        else:
            pool = ALIASES.get(slot, slot)
            kind, fillers = POOLS[pool]
            choices = [f for f in fillers if f not in used and not (train and held_out(pool, f))]
            filler = rng.choice(choices)
            used.add(filler)
            words = filler.split()[-1:] if last else filler.split()
        for i, w in enumerate(words):
            out.append((w, "O" if kind is None else f"{'B' if i == 0 else 'I'}-{kind}"))
    return out


def build() -> dict[str, list[list[tuple[str, str]]]]:
    rng = random.Random(SEED)
    templates = [t.strip() for t in TEMPLATES.strip().splitlines() if t.strip()]
    seen: set[str] = set()
    splits = {}
    for split, size in SIZES.items():
        sentences: list[list[tuple[str, str]]] = []
        order: list[str] = []
        while len(sentences) < size:
            if not order:  # every pattern once before any twice
                order = templates[:]
                rng.shuffle(order)
            sentence = fill(order.pop(), rng, train=split == "train")
            key = " ".join(w for w, _ in sentence)
            if key not in seen:
                seen.add(key)
                sentences.append(sentence)
        splits[split] = sentences
    return splits


def conll_text(sentences: list[list[tuple[str, str]]]) -> str:
    lines = []
    for i, sentence in enumerate(sentences):
        if i % DOC_SENTENCES == 0:
            lines += ["-DOCSTART- O", ""]
        lines += [f"{w} {t}" for w, t in sentence] + [""]
    return "\n".join(lines) + "\n"


def main() -> None:
    for split, sentences in build().items():
        path = os.path.join(HERE, f"{split}.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(conll_text(sentences))
        entities = sum(t.startswith("B-") for s in sentences for _, t in s)
        print(f"{path}: {len(sentences)} sentences, {entities} entities")


if __name__ == "__main__":
    main()
