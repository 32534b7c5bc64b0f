"""Builds the bundled SQuAD-format sample (hand-written paragraphs) in this folder.

  train.json, dev.json             SQuAD 1.1 format: every question has an answer
  train-v2.0.json, dev-v2.0.json   SQuAD 2.0 format: the same plus unanswerable questions
                                   (is_impossible, empty answers, plausible_answers)

Answers are exact substrings of their context; `answer_start` is computed here,
so the files are always consistent. Dev questions may list several gold answers,
as the official dev sets do. Run `python data/squad/build_sample.py` after editing.
"""

from __future__ import annotations

import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))


def Q(question, *answers):  # noqa: N802 - reads like the data it builds
    """An answerable question; the first answer is the training answer."""
    return {"question": question, "answers": answers}


def N(question, plausible):  # noqa: N802
    """An unanswerable question (SQuAD 2.0) with a plausible-looking wrong answer."""
    return {"question": question, "plausible": plausible}


TRAIN = [
    ("Port Ellis", "Port Ellis is a small fishing town on the northern coast. It was founded in "
     "1742 by sailors from Norway. Today about 3,500 people live there, and the town is known "
     "for its annual herring festival, which is held every August.",
     [Q("When was Port Ellis founded?", "1742"),
      Q("Who founded Port Ellis?", "sailors from Norway"),
      Q("How many people live in Port Ellis today?", "about 3,500"),
      N("When was the herring festival cancelled?", "every August")]),
    ("Carver Bridge", "The Carver Bridge crosses the Mill River in the center of Ashford. "
     "Construction began in 1928 and the bridge was completed in 1932. It is made of steel and "
     "granite and is 410 meters long. The bridge was designed by the engineer Helen Carver.",
     [Q("What river does the Carver Bridge cross?", "the Mill River"),
      Q("When was the bridge completed?", "1932"),
      Q("Who designed the Carver Bridge?", "Helen Carver"),
      Q("How long is the bridge?", "410 meters"),
      N("Who paid for the construction of the bridge?", "Helen Carver")]),
    ("Photosynthesis", "Photosynthesis is the process by which green plants use sunlight to make "
     "food. The plants take in carbon dioxide from the air and water from the soil. Using the "
     "energy of light, they turn these into glucose and release oxygen. The green pigment that "
     "captures the light is called chlorophyll.",
     [Q("What do green plants use to make food?", "sunlight"),
      Q("Where do plants get water from?", "the soil"),
      Q("What gas do plants release?", "oxygen"),
      Q("What is the green pigment called?", "chlorophyll")]),
    ("Greenfield Library", "The Greenfield Public Library opened in 1905 with a gift of 2,000 "
     "books from a local merchant, Samuel Price. The library moved to its current building on "
     "Oak Street in 1968. It now holds more than 80,000 books and offers free computer classes "
     "on Saturday mornings.",
     [Q("When did the Greenfield Public Library open?", "1905"),
      Q("Who gave the first books to the library?", "Samuel Price"),
      Q("On which street is the library's current building?", "Oak Street"),
      N("How many computers does the library own?", "80,000")]),
    ("City Marathon", "Maria Lopez won the city marathon on Sunday in a time of 2 hours and 31 "
     "minutes. It was her third victory in the race. She trained for six months in the "
     "mountains of Colorado before the event. More than 12,000 runners took part this year.",
     [Q("Who won the city marathon?", "Maria Lopez"),
      Q("What was the winning time?", "2 hours and 31 minutes"),
      Q("Where did Maria Lopez train before the event?", "in the mountains of Colorado"),
      Q("How many runners took part this year?", "More than 12,000"),
      N("Who finished second in the marathon?", "Maria Lopez")]),
    ("Mount Kerel", "Mount Kerel is an active volcano on the island of Tavi. It last erupted in "
     "1991, when ash fell on villages up to 40 kilometers away. Scientists from the national "
     "observatory watch the mountain day and night. The volcano rises 2,870 meters above sea "
     "level.",
     [Q("On which island is Mount Kerel?", "Tavi"),
      Q("When did Mount Kerel last erupt?", "1991"),
      Q("How high does the volcano rise above sea level?", "2,870 meters"),
      N("How many people died in the eruption of 1991?", "40")]),
    ("Rosa's Bakery", "Rosa's Bakery on Main Street makes bread every morning starting at four "
     "o'clock. The most popular item is a sourdough loaf made with flour from a nearby mill. "
     "The bakery was opened by Rosa Bianchi in 1987 and is now run by her son, Marco.",
     [Q("At what time does the bakery start making bread?", "four o'clock"),
      Q("What is the most popular item at the bakery?", "a sourdough loaf"),
      Q("Who runs the bakery now?", "Marco"),
      Q("When was the bakery opened?", "1987")]),
    ("Honeybees", "Honeybees live in colonies that can contain up to 60,000 bees. Each colony "
     "has a single queen, who lays all of the eggs. Worker bees collect nectar from flowers and "
     "turn it into honey. Male bees are called drones, and their main job is to mate with a "
     "queen.",
     [Q("How many bees can a colony contain?", "up to 60,000"),
      Q("Who lays all of the eggs in a colony?", "a single queen"),
      Q("What are male bees called?", "drones"),
      N("How long does a worker bee live?", "60,000")]),
    ("Westbrook Robotics", "The robotics team at Westbrook High School built a robot that can "
     "sort recycling into paper, plastic and metal. The team of eight students worked on the "
     "project for five months. Their robot won first prize at the state science fair in April.",
     [Q("What can the robot sort?", "recycling"),
      Q("How many students were on the team?", "eight"),
      Q("How long did the team work on the project?", "five months"),
      N("How much money did the team win at the fair?", "first prize")]),
    ("Hollin Valley Tea", "Green tea from the Hollin Valley is picked by hand in early spring. "
     "The young leaves are steamed within hours of picking to keep their bright color. Most of "
     "the valley's tea is sold to buyers in Japan and Canada.",
     [Q("When is the tea picked?", "in early spring"),
      Q("Why are the young leaves steamed?", "to keep their bright color"),
      Q("To which countries is most of the tea sold?", "Japan and Canada")]),
    ("Night Train", "The night train from Halden to Brimsby leaves at 10:15 pm and arrives at "
     "6:40 am. It has sleeping cars with beds for 120 passengers and a small dining car. The "
     "service started in 2015 and runs every day except Tuesday.",
     [Q("When does the night train leave Halden?", "10:15 pm"),
      Q("How many passengers can sleep on the train?", "120"),
      Q("On which day does the train not run?", "Tuesday"),
      N("How much does a ticket for the night train cost?", "120")]),
    ("The Moon", "The Moon is about 384,000 kilometers from Earth. It takes the Moon about 27 "
     "days to travel once around our planet. The first people to walk on the Moon were Neil "
     "Armstrong and Buzz Aldrin, who landed there in July 1969.",
     [Q("How far is the Moon from Earth?", "about 384,000 kilometers"),
      Q("How long does the Moon take to travel once around Earth?", "about 27 days"),
      Q("Who were the first people to walk on the Moon?", "Neil Armstrong and Buzz Aldrin"),
      Q("When did the first people land on the Moon?", "July 1969")]),
    ("Riverside Gardens", "Community gardens in Riverside give families small plots of land to "
     "grow vegetables. The first garden opened behind the old fire station in 2009. There are "
     "now eleven gardens, and the waiting list for a plot is about two years long. Tomatoes and "
     "beans are the most common crops.",
     [Q("Where did the first garden open?", "behind the old fire station"),
      Q("How many gardens are there now?", "eleven"),
      Q("What are the most common crops?", "Tomatoes and beans"),
      N("Who owns the land of the community gardens?", "families")]),
    ("Dorton Museum", "The Natural History Museum in Dorton has a skeleton of a blue whale that "
     "is 25 meters long. The whale washed up on a beach near the city in 1931. It took workers "
     "three years to clean and assemble the bones. The skeleton hangs from the ceiling of the "
     "main hall.",
     [Q("How long is the whale skeleton?", "25 meters"),
      Q("When did the whale wash up on the beach?", "1931"),
      Q("Where does the skeleton hang?", "from the ceiling of the main hall"),
      N("Who found the whale on the beach?", "workers")]),
    ("Coffee", "Coffee plants grow best in tropical highlands with plenty of rain. The fruit of "
     "the plant is called a cherry, and each cherry usually holds two seeds. These seeds are "
     "dried, roasted and ground to make coffee. Brazil is the largest producer of coffee in the "
     "world.",
     [Q("Where do coffee plants grow best?", "in tropical highlands"),
      Q("What is the fruit of the coffee plant called?", "a cherry"),
      Q("How many seeds does a cherry usually hold?", "two"),
      Q("Which country is the largest producer of coffee?", "Brazil")]),
    ("Elm Road Fire", "Firefighter Daniel Okafor rescued two children from a burning house on "
     "Elm Road last night. The fire started in the kitchen shortly after midnight. Both "
     "children were taken to Saint Mary's Hospital and are expected to recover. The cause of "
     "the fire is still under investigation.",
     [Q("Who rescued the children?", "Daniel Okafor"),
      Q("Where did the fire start?", "in the kitchen"),
      Q("Which hospital were the children taken to?", "Saint Mary's Hospital"),
      N("How old were the children?", "two")]),
    ("Clara Weiss", "Clara Weiss began playing the piano at the age of four. By fourteen she had "
     "performed with the Vienna Youth Orchestra. She later studied music in Paris and became "
     "known for her recordings of Chopin. She gave her last public concert in 1998.",
     [Q("At what age did Clara Weiss begin playing the piano?", "four"),
      Q("Where did Clara Weiss study music?", "Paris"),
      Q("Whose music was she known for recording?", "Chopin"),
      Q("When did she give her last public concert?", "1998")]),
    ("Emperor Penguins", "Emperor penguins are the largest of all penguins and can stand more "
     "than one meter tall. They breed during the Antarctic winter, when temperatures can fall "
     "below minus 40 degrees. The male keeps the egg warm on his feet for about two months "
     "while the female hunts at sea.",
     [Q("Which penguins are the largest of all penguins?", "Emperor penguins"),
      Q("When do emperor penguins breed?", "during the Antarctic winter"),
      Q("Who keeps the egg warm?", "The male"),
      N("How many eggs does the female lay each year?", "the egg")]),
    ("Linden Chess Club", "The Linden Chess Club meets every Thursday evening in the back room "
     "of the Blue Lantern cafe. It was started in 1979 by a retired teacher named Walter Hahn. "
     "The club has 45 members, and the youngest is only nine years old.",
     [Q("When does the Linden Chess Club meet?", "every Thursday evening"),
      Q("Who started the chess club?", "Walter Hahn"),
      Q("How many members does the club have?", "45"),
      N("Who is the best player in the chess club?", "Walter Hahn")]),
    ("Lake Sorrel", "Lake Sorrel is the deepest lake in the region, reaching a depth of 212 "
     "meters. It was formed by a glacier about 12,000 years ago. The lake is home to a rare "
     "fish, the silver char, which is found nowhere else. Swimming is allowed only at the north "
     "beach.",
     [Q("How deep is Lake Sorrel?", "212 meters"),
      Q("What formed the lake?", "a glacier"),
      Q("Which rare fish lives in the lake?", "the silver char"),
      Q("Where is swimming allowed?", "the north beach")]),
    ("Millbrook Solar", "The town of Millbrook installed solar panels on the roofs of all six of "
     "its schools in 2021. The panels produce about 1.2 million kilowatt hours of electricity "
     "each year. The money saved on power bills is being used to buy new books and laptops.",
     [Q("How many schools got solar panels?", "six"),
      Q("When were the solar panels installed?", "2021"),
      Q("What is the saved money used for?", "to buy new books and laptops"),
      N("Which company installed the solar panels?", "Millbrook")]),
    ("Water Cycle", "Water evaporates from oceans and lakes when it is heated by the Sun. The "
     "water vapor rises, cools and forms clouds. When the droplets in the clouds become heavy, "
     "they fall to the ground as rain or snow. Rivers then carry much of this water back to "
     "the sea.",
     [Q("What heats the water in oceans and lakes?", "the Sun"),
      Q("What does water vapor form when it cools?", "clouds"),
      Q("What carries the water back to the sea?", "Rivers")]),
    ("Kestrel Field", "Kestrel Field is a small airport about 30 kilometers south of Granby. It "
     "has a single runway that is 1,800 meters long. Two airlines offer daily flights to the "
     "capital, and a flight school trains about 60 pilots each year.",
     [Q("Where is Kestrel Field?", "about 30 kilometers south of Granby"),
      Q("How long is the runway?", "1,800 meters"),
      Q("How many pilots does the flight school train each year?", "about 60"),
      N("When was Kestrel Field built?", "each year")]),
    ("Potato Soup", "To make the soup, fry one onion in butter until it is soft. Then add four "
     "potatoes, a liter of chicken stock and a pinch of salt. Let the soup simmer for twenty "
     "minutes before blending it until smooth. Serve it hot with fresh bread.",
     [Q("What should you fry the onion in?", "butter"),
      Q("How many potatoes should you add?", "four"),
      Q("How long should the soup simmer?", "twenty minutes"),
      Q("What should the soup be served with?", "fresh bread")]),
    ("Gull Point Lighthouse", "The Gull Point lighthouse was built in 1856 to warn ships away "
     "from the rocks. Its light could be seen from 35 kilometers at sea. The last keeper, "
     "Thomas Reed, left in 1974 when the light was made automatic. The tower is now a museum.",
     [Q("Why was the Gull Point lighthouse built?", "to warn ships away from the rocks"),
      Q("Who was the last keeper of the lighthouse?", "Thomas Reed"),
      Q("What is the tower now?", "a museum"),
      N("Who built the Gull Point lighthouse?", "Thomas Reed")]),
    ("African Elephants", "African elephants are the largest land animals on Earth. An adult "
     "male can weigh up to six tonnes. Elephants live in family groups led by the oldest "
     "female, called the matriarch. They use their trunks to breathe, drink, smell and pick up "
     "objects.",
     [Q("What are the largest land animals on Earth?", "African elephants"),
      Q("How much can an adult male weigh?", "up to six tonnes"),
      Q("Who leads an elephant family group?", "the oldest female"),
      Q("What is the leader of the family group called?", "the matriarch")]),
    ("Parrot Editor", "Version 3.0 of the Parrot text editor was released in March. The new "
     "version adds a dark theme, faster search and support for twelve more languages. The "
     "editor is free and open source, and it is maintained by a group of volunteers in Brazil "
     "and Poland.",
     [Q("When was version 3.0 of the Parrot editor released?", "March"),
      Q("How many more languages does the new version support?", "twelve"),
      Q("Who maintains the editor?", "a group of volunteers in Brazil and Poland"),
      N("How much does the Parrot editor cost per year?", "free")]),
    ("Hartley Farm", "The Hartley family farm grows apples, pears and plums on 40 hectares of "
     "land. The farm has been in the family since 1902. Every October, visitors can pick their "
     "own apples and drink fresh cider made in the old barn.",
     [Q("What fruits does the Hartley farm grow?", "apples, pears and plums"),
      Q("Since when has the farm been in the family?", "1902"),
      Q("Where is the cider made?", "in the old barn"),
      Q("When can visitors pick their own apples?", "Every October")]),
    ("Coastal Storm", "A strong storm hit the coast on Friday with winds of up to 140 "
     "kilometers per hour. About 20,000 homes lost power, and several roads were closed by "
     "fallen trees. The weather service said the storm would move east and weaken over the "
     "weekend.",
     [Q("When did the storm hit the coast?", "Friday"),
      Q("How many homes lost power?", "About 20,000"),
      Q("What closed several roads?", "fallen trees"),
      N("How many people were injured in the storm?", "20,000")]),
    ("Esperanto", "Esperanto is a language that was created in 1887 by L. L. Zamenhof. He hoped "
     "that a simple shared language would help people from different countries understand each "
     "other. Today, between one hundred thousand and two million people are thought to speak "
     "it.",
     [Q("When was Esperanto created?", "1887"),
      Q("Who created Esperanto?", "L. L. Zamenhof"),
      Q("What did Zamenhof hope a shared language would help people do?",
        "understand each other")]),
    ("Upton Cycle Path", "A new cycling path now links the villages of Upton and Coldwell. The "
     "path is 14 kilometers long and follows an old railway line. It cost 3 million euros to "
     "build and was paid for by the regional government. Cyclists and walkers can use it, but "
     "motorbikes are not allowed.",
     [Q("Which villages does the new cycling path link?", "Upton and Coldwell"),
      Q("What does the path follow?", "an old railway line"),
      Q("Who paid for the cycling path?", "the regional government"),
      Q("What vehicles are not allowed on the path?", "motorbikes"),
      N("When will the cycling path be extended?", "14 kilometers")]),
    ("The Human Heart", "The human heart beats about 100,000 times a day. It has four chambers: "
     "two upper chambers called atria and two lower chambers called ventricles. The right side "
     "of the heart pumps blood to the lungs, while the left side pumps it to the rest of the "
     "body.",
     [Q("How many times a day does the heart beat?", "about 100,000"),
      Q("What are the two upper chambers called?", "atria"),
      Q("Where does the right side of the heart pump blood?", "to the lungs")]),
    ("Fenwick Zoo", "The Fenwick Zoo welcomed a baby giraffe on Tuesday. The calf, a female, "
     "was 1.8 meters tall at birth and weighed 60 kilograms. Zoo keepers have named her "
     "Juniper. Visitors will be able to see her in the savanna area from next month.",
     [Q("When was the baby giraffe born?", "Tuesday"),
      Q("How tall was the calf at birth?", "1.8 meters"),
      Q("What have the keepers named the giraffe?", "Juniper"),
      N("Who is the father of the giraffe calf?", "Juniper")]),
    ("Dunmore Castle", "Dunmore Castle stands on a hill above the town of Kells. It was built in "
     "the thirteenth century by the Fitzroy family. The castle was badly damaged by fire in "
     "1650 and was never fully repaired. Its tall east tower is the only part that still has a "
     "roof.",
     [Q("Where does Dunmore Castle stand?", "on a hill above the town of Kells"),
      Q("Who built Dunmore Castle?", "the Fitzroy family"),
      Q("What damaged the castle in 1650?", "fire"),
      Q("Which part of the castle still has a roof?", "Its tall east tower")]),
    ("Amazon Rain Forest", "The Amazon rain forest covers much of northern Brazil and parts of "
     "eight other countries. It is home to about one in ten of the known species on Earth. "
     "Large areas of the forest are cleared every year for farming and cattle.",
     [Q("Which country does the Amazon rain forest cover much of?", "Brazil"),
      Q("What share of the known species lives in the Amazon?", "about one in ten"),
      Q("Why are large areas of the forest cleared?", "for farming and cattle")]),
    ("Lakeside Youth Orchestra", "The Lakeside Youth Orchestra has 70 musicians between the "
     "ages of twelve and twenty. It performs four concerts a year in the town hall. This summer "
     "the orchestra will travel to Scotland to play at a music festival in Edinburgh.",
     [Q("How many musicians does the orchestra have?", "70"),
      Q("Where does the orchestra perform its concerts?", "in the town hall"),
      Q("In which city is the music festival?", "Edinburgh"),
      N("Who conducts the Lakeside Youth Orchestra?", "Edinburgh")]),
    ("Glass", "Glass is made by heating sand, soda and lime to about 1,500 degrees Celsius. At "
     "this temperature the mixture melts into a thick liquid. Glass makers can then blow or "
     "press it into shape before it cools and hardens.",
     [Q("What is glass made from?", "sand, soda and lime"),
      Q("To what temperature is the mixture heated?", "about 1,500 degrees Celsius"),
      Q("What does the mixture melt into?", "a thick liquid")]),
    ("Moss Island Ferry", "The ferry to Moss Island leaves the harbor every two hours between 7 "
     "am and 7 pm. The crossing takes 50 minutes. Cars must be booked in advance, but foot "
     "passengers can buy tickets on board. In winter the service is reduced to three trips a "
     "day.",
     [Q("How often does the ferry leave the harbor?", "every two hours"),
      Q("How long does the crossing take?", "50 minutes"),
      Q("Who can buy tickets on board?", "foot passengers"),
      Q("How many trips a day are there in winter?", "three")]),
    ("Clay Water Filter", "Ada Mensah invented a low-cost water filter made from clay and "
     "sawdust. The filter removes most bacteria from river water and costs less than five "
     "dollars. Since 2016, her company has sold more than 200,000 filters in Ghana and Kenya.",
     [Q("Who invented the low-cost water filter?", "Ada Mensah"),
      Q("What is the water filter made from?", "clay and sawdust"),
      Q("How much does the filter cost?", "less than five dollars"),
      N("When did Ada Mensah go to university?", "2016")]),
    ("Sleep", "Most adults need seven to nine hours of sleep each night. Teenagers need even "
     "more, about eight to ten hours. During deep sleep, the body repairs muscles and the brain "
     "stores memories. Looking at bright screens before bed can make it harder to fall asleep.",
     [Q("How much sleep do most adults need each night?", "seven to nine hours"),
      Q("How much sleep do teenagers need?", "about eight to ten hours"),
      Q("What does the body repair during deep sleep?", "muscles")]),
    ("Bellford Market", "The Saturday market in Bellford has been held in the town square since "
     "1820. More than 90 stalls sell fruit, cheese, flowers and handmade crafts. The market "
     "opens at eight in the morning and closes at two in the afternoon.",
     [Q("Where is the Saturday market held?", "in the town square"),
      Q("Since when has the market been held?", "1820"),
      Q("How many stalls are at the market?", "More than 90"),
      Q("When does the market close?", "at two in the afternoon")]),
    ("Ridge Tunnel", "The Ridge Tunnel carries trains under the Alder Mountains. It is 22 "
     "kilometers long and took nine years to dig. When it opened in 2007, it cut the journey "
     "between Norham and Vale from three hours to fifty minutes.",
     [Q("What does the Ridge Tunnel carry?", "trains"),
      Q("How long is the Ridge Tunnel?", "22 kilometers"),
      Q("How long did it take to dig the tunnel?", "nine years"),
      N("How many workers dug the Ridge Tunnel?", "nine")]),
    ("Barn Owl", "The barn owl hunts at night and finds mice by sound alone. Its face is shaped "
     "like a dish, which helps direct sound to its ears. A pair of barn owls can eat more than "
     "a thousand mice in a year, which makes them popular with farmers.",
     [Q("When does the barn owl hunt?", "at night"),
      Q("How does the barn owl find mice?", "by sound alone"),
      Q("How many mice can a pair of barn owls eat in a year?", "more than a thousand")]),
    ("Harlow Gazette", "The Harlow Gazette printed its final paper edition on Monday after 132 "
     "years. The newspaper will continue online only. Its editor, Priya Nair, said that falling "
     "sales and rising paper costs made printing too expensive.",
     [Q("When did the Harlow Gazette print its final paper edition?", "Monday"),
      Q("For how many years had the Gazette been printed?", "132"),
      Q("Who is the editor of the Harlow Gazette?", "Priya Nair"),
      N("How many copies of the last edition were sold?", "132")]),
    ("Mount Arlen", "In May, a team of four climbers reached the summit of Mount Arlen by a new "
     "route on the north face. The climb took eleven days. The team leader, Sofia Brandt, said "
     "the hardest part was a wall of ice near the top.",
     [Q("When did the team reach the summit of Mount Arlen?", "May"),
      Q("How many climbers were in the team?", "four"),
      Q("Who was the team leader?", "Sofia Brandt"),
      Q("What was the hardest part of the climb?", "a wall of ice near the top")]),
]

