"""Two small example corpora written for the demo (original sentences, no third-party text).

``CAPTIONS`` imitates image-caption data (short, literal descriptions of what is in a picture);
``ART`` imitates the language used about art (interpretation, feeling, abstraction). They are far too
small to measure anything; they only exercise ``text profile`` and ``text compare`` end to end.
"""

from __future__ import annotations

CAPTIONS: tuple[str, ...] = (
    "A man riding a bicycle down a city street.",
    "Two dogs playing with a red ball on the grass.",
    "A plate of pasta with tomatoes and basil on a wooden table.",
    "A woman holding an umbrella at a bus stop.",
    "A train parked at a station next to a platform.",
    "A cat sleeping on a blue sofa near a window.",
    "A group of people standing on a beach at sunset.",
    "A red car parked in front of a brick house.",
    "A child eating an ice cream cone in a park.",
    "A kitchen with white cabinets and a steel sink.",
    "Three boats docked in a small harbor.",
    "A man in a suit talking on a cell phone.",
    "A bowl of fruit with apples, bananas and oranges.",
    "A skateboarder jumping over a set of stairs.",
    "A horse standing in a field next to a fence.",
    "A laptop and a cup of coffee on a desk.",
    "A stop sign at the corner of two roads.",
    "A pizza with cheese and mushrooms in a box.",
    "Two men playing tennis on a clay court.",
    "A bathroom with a toilet, a sink and a mirror.",
    "An airplane flying over a row of trees.",
    "A girl flying a kite on a windy hill.",
    "A bus driving down a wet road in the rain.",
    "A sandwich cut in half on a white plate.",
    "A giraffe eating leaves from a tall tree.",
    "A clock tower in the middle of a town square.",
    "A man surfing a large wave in the ocean.",
    "A teddy bear sitting on a wooden chair.",
    "A bedroom with a large bed and two lamps.",
    "People waiting in line outside a bakery.",
)

ART: tuple[str, ...] = (
    "The painting conveys a profound sense of loss and quiet longing.",
    "Her brushwork feels restless, as if the canvas itself were trembling with doubt.",
    "A haunting meditation on memory, time and the fragility of belonging.",
    "The artist transforms ordinary grief into something strangely luminous.",
    "This work questions the boundary between presence and absence.",
    "Bold colours clash in a joyful, almost defiant celebration of freedom.",
    "The composition evokes melancholy, solitude and a longing for home.",
    "I find the piece deeply moving; it feels honest and vulnerable.",
    "An unsettling vision of desire, power and the anxieties of modern life.",
    "The sculpture seems to breathe, suspended between hope and despair.",
    "Light dissolves form here, suggesting the impermanence of every certainty.",
    "A tender and intimate portrait that radiates warmth and compassion.",
    "The abstract shapes express a spiritual yearning beyond language.",
    "It is a bitter, ironic commentary on ambition and its emptiness.",
    "Somehow the emptiness of the room feels full of unspoken sorrow.",
    "The work celebrates the beauty of imperfection and the passage of time.",
    "His dark palette creates an atmosphere of dread and mystery.",
    "Each gesture is charged with tension, anger and a wild kind of love.",
    "The installation invites us to reflect on identity and belonging.",
    "A serene, contemplative image that rewards patient attention.",
    "The figures appear lost in a dream, neither awake nor asleep.",
    "There is something heroic and tragic in this fragile human form.",
    "The landscape becomes a metaphor for the soul's uncertain journey.",
    "Her collage mocks the seductive promises of consumer culture.",
    "An exuberant explosion of rhythm that feels like pure music.",
    "The silence of the canvas is eloquent, almost sacred.",
    "This quietly radical work reimagines what a portrait can be.",
    "The distorted faces speak of trauma, fear and survival.",
    "A lyrical and deeply personal response to the idea of home.",
    "The piece is gloriously strange, playful and full of wonder.",
)