DEV = [
    ("Weller Canal", "The Weller Canal was dug in 1790 to carry coal from the mines to the port "
     "of Stanmouth. It is 48 kilometers long and has 23 locks. Boats were pulled by horses "
     "until 1910. Today the canal is used mostly by holiday boats.",
     [Q("When was the Weller Canal dug?", "1790", "in 1790"),
      Q("What did the canal carry?", "coal", "coal from the mines"),
      Q("How many locks does the canal have?", "23"),
      Q("What pulled the boats until 1910?", "horses"),
      N("Who paid for the Weller Canal?", "the port of Stanmouth")]),
    ("Apple Trees", "An apple tree usually starts to bear fruit three to five years after it is "
     "planted. Apple trees need cold winters to rest and produce flowers in spring. Bees carry "
     "pollen from flower to flower, and each pollinated flower can grow into an apple.",
     [Q("When does an apple tree start to bear fruit?", "three to five years after it is planted",
        "three to five years"),
      Q("What do apple trees need to rest?", "cold winters"),
      Q("What carries pollen from flower to flower?", "Bees")]),
    ("King Street Cinema", "The old cinema on King Street reopened on Saturday after a two-year "
     "restoration. The building, which dates from 1931, has 400 red velvet seats and a painted "
     "ceiling. The first film shown was a silent comedy with live piano music.",
     [Q("On which street is the old cinema?", "King Street"),
      Q("How many seats does the cinema have?", "400", "400 red velvet seats"),
      Q("What was the first film shown?", "a silent comedy",
        "a silent comedy with live piano music"),
      N("Who owns the old cinema?", "King Street")]),
    ("Spiders", "Spiders are not insects. They have eight legs, while insects have six. Most "
     "spiders spin silk to build webs that catch flying insects. Spider silk is very strong for "
     "its weight, stronger than steel of the same thickness.",
     [Q("How many legs do spiders have?", "eight"),
      Q("How many legs do insects have?", "six"),
      Q("What do most spiders build with silk?", "webs", "webs that catch flying insects"),
      N("How long do spiders live?", "eight")]),
    ("Electric Buses", "The city will add 25 electric buses to its fleet next year. The buses "
     "can travel 300 kilometers on one charge and will be charged overnight at the central "
     "depot. The mayor, Linda Park, said the new buses will cut noise and air pollution.",
     [Q("How many electric buses will the city add?", "25"),
      Q("How far can the buses travel on one charge?", "300 kilometers"),
      Q("Who is the mayor?", "Linda Park"),
      Q("Where will the buses be charged?", "at the central depot", "the central depot")]),
    ("Santa Lucia", "Santa Lucia is a village in the mountains, 1,400 meters above sea level. "
     "Only 300 people live there all year, but the population doubles in summer. The village "
     "is famous for its goat cheese, which is aged in caves for six months.",
     [Q("How high above sea level is Santa Lucia?", "1,400 meters"),
      Q("How many people live in Santa Lucia all year?", "300", "Only 300"),
      Q("Where is the goat cheese aged?", "in caves"),
      N("What is the name of the church in Santa Lucia?", "Santa Lucia")]),
    ("Comets", "A comet is a ball of ice and dust that travels around the Sun. When a comet "
     "comes close to the Sun, the ice turns to gas and forms a long glowing tail. Halley's "
     "Comet can be seen from Earth about every 76 years.",
     [Q("What is a comet made of?", "ice and dust"),
      Q("What does the ice turn to near the Sun?", "gas"),
      Q("How often can Halley's Comet be seen from Earth?", "about every 76 years",
        "every 76 years")]),
    ("Bay of Larn Swim", "Tom Becker, aged 62, swam across the Bay of Larn on Sunday to raise "
     "money for the local hospital. The swim was 16 kilometers long and took him seven hours. "
     "He raised more than 30,000 pounds.",
     [Q("How old is Tom Becker?", "62"),
      Q("Why did Tom Becker swim across the bay?", "to raise money for the local hospital"),
      Q("How long did the swim take?", "seven hours"),
      N("Who swam across the bay with Tom Becker?", "the local hospital")]),
    ("Gutenberg", "Johannes Gutenberg built his printing press in the German city of Mainz "
     "around 1440. His press used movable metal type, which made it possible to print books "
     "much faster than by hand. The Gutenberg Bible, printed in the 1450s, is one of the most "
     "famous early printed books.",
     [Q("Who built the printing press in Mainz?", "Johannes Gutenberg", "Gutenberg"),
      Q("In which city did Gutenberg build his press?", "Mainz"),
      Q("What kind of type did the press use?", "movable metal type"),
      Q("When was the Gutenberg Bible printed?", "in the 1450s", "the 1450s")]),
    ("Willow Park", "Willow Park covers 60 hectares on the western edge of Fairhaven. It has a "
     "lake with rowing boats, a rose garden and a playground. The park was given to the town in "
     "1898 by the banker George Whitlock.",
     [Q("How large is Willow Park?", "60 hectares"),
      Q("Who gave the park to the town?", "George Whitlock", "the banker George Whitlock"),
      Q("When was the park given to the town?", "1898"),
      N("How many trees are in Willow Park?", "60")]),
    ("Aluminum Cans", "Aluminum cans can be recycled again and again without losing quality. "
     "Recycling a can uses about 95 percent less energy than making a new one from raw "
     "materials. A recycled can may be back on a store shelf in as little as 60 days.",
     [Q("How much less energy does recycling a can use?", "about 95 percent"),
      Q("How soon can a recycled can be back on a store shelf?", "in as little as 60 days",
        "60 days"),
      Q("What can be recycled again and again without losing quality?", "Aluminum cans")]),
    ("Yellowstone Wolves", "Wolves were brought back to Yellowstone National Park in 1995 after "
     "being absent for about 70 years. The wolves hunt elk, which had grown in number while the "
     "wolves were gone. Scientists say the return of the wolves has helped young trees along "
     "the rivers grow again.",
     [Q("When were wolves brought back to Yellowstone?", "1995"),
      Q("What do the wolves hunt?", "elk"),
      Q("How long had the wolves been absent?", "about 70 years"),
      N("How many wolves were brought to the park?", "70")]),
    ("Riverbank Jazz Festival", "The Riverbank Jazz Festival takes place every July in the town "
     "of Ashby. It lasts three days and draws about 15,000 visitors. Most concerts are free, "
     "and they are held on a stage floating on the river.",
     [Q("When does the Riverbank Jazz Festival take place?", "every July", "July"),
      Q("How long does the festival last?", "three days"),
      Q("Where are the concerts held?", "on a stage floating on the river"),
      N("Who founded the Riverbank Jazz Festival?", "Ashby")]),
    ("Sunday Lunch", "Every Sunday, volunteers from the Hillcrest church cook a free lunch for "
     "anyone who is hungry. They serve about 150 meals each week. Local shops give the "
     "vegetables and bread, and a nearby farm gives the eggs.",
     [Q("Who cooks the free lunch?", "volunteers from the Hillcrest church", "volunteers"),
      Q("How many meals do they serve each week?", "about 150"),
      Q("Who gives the eggs?", "a nearby farm")]),
    ("Brekk Snow", "Last winter the mountain town of Brekk received 6 meters of snow, the most "
     "in 40 years. The ski season lasted from November until early May. The town had to hire "
     "extra drivers to clear the roads.",
     [Q("How much snow did Brekk receive last winter?", "6 meters"),
      Q("How long did the ski season last?", "from November until early May"),
      Q("Who did the town have to hire to clear the roads?", "extra drivers"),
      N("How many tourists visited Brekk last winter?", "40")]),
]


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _locate(context: str, text: str, where: str) -> int:
    """answer_start of `text`: its first occurrence as whole words."""
    for m in re.finditer(re.escape(text), context):
        before = context[m.start() - 1] if m.start() else " "
        after = context[m.end()] if m.end() < len(context) else " "
        if not before.isalnum() and not after.isalnum():
            return m.start()
    raise ValueError(f"{where}: {text!r} is not a whole-word substring of the context")


def _qa(title: str, context: str, n: int, q: dict, version_2: bool, train: bool) -> dict | None:
    qid = f"{_slug(title)}-{n}"
    if "plausible" in q:
        if not version_2:
            return None
        plausible = q["plausible"]
        return {"id": qid, "question": q["question"], "answers": [], "is_impossible": True,
                "plausible_answers": [{"text": plausible,
                                       "answer_start": _locate(context, plausible, qid)}]}
    answers = q["answers"][:1] if train else q["answers"]
    out = {"id": qid, "question": q["question"],
           "answers": [{"text": a, "answer_start": _locate(context, a, qid)} for a in answers]}
    if version_2:
        out["is_impossible"] = False
    return out


def build(paragraphs: list, version_2: bool, train: bool) -> dict:
    data = []
    for title, context, questions in paragraphs:
        qas = [_qa(title, context, n, q, version_2, train) for n, q in enumerate(questions, 1)]
        data.append({"title": title, "paragraphs": [
            {"context": context, "qas": [qa for qa in qas if qa is not None]}]})
    return {"version": "v2.0" if version_2 else "1.1", "data": data}


def main() -> None:
    for name, paragraphs, version_2, train in (
            ("train.json", TRAIN, False, True), ("dev.json", DEV, False, False),
            ("train-v2.0.json", TRAIN, True, True), ("dev-v2.0.json", DEV, True, False)):
        dataset = build(paragraphs, version_2, train)
        with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
            json.dump(dataset, f, ensure_ascii=False, indent=1)
            f.write("\n")
        num = sum(len(p["qas"]) for a in dataset["data"] for p in a["paragraphs"])
        print(f"{name}: {len(dataset['data'])} paragraphs, {num} questions")


if __name__ == "__main__":
    main()
