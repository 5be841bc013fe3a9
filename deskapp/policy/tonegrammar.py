r"""The tone cue grammar: how a contemptuous reply is built, not which words it uses.

Why a grammar and not a longer phrase list: the replies nobody has listed still
follow a handful of shapes - gratitude pointed at a failure ("Thanks for your
fourteenth email"), an explanation offered "slowly" or "simply" to the reader,
a counterfactual that puts the fault on them ("Had you been at home ... would"),
a condition on the reader's behaviour followed by help withdrawn ("one more
email and I will stop working on it"), the reader judged as a person ("you are
being impossible"). Each rule below is one such shape, written as a regular
expression over a normalised sentence with slots (`{thanks}`, `{you_judge}`,
...) that stand for open word classes. A slot generalises where a phrase does
not: a new ordinal, insult or gratitude word is caught by every rule using it.

Why a grammar first, with a learned model only beside it (tonemodel.py): a weight
on "engineer" cannot tell the handler what to reword, and every rule here can be
read, tested and switched off (`tone.cues` in policies.yaml scales a whole family;
0 turns it off). The model asks only when no rule flags a message; it reads this
grammar's families and slots as features, so a rule too weak to flag alone still
counts there.

Rules run per sentence (deskapp.policy.tone splits and caches sentences), on
text that is lower-cased with contractions expanded ("don't" -> "do not").
A rule's strength is a fraction of its family's weight (default 2, the
threshold): 1.0 flags a message on its own, 0.5-0.75 only together with
another cue. Families `threat` also pair across sentences: a condition on the
reader's behaviour (`trigger`) and help withdrawn (`withdraw`) in the same or
the next sentence.

Every quantifier is bounded ({0,n}), so a sentence of n characters costs
O(n) per rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional

from deskapp.policy.literals import required_literals, split_alternatives

# Open word classes. A slot is written {name} in a rule (and in policies.yaml phrases).
SLOTS: dict[str, str] = {
    "you": r"you|your|yours|yourself",
    "thanks": (r"thanks|thank you|many thanks|cheers|grateful|(?:really |truly )?appreciate(?:d)?|congratulations|"
               r"much obliged|how kind|so kind|ta|"
               r"congrats|well done|lovely|brilliant|great|glad|thrilled|delighted|fascinating|wonderful|fantastic|"
               r"marvellous|what a (?:treat|joy|pleasure|delight)"),
    "ordinal_many": (r"third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|"
                     r"sixteenth|seventeenth|eighteenth|nineteenth|"
                     r"twentieth|thirtieth|fiftieth|umpteenth|hundredth|millionth|nth|\d+(?:rd|th)"),
    # Praise words that turn ironic next to an irony marker ("Great to see the form back at last").
    "praise": (r"great|amazing|delighted|lovely|wonderful|brilliant|fantastic|marvellous|thrilled|honoured|"
               r"fascinating|super|splendid|terrific|impressive|remarkable|incredible|glad|good to see|nice to see"),
    "irony": (r"yet again|again and again|at last|only took (?:you )?|only ever|for a change|"
              r"for once|of all people|(?:to|is|are) to blame|how convenient"),
    "misdeed_verb": r"upset|annoy|offend|lose|miss|break|forget|ignore|alienate|anger|irritate|insult|damage|ruin|waste|block|flood",
    "comm": (r"e-?mails?|messages?|letters?|calls?|phone calls?|voicemails?|complaints?|texts?|notes?|chasers?|"
             r"text messages?|follow-ups?|call-backs?|photos?|photographs?|"
             r"reminders?|rants?|essays?|forms?|queries|query"),
    "misdeed": (r"missing|ignoring|losing|forgetting|failing|breaking|skipping|cancelling|canceling|refusing|"
                r"shouting at|swearing at|yelling at|screaming at|being rude to|hanging up on|"
                r"wasting|ruining|managing to (?:lose|miss|break|forget|ignore)"),
    "adv": (r"just|simply|quite simply|frankly|honestly|such|so|really|very|truly|utterly|a|an|the|complete|total|"
            r"without (?:a )?doubt|by far|easily|probably|definitely|certainly|possibly|undoubtedly|"
            r"completely|totally|absolutely|rather|pretty|fairly|a bit|a little|slightly|increasingly|"
            r"utter|absolute|being|acting|quite|most|extremely|incredibly|genuinely|clearly|obviously"),
    "you_judge": (r"rude|rudest|impossible|dense|thick|childish|spoilt|spoiled|hysterical|paranoid|deluded|"
                  r"delusional|obsessive|obsessed|unreasonable|difficult|selfish|ungrateful|arrogant|ignorant|"
                  r"vexatious|dishonest|lying|lazy|stupid|useless|incompetent|pathetic|ridiculous|nuisance|pain|"
                  r"liar|joke|disgrace|embarrassment|fool|idiot|hopeless|clueless|incapable|irresponsible|"
                  r"careless|tiresome|exhausting|annoying|irritating|petty|immature|"
                  r"time-?waster|troublemaker|menace|pest|bully|simple-minded|gullible|"
                  r"out of your depth|beyond help|crazy|insane|nuts|unhinged|irrational|neurotic|melodramatic|"
            r"overdramatic|dramatic|unreasonable|obnoxious|insufferable|tiresome|exhausting|hostile|vile|"
            r"nightmare|unpleasant|a nightmare|dim|spiteful|vindictive|nasty|horrible|bitter|feckless|workshy|"
            r"idle|greedy|grasping|money-grabbing|devious|sly|manipulative|two-faced|a fantasist|fantasist|"
            r"deranged|bonkers|barmy|daft|silly|dozy|dopey|gormless|inept|hopelessly \w+|a menace|a liability|"
            r"a pain in the neck|a drain|a waste of (?:time|space)|beyond reason|impossible to please|self-important|"
            r"pompous|smug|patronising|sanctimonious|unbelievable"),
    "conduct": (r"behaviou?r|attitude|conduct|e-?mails?|letters?|messages?|complaints?|claims?|evidence|story|"
                r"excuses?|arguments?|reasoning|logic|writing|spelling|forms?|account|version|manners|"
                r"performance|efforts?|understanding|grasp|idea|theory|ideas|request|demands?|rant"),
    "conduct_judge": (r"rubbish|nonsense|garbage|drivel|tosh|incoherent|rambling|a rambling mess|incomprehensible|nonsensical|disgraceful|childish|pathetic|laughable|"
                      r"ridiculous|absurd|shameful|embarrassing|a joke|a shambles|a mess|pitiful|feeble|lame|"
                      r"half-baked|illiterate|unreadable|hysterical|silly|daft|stupid|idiotic|moronic|juvenile|"
                      r"petty|infantile|tiresome|tedious|worthless|a waste of (?:time|paper|space)|unhinged|"
                      r"a work of fiction|fantasy|fiction|delusional|paranoid|beneath contempt|a disgrace|disgusting|"
                      r"exhausting|staggering|tiring|wearing|draining|relentless|garbled|waffle|tripe|twaddle|"
                      r"bilge|balderdash|hogwash|poppycock|claptrap|gibberish|barely literate|unintelligible|"
                      r"a rant|a tirade|a diatribe|over the top|melodramatic|offensive nonsense"),
    "insult_noun": (r"fool|idiot|moron|imbecile|cretin|buffoon|clown|halfwit|nitwit|numpty|muppet|crank|"
                    r"dimwit|airhead|simpleton|dunce|dolt|pillock|plonker|prat|twit|berk|knuckle-dragger|"
                    r"troll|time-?waster|scrounger|freeloader|parasite|layabout|brat|crybaby|drama queen|"
                    r"know-it-all|jobsworth"),
    "profanity": (r"f+u+c+k\w*|f\*+k\w*|sh[i1]t\w*|bollocks|arse|arsehole|asshole|bastard|bugger off|sod off|"
                  r"piss off|pissed off|wtf|wanker|twat|prick|dickhead|bullshit|for christ'?s sake|jesus christ|"
                  r"goddamn|damn it|bloody hell"),
    # A condition on the reader's own behaviour (the first half of a threat).
    "trigger": (r"(?:if|when) (?:i|we) (?:get|receive|see|have|hear) (?:one|any|another|a single)(?: more| further)?|"
                r"\b(?:if|when|should|unless) (?:you|u|she|he|they) (?:speak|talk|shout|swear|call|ring|phone|contact|e-?mail|write|post|complain|message|turn up|copy|cc|chase|threaten|raise|send|go)\w* (?:[\w']+ ){0,5}?(?:again|any more|anymore|one more time|once more|like this|like that)\b|"
                r"\b(?:if|should) you (?:go to|report (?:this|us|it|me) to|take (?:this|it) to|escalate|post|publish|share|leave)\b|"
                r"^(?:escalate|post|report|publish|share|review|leave)\b(?: [\w'-]+){0,6}(?: and\b|,)|"
                r"\b(?:one|any) (?:more|further) (?:[\w-]+ )?(?:e-?mails?|messages?|letters?|calls?|complaints?|reviews?|posts?|texts?)\b(?: [\w'-]+){0,5}? (?:and\b|,)|"
                r"(?:^|\bthat )(?:further|continued|any further) (?:[\w'-]+ ){0,5}(?:will|may|could) (?:result|lead|mean|affect)\b|"
                r"^(?:one|any|a single|another) more\b|"
                r"^(?:keep|carry on|continue|go on|persist)\b(?: [\w'-]+){0,7}(?: and\b|,)|"
                r"^(?:send|copy|cc|mention|push|contact|call|ring|e-?mail|threaten|complain|write|chase|"
                r"raise your voice|swear)\b(?: [\w']+){0,6}(?: again| one more time| once more)?(?: and\b|,)|"
                r"(?:if|unless|should) you (?:keep|continue|carry on|insist|persist|go on|withdraw|do not (?:stop|withdraw|drop))|"
                r"(?:if|unless) you (?:send|copy|mention|chase|push|complain|contact|call|ring|e-?mail|write)\b"
                r"(?: [\w']+){0,5} (?:again|one more time|once more|any more)|"
                r"(?:if|unless) you (?:send|write) (?:another|one more|any more)|"
                r"if (?:the|your) (?:complaints|e-?mails|calls|messages|letters|threats) (?:do not|does not|will not) stop|"
                r"^(?:one|any|another) (?:more |further )?(?:[\w'-]+ ){0,4}(?:and|,)|"
                r"\bif (?:the|these|your) [\w -]{1,20}? (?:continue|carry on|persist|keep happening)\b|"
                r"\blike that again\b(?: and\b|,)|\b(?:one|your) (?:last|final) chance\b|^any (?:repeat|repetition) of\b|^(?:further|continued|any further) (?:[\w'-]+ ){0,5}(?:will|may|could) (?:result|lead|mean|affect)\b|^(?:do|say|try|write|send) (?:that|this|it) again\b|^another (?:[\w'-]+ ){0,3}like\b|"
                r"(?:if|when) (?:i|we) (?:hear|see|get) (?:that|this|your) (?:tone|language|attitude|behaviou?r) again|"
                r"\b(?:any|one) more (?:of this|of that|nonsense|rudeness|attitude|abuse|of your)\b|"
                r"^should (?:this|it|that|the (?:calls|emails|messages|behaviou?r)) (?:carry on|continue|happen again|persist)|"
                r"\bif (?:that is|this is) (?:your|the) (?:attitude|tone|approach|response)\b|"
                r"\bafter the way you (?:spoke|spoken|behaved|treated|talked|wrote)\b|"
                r"given your (?:attitude|tone|behaviou?r|manner|language|approach|conduct)|"
                r"after (?:yesterday's|today's|that|your|this morning's|last week's|the) "
                r"(?:call|e-?mail|message|outburst|behaviou?r|performance|tone|rant|attitude|letter)"),
    # Help withdrawn or slowed (the second half of a threat).
    "withdraw": (r"(?:will not|not going to|not) (?:be )?lift(?:ing)? a finger|(?:find|notice|see|discover) (?:that )?(?:the|your) (?:waiting )?(?:list|queue|wait|waiting time) (?:gets?|becomes?|grows?) (?:a lot |much |far |even )?(?:longer|slower)|"
                 r"(?:review|reconsider|consider) whether (?:we|to) (?:can )?(?:continue|keep|carry on|still)\b|"
                 r"(?:disappears?|vanish(?:es)?|evaporates?|goes in the (?:drawer|bin))\b|(?:request|complaint|case|application|claim) (?:being |will be |is )?(?:set aside|shelved|parked|put to one side)|"
                 r"(?:can not|cannot) (?:promise|guarantee) (?:that )?your (?:application|complaint|case|claim|request|refund|appeal|transfer)\b[\w ]{0,15}? will (?:be|get) (?:looked at|considered|processed|dealt with|heard)\b|"
                 r"(?:last|bottom|back|end) (?:[\w-]+ ){0,2}in (?:line|the queue)|see how (?:quickly|fast|far)\b|"
                 r"(?:will not|wont|no longer|not) (?:be )?(?:passing|pass|forwarding|taking) (?:any more |on )?(?:messages|calls)|"
                 r"(?:i am|i will|we are|we will) (?:closing|close|cancelling|cancel|shutting) (?:this|the|your) (?:ticket|case|complaint|file|request|account|claim)|"
                 r"(?:stop|cease|give up|quit) (?:working on|dealing with|helping|considering|looking (?:at|into)|acting on|"
                 r"handling|processing|bothering with)|"
                 r"(?:simply|just) close (?:the|your|this) (?:case|complaint|file|request|enquiry)|"
                 r"(?:bottom|back|end) of the (?:list|queue|pile|heap)|"
                 r"why (?:we|i) should (?:prioriti[sz]e|help|rush|hurry|bother|make an exception|go out of)|"
                 r"(?:do not|will not|not) (?:really )?(?:feel|be) (?:inclined|minded|in a hurry|rushing)|"
                 r"(?:not|never|do not|will not) renew|recommend\w* (?:we|that we|you) (?:do not|not|lose|be)|"
                 r"you can (?:wait|whistle|forget)|stop (?:answering|responding to|returning)|"
                 r"(?:no one|nobody|anyone|not)\b[^.!?]{0,25}?\bin (?:a|any) (?:hurry|rush) to (?:help|assist|sort|fix)|"
                 r"(?:will not|never|not) (?:go|get) anywhere|take (?:rather |a lot |much )?longer|"
                 r"without (?:a |any )?(?:response|reply|further action)|(?:not|n't) (?:inclined|minded) to (?:use|help|offer|pay)|"
                 r"(?:will not|won't) be (?:rushing|hurrying)|bottom of (?:my|our) inbox|put (?:your|the) (?:case|complaint|repair|claim) on hold|"
                 r"(?:you will|you'll) be dealing with (?:the|our|someone)|wait(?:ing)? (?:a |an )?(?:very |really )?long (?:time|while)|doing your own (?:repairs|paperwork|chasing)|"
                 r"(?:permanent|definite|final) no|wash(?:ing)? (?:my|our) hands|(?:bottom|back|end) of (?:my|our) (?:list|queue|pile|heap)|"
                 r"make sure (?:the|my|our) \w+ (?:hears|knows|sees|learns) about|removed from (?:our|the) (?:list|register|books)|struck off|less inclined|"
                 r"(?:much |far |a lot |rather )?less (?:helpful|flexible|accommodating|patient|understanding|willing)|"
                 r"(?:lose|losing) your (?:place|slot|priority|appointment)|put you (?:to|at) the back|"
                 r"stop (?:supplying|serving|insuring|covering|providing)|(?:offered|given|passed) to (?:another|someone else|other)|"
                 r"(?:you can|you will have to) (?:rebook|sort|arrange|do|chase) (?:it |that )?yourself|(?:is|are|goes|will be) off the table|the last you will hear (?:from|of|about)|see what happens|slowing (?:everything|things) (?:else )?down|"
                 r"recommend\w* (?:that )?(?:your|the|this) (?:complaint|case|tenancy) (?:is|be) (?:closed|ended)|"
                 r"(?:reconsider|withdraw|reduce|cancel) (?:the|our|my|any|your) (?:offer|goodwill|compensation|support|help|discount|gesture)|"
                 r"(?:a lot |much |far )?less (?:attention|priority|help|of my time)|minded to (?:close|stop|refuse|withdraw|end)|"
                 r"(?:hand|pass|give) (?:your|the) (?:case|complaint|file) to someone|(?:a lot |much |far |even )slower|"
                 r"(?:not|never|no longer|will not|do not) (?:be )?(?:help|helping|assist|assisting|prioriti[sz]\w+|"
                 r"fast-?track\w*|expedit\w*)"),
}

_SLOT_REF = re.compile(r"\{([a-z_]+)\}")


def expand(pattern: str, slots: dict[str, str] = SLOTS) -> str:
    """Replace {slot} references by their word classes (a KeyError names an unknown slot)."""
    return _SLOT_REF.sub(lambda m: "(?:" + slots[m.group(1)] + ")", pattern)


@dataclass(frozen=True)
class GrammarRule:
    """One shape of hostile reply: its family (a tone.cues key), what the handler is told, and how sure it is."""

    family: str
    label: str
    strength: float
    pattern: re.Pattern
    needs: frozenset[str] = frozenset()  # a match contains one of these; empty = always search

    def search(self, text: str):
        if self.needs and not any(x in text for x in self.needs):
            return None
        return self.pattern.search(text)


# (family, label shown to the handler, strength, pattern). Families are DEFAULT_CUES keys.
_RULES: tuple[tuple[str, str, float, str], ...] = (
    # --- sarcasm and mock gratitude: praise or thanks pointed at a failure ---
    ("sarcasm", "mock gratitude", 1.0, r"\b(?:{thanks})\b[^.!?]{0,50}?\b(?:{ordinal_many}|yet another) (?:[\w-]+ ){0,2}?(?:{comm}|visit|appointment|time|go|attempt)\b"),
    # "thanks for missing three visits", not "thank you for asking about cancelling" (a question about it)
    ("sarcasm", "mock gratitude", 1.0, r"\b(?:{thanks})\b (?:\w+ ){0,3}?(?:on|for) (?:(?!(?:asking|enquiring|inquiring|about|regarding|querying|your question|telling us|letting us know)\b)\w+ ){0,2}?(?:{misdeed})\b"),
    ("sarcasm", "mock gratitude", 1.0, r"\b(?:{thanks})\b[^.!?]{0,60}?\bonly (?:(?:a|one|two|three|four|five|six|seven|eight|nine|ten|\d+|several|a few|a couple of) (?:days?|weeks?|months?|hours?|years?) )?(?:after|late|overdue|past the)\b"),
    ("sarcasm", "mock gratitude", 1.0, r"\b(?:{thanks})\b[^.!?]{0,40}?\b(?:expert|professional|learned|detailed|in-depth|valuable) (?:opinion|advice|lecture|lesson|analysis|critique|insight|assessment|views?|tutorial)\b"),
    ("sarcasm", "sarcasm", 1.0, r"^(?:oh,? |well,? )?(?:brilliant|great|wonderful|marvellous|fantastic|perfect|lovely|terrific|super|excellent|splendid)[,!.:]* (?:yet )?another\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:glad|nice|good|pleased|lovely) to (?:see|hear|know) (?:that )?you (?:have )?(?:finally|eventually|actually|at last) (?:found|managed|decided|bothered|remembered|worked out|discovered|graced)\b"),
    ("sarcasm", "sarcasm", 0.5, r"\b(?:thrilled|delighted|glad|pleased|overjoyed|relieved) (?:to see |that )?you (?:have )?(?:discovered|found|managed|worked out|remembered|learned|learnt|bothered|decided)\b"),
    ("sarcasm", "sarcasm", 0.5, r"\byour busy (?:schedule|diary|day|life|calendar)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:miss|missed|missing) your (?:daily|hourly|constant|regular|nightly|endless|weekly|twice-daily) (?:updates|e-?mails|calls|messages|complaints|voicemails|letters|visits)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\byour (?:constant|endless|incessant|never-ending|relentless|hourly|countless|non-stop) (?:updates|e-?mails|calls|messages|complaints|voicemails|letters|demands|questions)\b"),
    ("sarcasm", "sarcasm", 1.0, r"^do keep (?:it|that) up\b"),
    ("sarcasm", "sarcasm", 0.75, r"^do try (?:to|and)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:hang on to|hold on to|keep hold of|not lose|manage not to lose) (?:this|that) one\b"),
    ("sarcasm", "sarcasm", 0.75, r"\bsparingly\b"),
    ("sarcasm", "sarcasm", 1.0, r"^(?:well|oh|wow)[,.!]* (?:that|this) is a first\b"),
    ("sarcasm", "sarcasm", 0.5, r"\b(?:that|this) is a first\b"),
    ("sarcasm", "sarcasm", 0.75, r"^(?:(?:very|most|how|so|really|ever so) (?:helpful|useful|kind|considerate|thoughtful|grown-up|mature)|progress|bravo|well done you|good for you)[.!]+$"),
    ("sarcasm", "sarcasm", 0.5, r"\b(?:i am sure|no doubt|i am certain|i bet)\b[^.!?]{0,50}?\b(?:delighted|thrilled|overjoyed|over the moon|ecstatic)\b"),
    ("sarcasm", "sarcasm", 0.75, r"\b(?:rearrange|reorgani[sz]e|plan|drop everything|fit) (?:[\w']+ ){0,4}around your\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:fascinating|interesting|novel|creative|imaginative|colou?rful|inventive) (?:theory|theories|interpretation|version of events|take on)\b|\bconvenient (?:story|account|excuse|memory|version|theory)\b"),
    ("sarcasm", "sarcasm", 0.75, r"\bwhat would (?:we|our|i|my)(?: [\w']+){0,3} (?:do|be) without\b"),
    ("sarcasm", "sarcasm", 0.5, r"\banother (?:{comm}) from you\b"),
    ("sarcasm", "sarcasm", 0.75, r"\byour (?:valuable|precious|invaluable|expert|insightful) (?:feedback|input|comments|opinion|contribution|thoughts|views|advice)\b"),
    ("sarcasm", "sarcasm", 1.0, r"^(?:oh )?(?:sure|of course|right|yes|certainly)[,.!]+ (?:i|we) will just\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:would|will) be (?:lovely|nice|great|wonderful), (?:would|will) not it\b|\bthe world (?:does not|do not) work like that\b"),
    ("sarcasm", "sarcasm", 0.75, r"\b(?:ran|run|running) out (?:some time|long|a while|weeks|months|days) ago\b"),
    ("sarcasm", "sarcasm", 0.75, r"\bjudging by (?:the|your) (?:tone|language|e-?mail|message|letter)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:i|we) (?:will|shall) (?:frame|treasure|cherish|laminate) (?:it|that|this)\b"),
    ("sarcasm", "mock gratitude", 1.0, r"\b(?:{thanks})\b[^.!?]{0,60}?\b(?:{ordinal_many}) (?:this (?:week|month|year|morning|afternoon)|today|so far|in a row|running)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\bi do so (?:enjoy|love|appreciate|look forward)\b|\bour little (?:chats|talks|conversations|exchanges|chat)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:certainly|really|well and truly) kept (?:us|me|everyone|the team) busy\b"),
    ("sarcasm", "sarcasm", 1.0, r"\bwhen you want something\b"),
    ("sarcasm", "sarcasm", 0.75, r"\byour (?:thoughts|views|opinions?|advice|ideas) on how (?:we|i|the \w+|our \w+) (?:should|ought to|could)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:{praise})\b[^.!?]{0,60}?\b(?:{irony})\b|\b(?:{irony})\b[^.!?]{0,40}?\b(?:{praise})\b"),
    ("sarcasm", "sarcasm", 1.0, r"^(?:we are|i am|i feel|we feel|how) (?:so |truly |very |deeply )?(?:honoured|flattered|privileged|blessed)[.!]|\blucky (?:us|me)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:missed|missing|miss) the (?:part|bit|memo|email|letter) (?:where|when|that said)\b"),
    ("sarcasm", "sarcasm", 1.0, r"^another (?:day|week|month|monday|morning|year),? another\b"),
    ("sarcasm", "sarcasm", 1.0, r"^(?:yes|oh|right|sure|well)[,.!]* (?:i am sure|of course|no doubt|naturally)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:patience|understanding|tolerance|goodwill)\b[^.!?]{0,30}?\b(?:limitless|boundless|endless|infinite|legendary|saintly)\b"),
    ("sarcasm", "sarcasm", 1.0, r"^(?:shocking|breaking|amazing|stunning|astonishing) news\b|\bheaven forbid\b"),
    ("sarcasm", "sarcasm", 0.75, r"\byou (?:have )?(?:discovered|found|rediscovered) (?:the |your )?[\w ]{0,20}? again\b"),
    ("sarcasm", "sarcasm", 1.0, r"\bmade for (?:interesting|entertaining|fascinating|amusing|colou?rful|creative) reading\b"),
    ("sarcasm", "sarcasm", 0.75, r"\bif not (?:always|entirely|exactly|particularly) (?:accurate|true|correct|honest|factual)\b"),
    # common ironic idioms (British customer-service English)
    ("sarcasm", "sarcasm", 1.0, r"\b(?:you do not say|fancy that|colou?r me (?:surprised|shocked|amazed)|stop the press(?:es)?|hold the front page|better late than never|imagine my surprise)\b"),
    ("sarcasm", "sarcasm", 1.0, r"(?:^|, )big surprise[.!,]|\bno surprises? there\b"),
    ("sarcasm", "sarcasm", 1.0, r"\bas if (?:we|i) (?:do not|did not|have nothing|had nothing|needed|need|have not got)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\bno rush,? then\b|\b(?:take|took) your time,? (?:then|did you|why not)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:alert|call|notify|inform|ring|phone) the (?:press|media|newspapers|prime minister|king|queen|pope|army|bbc|papers|united nations|un|home secretary)\b|\bgrave injustice\b"),
    ("sarcasm", "sarcasm", 1.0, r"\bcontain (?:my|our) excitement\b|\bbecause (?:that|this|it) (?:worked|went) so well\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:riveting|gripping|thrilling|enthralling|page-turning) (?:read|reading|stuff|e-?mail|letter|account)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:will not|does not|did not|never) stop you (?:writing|e-?mailing|calling|ringing|complaining|texting)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\byour (?:{ordinal_many}) (?:{comm}) (?:today|this week|this morning|this month|since|in a row)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:we are|i am) now (?:responsible|to blame|expected to answer) for\b|\bnow (?:responsible|to blame) for\b[^.!?]{0,30}?\b(?:as well|too)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:add|put) (?:that|it|'[^']{1,30}') (?:to|on) (?:my|our) (?:job description|list of duties|to-do list)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\bthe world (?:did not|has not|does not|will not) (?:end|stop)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:good|nice|kind|decent) of you to (?:join us|turn up|show up|grace|finally|bother)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:thanks|thank you) (?:so much |ever so much )?for (?:your|the) (?:input|contribution|words of wisdom|pearls of wisdom|advice on how to do my job)[.!]|\bi am so glad you asked\b|\byou have (?:really )?outdone yourself\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:slow clap|aren't you clever|clever you|lucky for some|must be nice|in your dreams|dream on|keep dreaming|that will be the day|pigs might fly|yeah,? right|give me strength|give me a break)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:here we go again|not this again|groundhog day|like a broken record|deja vu|déjà vu)\b"),
    ("sarcasm", "mock gratitude", 1.0, r"\b(?:{thanks})\b[^.!?]{0,20}?\byou (?:have )?(?:managed|succeeded|contrived) to (?:{misdeed_verb})\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:touching|sweet|cute|adorable|charming) how (?:much (?:faith )?)?you\b|\bread minds\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:patience|understanding|tolerance)\b[^.!?]{0,20}?\b(?:an inspiration|a lesson to us all|the stuff of legend)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:realise|realize|know|knew) you were the only\b|\bto (?:ruin|spoil|wreck) your (?:week|day|life|weekend|morning)\b"),
    ("sarcasm", "sarcasm", 0.5, r"^(?:wonderful|great|brilliant|marvellous|lovely|fantastic|perfect|super|splendid)[.!]+$"),
    ("sarcasm", "sarcasm", 1.0, r"^another (?:\w+ )?(?:afternoon|morning|day|evening|weekend|hour) (?:spent|wasted) on\b"),
    ("sarcasm", "sarcasm", 0.75, r"\byour (?:{ordinal_many}) (?:{comm})\b|\ban? (?:joy|pleasure|delight|treat) to (?:receive|read|open)\b"),
    ("sarcasm", "sarcasm", 0.75, r"\b(?:can|could) hardly wait\b|\bthe next (?:instalment|installment|episode|chapter)\b"),
    ("sarcasm", "sarcasm", 1.0, r"^(?:eventually|finally|at last|at long last)[.!]+$|^a (?:personal best|new record|world first)[.!]+$"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:nice|good|lovely|great) to (?:finally|eventually|at last) (?:hear|see|get)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\balmost (?:visible|noticeable|believable|legible)\b"),
    ("sarcasm", "sarcasm", 0.75, r"\w's '[a-z][a-z -]{1,20}'"),
    ("sarcasm", "sarcasm", 1.0, r"\bon tenterhooks\b|\bwith bated breath\b|\bholding (?:our|my) breath\b"),
    ("sarcasm", "sarcasm", 1.0, r"\bour \w+ will be (?:fascinated|riveted|enthralled|thrilled|delighted)[.!]|\badded (?:it |this |that )?to the (?:collection|pile|stack)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:touched|flattered|honoured) that you (?:thought of|chose|picked|remembered) us\b|\bimpressive in its own way\b"),
    ("sarcasm", "sarcasm", 0.75, r", (?:hourly|daily|nightly|weekly)[.!]$"),
    # office passive-aggression
    ("sarcasm", "sarcasm", 1.0, r"\bper my (?:last|previous|earlier) (?:\w+ )?(?:e-?mails?|messages?|letters?|replies|reply|calls?)\b"),
    # short, chatty replies
    ("sarcasm", "sarcasm", 1.0, r"^(?:lol|lmao|haha|ha ha|ha)[,.! ]|^(?:really|that) (?:helps|helped)[.!]$|\blet me know how that works out (?:for you)?\b"),
    ("sarcasm", "sarcasm", 1.0, r"^oh,? i do apologi[sz]e\b|^(?:oh,? )?(?:i am|we are) so sorry (?:that )?(?:the world|we|i) (?:does not|do not|did not)\b"),
    # formal letters
    ("sarcasm", "sarcasm", 0.75, r"\bnote with (?:interest|amusement|some surprise) that\b|\bonly (?:began|started|appeared) after\b"),
    ("sarcasm", "sarcasm", 1.0, r"^(?:ah|oh) yes,? the (?:famous|infamous|legendary|old|usual)\b|\b(?:cancelled|dropped|stopped|put aside) (?:all|everything)\b[^.!?]{0,40}?\bto (?:focus on|deal with|look at) your\b"),
    ("sarcasm", "sarcasm", 1.0, r"\blose (?:this|that) (?:one|copy|letter|form) (?:as well|too)\b|\bwhat with all the (?:\w+ )?(?:e-?mails|calls|complaints|letters|messages)\b"),
    ("sarcasm", "sarcasm", 1.0, r"^oh,? the [\w ]{1,20}? again[.!]|^what an? (?:treat|joy|delight|pleasure)[.!]+$|^do (?:carry on|go on|continue)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:noticed|remembered|acknowledged) (?:them|us|it|the team) at all\b|\b(?:it is|it's) almost as if\b|\bbelieve me,? the feeling is mutual\b"),
    ("sarcasm", "sarcasm", 1.0, r"\bnothing says '?[\w ]{2,25}'? like\b"),
    ("sarcasm", "sarcasm", 1.0, r"\bbecause what (?:we|i|the world|this estate|the team) (?:really )?needs? is (?:another|more)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\bhow (?:generous|gracious) of you\b|\byour [\w' -]{1,30}, such as (?:it is|they are)\b|\b(?:excuse|explanation|argument|reasoning|evidence|effort|attempt|apology|research)s?, such as (?:it is|they are)\b|\b(?:do not|don't) hold your breath\b"),
    ("sarcasm", "sarcasm", 0.75, r"\bhow (?:kind|thoughtful|good) of you to (?:give|allow|grant|let us have)\b"),
    ("sarcasm", "sarcasm", 0.75, r"\b(?:{ordinal_many}) time (?:this|in a) (?:year|month|week)\b|\b(?:well done|congratulations) (?:for|on) finding the (?:one|only)\b"),
    ("sarcasm", "sarcasm", 1.0, r"^progress indeed[.!]|\bsurvived (?:your|the) (?:complaint|visit|attention|e-?mail|inspection)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:being|always being) right about everything\b|\bit must be (?:very |so |rather )?(?:tiring|exhausting|nice|lovely|wonderful) (?:being|to be)\b"),
    ("sarcasm", "sarcasm", 1.0, r"^how (?:fortunate|convenient|lucky|handy|timely) (?:that|for you)\b|\b(?:dropped|drop|dropping) everything to\b"),
    ("sarcasm", "sarcasm", 0.75, r"\bwill be (?:thrilled|delighted|fascinated) to hear about\b"),
    ("sarcasm", "sarcasm", 0.75, r"\b(?:seem|seems) to have (?:vanished|disappeared|gone astray|evaporated)\b|\b(?:re-?attach|resend|re-?send)\w* [\w ]{0,20}?for your convenience\b"),
    ("sarcasm", "sarcasm", 1.0, r"\bfriendly reminder\b[^.!?]{0,60}?\b(?:ago|again|overdue|still)\b|^and (?:last|the) (?:month|week|year|time)(?: before)?[.!]$"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:circling|following|coming) back,? (?:again|once more|yet again|for the \w+ time)\b|\byou still (?:have not|haven't|did not) (?:answered|replied|responded|answer|reply)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:thanks|thank you)\b[^.!?]{0,30}?\bactually (?:reading|answering|replying|doing|responding|looking)\b|\ball the (?:attention|consideration|thought|time) (?:it|they|that|this) deserves?\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:lovely|nice|great|delightful|wonderful) to be (?:called|told|accused|shouted at|sworn at|labelled|lectured)\b"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:why|how) yours (?:comes|should come|goes|gets|must come) first\b"),
    # condescension idioms
    ("condescension", "condescension", 1.0, r"\b(?:spoon-?feed(?:ing)?|spoon-fed|babysit(?:ting)? you|not brain surgery|bless your heart|a (?:five|six|seven)-year-old could (?:do|manage|understand|follow|fill|work))\b"),
    ("condescension", "condescension", 1.0, r"\bit is called an? (?:calendar|diary|phone|telephone|stamp|alarm clock|envelope|letterbox|watch|clock|dictionary|search engine)\b|\b(?:google it|do your homework)\b"),
    ("condescension", "condescension", 0.75, r"\b(?:not sure|do not know) how (?:else )?to (?:explain|put|say|make)\b"),
    ("condescension", "condescension", 1.0, r"\beven (?:a|an) [\w -]{1,20}? (?:could|can|would) (?:follow|understand|manage|grasp)\b|\beven for (?:someone|somebody|anyone|a person) who\b"),
    ("condescension", "condescension", 1.0, r"\brather than (?:just )?(?:the envelopes?|skimming|glancing at)\b"),
    ("condescension", "condescension", 0.75, r"\b(?:may|might) find it helps? to (?:read|listen|check|open|look)\b"),
    ("condescension", "condescension", 1.0, r"^(?:take )?(?:a )?deep breaths?[.!,]"),
    ("condescension", "condescension", 1.0, r"\bthat is (?:rather |kind of )?the (?:whole )?point (?:of it|of having one)?[.!]|\bthat is rather the point\b"),
    ("condescension", "condescension", 1.0, r"\b(?:surprised|amazed|astonished) (?:that )?(?:it|this|that|you) (?:caused|found|needed|had) (?:such|so much)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:it|this) (?:really|honestly|genuinely) is (?:that|as) (?:straightforward|simple|easy)\b"),
    ("condescension", "condescension", 1.0, r"\bassume you (?:did not|have not|never) (?:read|open|look)\b|\bwhen we say '[^']{1,30}',? we (?:do not|did not) mean\b"),
    ("condescension", "condescension", 1.0, r"\b(?:re-?read|read again) what (?:i|we) (?:actually )?(?:wrote|said|sent)\b|\bpatience is a virtue\b"),
    ("condescension", "condescension", 1.0, r"\b(?:not sure|doubt) (?:that )?you (?:are|were) (?:capable|able) of\b"),
    ("condescension", "condescension", 1.0, r"\bthe (?:box|field|section|line|space) (?:marked|labelled|that says) '"),
    ("condescension", "condescension", 1.0, r"\b(?:one more time|again|once more),? (?:very |v |really )?slowly\b|^bless[.!,]|\bnot how any of this works\b"),
    ("condescension", "condescension", 0.75, r"\b(?:simplest|plainest|shortest|easiest) possible (?:language|words|terms|sentences)\b|^to help you understand\b"),
    ("condescension", "condescension", 1.0, r"\b(?:once more|one more time|again),? using (?:shorter|simpler|smaller|fewer)\b|\blike (?:it is|it's) your first (?:day|time|week)\b"),
    ("condescension", "condescension", 1.0, r"\bif you stopped (?:fighting|resisting|arguing|complaining|moaning|objecting)\b"),
    ("condescension", "condescension", 0.75, r"^(?:simple|easy)[.!]$"),
    ("condescension", "condescension", 1.0, r"\b(?:what|which) part of '?no'? (?:is|do you|are)\b|\bit will come to you\b"),
    ("condescension", "condescension", 1.0, r"\bseems? to have (?:defeated|beaten|got the better of|confused) you\b|\b(?:read|open|check) (?:the|my|our|this) \w+ this time\b"),
    ("condescension", "condescension", 1.0, r"\b(?:some things|this|it) can (?:just|simply) be read\b|\bin a way (?:that )?you(?: will| can| might| would)? understand\b"),
    ("condescension", "condescension", 0.75, r"^not everything needs a\b"),
    ("condescension", "condescension", 1.0, r"\bso (?:that )?you (?:can|will|might) (?:get to the end|finish it|read it all|manage it)\b|\b(?:gently|politely|respectfully) suggest you (?:read|check|look)\b"),
    ("condescension", "condescension", 0.75, r"\bthink about it for a (?:minute|moment|second)\b"),
    ("condescension", "condescension", 1.0, r"\byou do (?:know|realise|realize|understand) what '[^']{1,20}' means\b"),
    ("condescension", "condescension", 0.5, r"\byou do (?:know|realise|realize|understand) (?:what|that|how)\b"),
    ("condescension", "condescension", 0.75, r"^kindly refer to\b|\b(?:answers|covers|addresses) (?:every|each|all (?:the|of the)) questions? you (?:have )?(?:asked|raised)\b"),
    ("condescension", "condescension", 1.0, r"\bread the (?:whole|entire|full) (?:e-?mail|letter|message|thing) before (?:replying|responding|writing|complaining)\b"),
    ("condescension", "condescension", 1.0, r"\bas (?:stated|mentioned|explained|noted) (?:below|above),? and (?:above|below)\b|\b(?:confusion|misunderstanding) on your part\b"),
    ("condescension", "condescension", 1.0, r"\b(?:most|any|the average) (?:\w+-year-olds?|children|kids|schoolchildren|teenagers|pensioners) (?:manage|can|could|understand|cope)\b"),
    ("condescension", "condescension", 1.0, r"^(?:maybe|perhaps) [\w ,']{1,50} this time[.!]"),
    ("sarcasm", "sarcasm", 1.0, r"\b(?:book|arrange|schedule) (?:a|another) (?:{ordinal_many}|second) (?:one )?for you to (?:miss|skip|ignore|forget)\b"),
    # --- condescension: the reader treated as slow ---
    ("condescension", "condescension", 1.0, r"\b(?:go(?:ing)? through|explain(?:ing)?|say(?:ing)?|spell(?:ing)?(?: it)? out|put(?:ting)?|repeat(?:ing)?|take you through|walk you through|type|write|tell you)\b[^.!?]{0,25}?\bslowly\b"),
    ("condescension", "condescension", 1.0, r"\bslowly (?:for you|so (?:that )?you)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:easy|simple|basic|clear) enough (?:for (?:you|anyone|anybody|a child)|(?:for you )?to (?:follow|understand|grasp|manage) now|even for)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:simple|simply|plain|plainly|clearly|basic) (?:so|that) (?:even )?you\b"),
    ("condescension", "condescension", 1.0, r"\b(?:as|like) any (?:adult|grown-up|grown up|reasonable (?:person|adult)|sensible (?:person|adult)|competent adult|responsible (?:adult|tenant|person)|child|schoolchild) (?:would|could|should|knows|can|will|understands)\b"),
    ("condescension", "condescension", 1.0, r"\bgrown (?:adults|men|women|man|woman) (?:should|ought|can|could|would|are able|know|manage|remember|cope)\b"),
    ("condescension", "condescension", 0.75, r"\b(?:a|as) grown (?:man|woman|adult)\b|\bgrown (?:adults|men|women)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:terms|words|language) (?:that )?you (?:might|can|will|could|may) (?:understand|follow|grasp)\b|\b(?:smaller|little|shorter) words\b"),
    ("condescension", "condescension", 0.75, r"\b(?:really|honestly|seriously|truly) (?:is )?not (?:that |very |at all )?(?:complicated|difficult|hard|tricky|confusing)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:this|it|that) is (?:very |pretty |really |fairly )?(?:basic|elementary) (?:stuff|maths|arithmetic|english|reading)\b"),
    ("condescension", "condescension", 1.0, r"(?:^|please |do |you (?:have )?)(?:try|manage|managed|remember|remembered|bother|bothered) to [^.!?]{0,40}? this time\b"),
    ("condescension", "condescension", 1.0, r"\b(?:reading|understanding|following|remembering|keeping up|listening|spelling|counting|writing)\b[^.!?]{0,40}?\b(?:seems|seem|seemed|appears|appear) to (?:be|have been) (?:a |something of a )?struggle\b|\b(?:beyond you|lost on you|too (?:much|difficult|hard|complicated) for you)\b"),
    ("condescension", "condescension", 1.0, r"\bhow many (?:other |more |different )?(?:ways|times) (?:(?:can|do|must|should|will|could|have) i|i (?:can|could|have|must|need to))\b"),
    ("condescension", "condescension", 1.0, r"\b(?:how|any way|a way) to make (?:it|this|that|the (?:letter|form|point)) (?:any )?(?:simpler|clearer|plainer|easier|more simple)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:do not|can not|fail to) see why you (?:can not|could not|do not|are unable|would not|should not)\b"),
    ("condescension", "condescension", 0.75, r"\byour (?:neighbours?|sister|brother|friends?|other tenants?|next-door neighbours?) (?:manages?|can|copes?|seems? to|has no)\b"),
    ("condescension", "condescension", 0.75, r"^next time,? (?:try|maybe try|perhaps try|just)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:once|when|after) you (?:have )?(?:had a chance to )?(?:calm(?:ed)? down|cooled (?:off|down)|stopped shouting|got over (?:it|yourself))\b"),
    ("condescension", "condescension", 1.0, r"\bi would (?:have )?(?:hope|hoped|think|thought|expect|expected) (?:that )?(?:you|a grown|an adult|any adult|even you|someone your age|someone of your age)\b[^.!?]{0,30}?\b(?:could|can|would|should|might) (?:manage|cope|work out|figure out|understand|grasp)\b"),
    ("condescension", "condescension", 0.75, r"\b(?:who|that) actually (?:inspected|knows|read|works|visited|understands|did|went)\b"),
    ("condescension", "condescension", 1.0, r"\bfor once\b[^.!?]{0,40}?\b(?:read|listen|check|look|think|follow)\b|\b(?:read|listen|check|look|think|follow)\b[^.!?]{0,40}?\bfor once\b"),
    ("condescension", "condescension", 1.0, r"\b(?:passed you by|over your head|escaped your (?:notice|attention)|lost on you|sink(?:s|ing)? in)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:carefully|properly|closely|slowly) this time\b"),
    ("condescension", "condescension", 1.0, r"\bi am sure you will get there\b|\byou will get there (?:eventually|in the end|one day)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:words|explaining|explanations|letters|e-?mails) (?:do not|does not|did not) seem to (?:be )?(?:work|working|get through|help)\b"),
    ("condescension", "condescension", 0.75, r"\b(?:most|other|all|every other) (?:of our )?(?:people|residents|tenants|customers|families|households|parents) (?:understand|manage|know|realise|realize|accept|cope|can|seem to)\b"),
    ("condescension", "condescension", 0.5, r"\bno room for (?:confusion|misunderstanding|doubt)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:break (?:it|this|that) down|simplify (?:it|this|that)|keep (?:it|this) simple|make (?:it|this) (?:easy|simple))\b[^.!?]{0,25}?\bfor you\b|\bsmall steps for you\b"),
    ("condescension", "condescension", 0.5, r"\bas (?:simply|plainly|slowly) as (?:i|we) (?:can|possibly can|know how)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:not )?(?:your|everyone's|everybody's) strong (?:point|suit)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:let us|shall we) (?:try|go|do|start)\b[^.!?]{0,40}?\b(?:shall we|okay|ok)\?$|^let us try (?:this|that) (?:one more time|again|once more)\b"),
    ("condescension", "condescension", 1.0, r"\bbeyond (?:you|your (?:abilities|ability|skills|understanding))\b"),
    ("condescension", "condescension", 1.0, r"'[\w ]{2,30}' (?:does not|do not|did not) mean '"),
    ("condescension", "condescension", 1.0, r"\b(?:i will|let me|i shall) go over (?:it|this|that) (?:one more time|again|once more)\b"),
    ("condescension", "condescension", 1.0, r"\bhave you (?:tried|thought about|considered) (?:actually|simply|just|perhaps)\b"),
    ("condescension", "condescension", 1.0, r"\bthe clue is in the (?:word|name|title|subject)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:read|check|look at|open) (?:things|it|the letter|letters|e-?mails?|what we send) (?:properly |carefully )?before (?:replying|responding|complaining|writing|calling|ringing)\b"),
    ("condescension", "condescension", 0.75, r"^please do try (?:to|and)\b"),
    ("condescension", "condescension", 1.0, r"\bin case you (?:did not know|were not aware|have forgotten|forgot|had forgotten|need reminding)\b"),
    ("condescension", "condescension", 0.5, r"\bas i (?:am sure|trust) you (?:know|are aware|understand|appreciate)\b|\b(?:let me|allow me to|may i) remind you\b"),
    ("condescension", "condescension", 1.0, r"\bi (?:will|shall) say (?:it|this|that) (?:again|once more|one more time)\b|\bare you (?:still )?with me\b"),
    ("condescension", "condescension", 1.0, r"\b(?:make sense|clear|clearer|simple enough) (?:now|this time)\?|\bgot it now\?"),
    ("condescension", "condescension", 0.75, r"\bsurely (?:you|even you|anyone|any adult) (?:can|could|must|would|should|understand|know|realise|see)\b"),
    ("condescension", "condescension", 1.0, r"\bi would (?:have )?(?:thought|hoped|expected) (?:that )?(?:was|it was|this was|it is|this is|that is) (?:obvious|clear|self-explanatory|common sense)\b"),
    ("condescension", "condescension", 0.5, r"\bin black and white\b"),
    ("condescension", "condescension", 1.0, r"\bsince (?:it|this|that) (?:obviously|clearly|apparently|evidently) needs\b"),
    ("condescension", "condescension", 1.0, r"\b(?:underlined|highlighted|circled|bolded) (?:the )?(?:important|relevant|key|main) (?:part|bit|bits|parts|words|lines?)\b[^.!?]{0,10}?\bfor you\b"),
    ("condescension", "condescension", 1.0, r"\bthe same (?:leaflet|letter|form|e-?mail|information|guide|answer) (?:we|i) (?:have )?(?:sent|given)(?: you)? (?:\w+ times|twice|before|already)\b|\bthe one with (?:the )?pictures\b"),
    ("condescension", "condescension", 1.0, r"\b(?:reading|read|understanding|remembering|following)\b[^.!?]{0,30}?\b(?:a big ask|too much to ask|asking a lot|asking too much)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:no need to|do not|there is no need to) get (?:so )?(?:worked up|hysterical|het up|in a state|excited|in a tizzy)\b"),
    ("condescension", "condescension", 1.0, r"\btry not to (?:overthink|panic|get confused|strain yourself|hurt yourself|worry your)\b"),
    # --- blame and character judgement ---
    ("blame", "blame", 1.0, r"^had you (?!been (?:told|given|offered|informed|sent|advised|made aware|shown|warned|notified|contacted|asked))[^.!?]{0,120}?\b(?:would|could|might)\b"),
    ("blame", "blame", 0.75, r"\bif (?:you|your \w+) (?:had|would) (?:only |just |actually |bothered to |not )?[\w-]+\b[^.!?]{0,80}?\b(?:we|you|it|this|that|i|there)(?: would| could| might)(?: not)? (?:have|be|need)\b"),
    ("blame", "blame", 1.0, r"\b(?:that|this|it)(?: one| bit| part| delay| problem)? is (?:all |entirely |squarely |firmly |wholly )?(?:on|down to) you\b(?! to)"),
    ("blame", "blame", 1.0, r"\b(?:of your own (?:making|doing|choosing)|your own (?:doing|choices|making|fault)|that is your doing|(?:all|entirely) your (?:doing|making))\b"),
    ("blame", "blame", 1.0, r"\b(?:result|consequence|product) of (?:how you (?:live|behave)|your (?:own )?(?:habits|lifestyle|negligence|carelessness|neglect|laziness))\b|\b(?:because of|due to|down to) (?:how you (?:live|behave)|your (?:habits|lifestyle|carelessness|neglect|laziness))\b"),
    ("blame", "blame", 1.0, r"\b(?:how|the way) you (?:live|keep|look after|treat) (?:the|your|that) (?:flat|home|house|property|place|room|garden)\b"),
    ("blame", "blame", 0.75, r"\byou (?:were|are) the one (?:who|that)\b"),
    ("blame", "blame", 1.0, r"\byou (?:can|could) hardly (?:complain|blame|expect|be surprised|object|grumble|criticise|criticize)\b"),
    ("blame", "blame", 1.0, r"\bthis is what happens when (?:people|tenants|residents|customers|someone)\b"),
    ("blame", "blame", 0.75, r"\bthis is what happens when you\b"),
    ("blame", "blame", 1.0, r"\b(?:hard|difficult|impossible) to help (?:someone|people|anyone|a resident|a tenant|a customer|you) who\b"),
    ("blame", "blame", 1.0, r"\byour (?:total |complete |apparent |obvious )?lack of (?:organi[sz]ation|effort|care|interest|attention|planning|common sense|manners|responsibility|cooperation|co-operation)\b"),
    ("blame", "blame", 1.0, r"\b(?:is|are) not (?:our|my) emergency\b"),
    ("blame", "character judgement", 1.0, r"\byou (?:seem to |appear to )?(?:have|make) (?:a|quite a) (?:habit|tendency|hobby) (?:of|for)\b"),
    ("blame", "character judgement", 1.0, r"\bwho (?:keep|look after|take care of|clean) their (?:homes|houses|flats|gardens|property|properties)\b"),
    ("blame", "blame", 1.0, r"^(?:please )?(?:sort|get|pull|clean|tidy|smarten|shape|buck|grow|fix|improve|mend|straighten) (?:out |up )?your (?:own )?(?:habits|act|attitude|behaviou?r|manners|priorities|life|lifestyle|ideas|head|socks|temper|story|facts)\b"),
    ("blame", "blame", 0.75, r"\bas (?:everyone|everybody) (?:[\w']+ ){0,4}knows\b"),
    ("blame", "character judgement", 0.75, r"\b(?:people|tenants|residents|customers) like you\b"),
    ("blame", "blame", 1.0, r"\b(?:everyone|everybody|anyone|anybody) (?:else )?(?:can|could|seems to|does|gets|understands|knows|sees|has understood|has managed)\b[^.!?]{0,30}?\bexcept (?:you|yourself)\b"),
    ("blame", "blame", 1.0, r"\bnot (?:our|my|the council's|the landlord's) fault (?:that )?you\b"),
    ("blame", "blame", 1.0, r"\bif (?:the|your) [\w ]{1,20}? (?:was|were|had been) (?:\w+ )?(?:properly|correctly|regularly|looked after|cleaned|aired)\b[^.!?]{0,40}?\b(?:we|you|it|this|there) (?:would|could)\b"),
    ("blame", "blame", 1.0, r"\b(?:that|this|it) was (?:all )?your (?:own )?(?:decision|choice|doing)\b"),
    ("blame", "blame", 0.75, r"\b(?:nobody|no one|no-one) else\b[^.!?]{0,30}?\b(?:has|had|have|seems to have) (?:had )?(?:a|any) (?:problem|issue|trouble|difficulty)\b"),
    ("blame", "blame", 1.0, r"\bwhich (?:tells|says) (?:me|us|you) (?:something|a lot|everything|all (?:i|we) need)\b"),
    ("blame", "blame", 0.75, r"\b(?:it is|that is) (?:as simple as that|that simple)\b"),
    ("blame", "blame", 0.75, r"\byou chose (?:not )?to\b"),
    ("blame", "blame", 1.0, r"\blifestyle (?:issue|problem|choice|choices|matter)\b"),
    ("blame", "blame", 1.0, r"\b(?:like|as) you (?:said|promised|told us|told me|agreed|swore) you would\b"),
    ("blame", "blame", 0.75, r"\bnone of this would (?:be happening|have happened)\b"),
    ("blame", "blame", 1.0, r"\bwhose (?:idea|bright idea|decision|fault) was (?:it|that)\b"),
    ("blame", "character judgement", 1.0, r"\bsome people (?:just |simply |really )?(?:do not|can not|never|will not|refuse to|cannot)\b"),
    ("blame", "blame", 1.0, r"\b(?:would not|would never) be in this (?:position|situation|mess|predicament)\b"),
    ("blame", "blame", 1.0, r"\byou (?:told|gave|sent|showed) (?:us|me) nothing\b"),
    ("blame", "blame", 0.75, r"\bbecause you (?:stopped|failed|refused|never|chose|decided|ignored)\b"),
    ("blame", "blame", 0.75, r"\b(?:there is|that is) no (?:mystery|secret|puzzle) (?:here|there|about it)\b"),
    ("blame", "blame", 1.0, r"\bbrought (?:[\w ]{0,20}?)on (?:yourself|yourselves)\b"),
    ("blame", "blame", 0.75, r"\bwe both know\b"),
    ("blame", "blame", 0.75, r"\bthe way (?:the|your) \w+ (?:is|are|has been|have been) (?:being )?(?:used|treated|kept|looked after)\b"),
    ("blame", "blame", 1.0, r"\b(?:we are|i am|we were|i was) not the (?:ones?|people|person) (?:who|that)\b"),
    ("blame", "blame", 1.0, r"\b(?:nobody|no one|no-one) (?:forced|made|asked|told) you to\b"),
    ("blame", "blame", 1.0, r"\bnot sure what (?:else )?you expect (?:us|me)\b|\bkeep track of your own\b"),
    ("blame", "blame", 1.0, r"\byour (?:job|responsibility|problem|business|decision),? not (?:ours|mine)\b"),
    ("blame", "character judgement", 0.75, r"\byou are (?:an adult|a grown adult|old enough)\b"),
    ("blame", "blame", 1.0, r"\b(?:you )?should have thought (?:of|about) (?:that|this|it) before\b|\bthink before you (?:write|send|speak|act|complain|sign)\b"),
    ("blame", "blame", 1.0, r"\b(?:is|that is|this is) what happens when (?:a|the|your|people|you)\b[^.!?]{0,40}?\b(?:never|do not|does not|ignore|ignores|fail|fails|refuse|refuses|will not)\b"),
    ("blame", "blame", 1.0, r"\b(?:apply|applies|matter|matters) to (?:everyone|everybody) (?:but|except|else but) you\b"),
    ("blame", "blame", 1.0, r"\bdid not (?:make|break|damage|appear|happen|fix|pay|write|clean) (?:itself|themselves)\b"),
    ("blame", "blame", 1.0, r"\b(?:do not|never) (?:act|pretend to be|play) (?:surprised|innocent|dumb|the victim)\b"),
    ("blame", "blame", 1.0, r"\b(?:result|consequence|product) of (?:you )?(?:ignoring|not (?:reading|paying|answering|opening|replying)|failing to)\b"),
    ("blame", "blame", 1.0, r"\byou had every (?:opportunity|chance)\b|\bnow you (?:want|expect) (?:us|me) to\b|\bbothers you (?:that|so) much\b"),
    ("blame", "blame", 0.75, r"\band chose not to\b|\byou caused (?:this|it|that|the)\b"),
    ("blame", "blame", 0.75, r"\bbecause you (?:did not|didn't) (?:read|pay|check|answer|open|reply|respond|turn up|listen)\b"),
    ("blame", "blame", 1.0, r"\b(?:starts|begins|start|begin) at home\b|\b(?:perhaps|maybe) next time,? (?:you|try|read|check|park|remember|think|plan|pay|look)\b"),
    ("blame", "blame", 1.0, r"\byour (?:habits|lifestyle|attitude|choices) (?:is|are) (?:the|your) (?:issue|problem|cause)\b|\byou (?:broke|damaged|lost|caused|made|started) yourself\b"),
    ("blame", "blame", 0.75, r"\bstop blaming (?:the|us|our|me|everyone)\b"),
    ("blame", "blame", 0.75, r"\byou were (?:told|advised|informed|warned|notified) in writing\b"),
    ("blame", "blame", 1.0, r"\byou were (?:told|advised|informed|warned|notified) (?:clearly|repeatedly|several times|on (?:\w+ )?(?:separate )?occasions)\b"),
    ("blame", "blame", 1.0, r"\bwhere the (?:surprise|confusion|shock) (?:comes|came) from\b|\b(?:do not|can not) see what (?:there is|else there is) to (?:discuss|talk about|complain about)\b"),
    ("blame", "blame", 1.0, r"\b(?:issue|problem|fault|answer|cause) (?:lies|is|may be|might be) (?:a little |rather |much |a bit )?closer to home\b"),
    ("blame", "blame", 0.75, r"\byour (?:repeated )?failure to\b|, not (?:our|the) (?:engineers?|staff|team|contractors?|surveyors?|officers?)[.!]"),
    ("blame", "blame", 1.0, r"\byou (?:did|brought) (?:this|it|that|all this) (?:on|to) yourself\b|\b(?:that|this) one's (?:all |entirely )?on you\b"),
    ("blame", "blame", 1.0, r"\b(?:one|a (?:situation|problem|mess)) (?:that )?you (?:created|made|caused)\b|\bblaming (?:us|me|the \w+) (?:will not|does not|won't|doesn't) change\b"),
    ("blame", "blame", 1.0, r"^think about (?:why|it)[.!]$|^well,? you did\b|\byour (?:own )?mess\b|\byou sort it(?: out)?[.!]"),
    ("blame", "blame", 1.0, r"\b(?:only )?(?:have|got|have got) (?:yourself|yourselves) to thank\b|\b(?:adults|grown-ups) (?:are expected to|are able to|should be able to) manage\b"),
    ("blame", "blame", 1.0, r"\b(?:consequences|problem|mess|fallout) (?:are|is) yours to (?:deal with|sort|fix|handle)\b|\byou (?:chose|decided) to ignore\b"),
    ("blame", "blame", 1.0, r"\b(?:help|helping) (?:people|those|anyone|someone) who (?:will not|won't|can not|do not|refuse to) help themselves\b|\bstop pretending (?:this|it|that|you)\b"),
    ("blame", "blame", 1.0, r"\b(?:a bit of|a little|some|basic) (?:common )?(?:courtesy|effort|care|sense|patience|honesty) on your part\b|\byou seem (?:proud|pleased|happy) (?:of|about|with) (?:it|that|yourself)\b"),
    ("blame", "blame", 1.0, r"\bthe (?:person|people|tenant|resident|customer|user) (?:using|operating|running|living in|in charge of) (?:it|them)\b"),
    ("blame", "blame", 0.75, r"^not being funny,? but\b"),
    ("blame", "blame", 1.0, r"\bwhat else you would like (?:me|us) to (?:say|do|tell you)\b"),
    ("blame", "character judgement", 1.0, r"\b(?:people|parents|tenants|residents|customers|families|households|drivers|those) who [\w ]{1,30}? (?:do not|never|rarely) (?:usually|normally|often) (?:have|get|end up|suffer|find)\b"),
    ("blame", "blame", 1.0, r"^we (?:did|have done) our (?:bit|part|job)[.!]|\bwhat you signed up for\b"),
    ("blame", "character judgement", 1.0, r"\b(?:people|parents|tenants|residents|customers|families|households|drivers|those) who [\w ]{1,30}? (?:do not|never|rarely) (?:tend|seem) to (?:have|get|end up|suffer|find)\b"),
    ("blame", "blame", 1.0, r"\b(?:is not|was not) an? (?:reason|explanation),? (?:it is|it was) an? excuse\b"),
    ("blame", "blame", 1.0, r"\b(?:actions have consequences|consequences of your (?:own )?(?:actions|choices|behaviou?r)|(?:your|you are your) own worst enemy|as you were warned)\b"),
    ("blame", "character judgement", 1.0, r"\b(?:sense of entitlement|so entitled|very entitled|attention[- ]seek(?:er|ing)|professional complainer|compulsive complainer|serial complainant|keyboard warrior|busybody|nosy parker|curtain[- ]twitcher)\b"),
    ("blame", "blame", 1.0, r"\ball you (?:had|needed|were asked) to do (?:was|were)\b"),
    ("blame", "blame", 1.0, r"\b(?:more fool you|on your own head|your (?:own )?lookout|your problem,? not (?:ours|mine|ours to solve))\b|\byour funeral[.!,]"),
    ("blame", "blame", 1.0, r"\b(?:hopefully|i hope|i trust) you (?:have )?(?:learned|learnt) (?:your lesson|a lesson|from (?:this|that|it|your mistake))\b"),
    ("blame", "character judgement", 1.0, r"\byou lot\b|\b(?:typical|classic) (?:you|of you)\b"),
    ("blame", "character judgement", 1.0, r"\b(?:careless|irresponsible|silly|foolish|stupid|rude|thoughtless|selfish|lazy|daft|reckless) of you\b"),
    # --- threats to withdraw help or deprioritise ---
    ("threat", "threat to withdraw help", 1.0, r"\bsee how (?:much|quickly|fast|far|long)\b[^.!?]{0,40}?\b(?:you get|gets? (?:you|things|anything)|takes? you|helps? you)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:do not|never) expect (?:any )?(?:favours|favors|sympathy|special treatment|leniency|goodwill)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:done|finished) (?:helping|with you|dealing with you|bending over)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:nobody|no one|no-one|not|never|will not)\b[^.!?]{0,30}?\bout of (?:my|our|their|his|her) way\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:someone|somebody) (?:much |far |a lot )?less (?:patient|understanding|helpful|accommodating)\b|\byou will find (?:that )?(?:we|i) can be\b"),
    ("threat", "deprioritising", 1.0, r"\b(?:when|whenever|if) (?:i|we) (?:get|come) (?:round|around) to it\b"),
    ("threat", "deprioritising", 1.0, r"\b(?:sit|stay|go|wait|languish) (?:in|on|at) (?:the )?(?:bottom of the )?(?:pile|heap|shelf|in-tray|back burner)\b"),
    ("threat", "deprioritising", 0.5, r"\b(?:bottom|back|end) of the (?:list|queue|pile|heap)\b"),
    ("threat", "deprioritising", 1.0, r"\bprioriti[sz]\w* (?:[\w']+ ){0,4}over (?:residents|people|tenants|customers|families|others|those) who\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:residents|people|tenants|customers|those) who (?:behave|act|write|speak|talk|carry on) like (?:this|that|you)\b[^.!?]{0,60}?\b(?:longer|slower|wait|less|lose|bottom)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:think (?:very )?carefully|think twice|be careful|be very careful) before (?:sending|writing|making|copying|calling|ringing|complaining)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\bsomeone (?:else )?who (?:will not|is not going to|would not) be (?:as |so )?(?:accommodating|patient|helpful|understanding|flexible|nice)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:when|once|until) you (?:start|learn to|begin) (?:treating|treat|being|to be|speaking|talking|showing)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:push|pushing) your luck\b|\bfind yourself (?:a|another) (?:new )?\w+"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:not|never|no longer|will not|does not|do not)\b[^.!?]{0,30}?\b(?:extra mile|out of (?:my|our) way|bend over backwards|any favours)\b"),
    ("threat", "threat to withdraw help", 1.0, r"^(?:cooperate|co-operate|behave|comply|calm down|stop (?:\w+ing))[,!]* or\b"),
    ("threat", "threat to withdraw help", 1.0, r"\bmind (?:how|the way) you (?:speak|talk|write|behave)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:do not|never) (?:make|force) (?:me|us) (?:to )?\w+"),
    ("threat", "threat to withdraw help", 0.75, r"\byou have been warned\b"),
    ("threat", "threat to withdraw help", 1.0, r"\bwatch (?:yourself|your back)\b|\bremember who (?:is|has been) (?:dealing with|handling|processing|looking after) your\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:will not|would not|never) (?:lift a finger|lose (?:any )?sleep)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:have|has) a way of (?:slowing|delaying|holding up|getting lost)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:do not|never) expect (?:me|us) to (?:chase|help|rush|hurry|go|do you|bend|make|be (?:flexible|helpful|understanding|lenient))\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:and|then) see what happens\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:do not|never) test (?:me|my patience|us)\b|\bmy patience (?:is wearing thin|has run out|is running out|is at an end)\b|\byou have had your (?:last )?chances?\b|\bwe will see about that\b|\benough is enough\b"),
    ("threat", "threat to withdraw help", 0.75, r"^(?:so )?you want (?:the|your|this|it|that)\b[^.!?]{0,25}?\?$"),
    ("threat", "threat to withdraw help", 0.75, r"^then (?:stop|do not|try|start|learn)\b"),
    ("threat", "threat to withdraw help", 0.5, r"\boff the table\b"),
    ("threat", "threat to withdraw help", 1.0, r"\bthe last (?:one|case|thing|file|job) (?:i|we) (?:look at|deal with|get to|touch)\b|\b(?:goodwill|patience) (?:runs|will run|is running|soon runs) out\b"),
    ("threat", "threat to withdraw help", 1.0, r"\bremember who (?:gave|gives|caused|made|was)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:make|do) this (?:the )?easy (?:way )?or (?:the )?(?:difficult|hard)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:noted|recorded|logged) your (?:attitude|tone)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:has|have|with) (?:a )?long memor(?:y|ies)\b|\b(?:tread|step) (?:very )?carefully if i were you\b|\bif i were you,? i would (?:tread|think|be careful|stop)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:do not|never) think (?:i|we) (?:will not|won't) remember\b|\btreating (?:me|us) like (?:your|a) (?:personal assistant|servant|slave|secretary|punchbag|skivvy)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:affect|slow|delay) how (?:quickly|soon|fast) (?:we|i) (?:can|will|are able to)\b|\breserve the right to (?:deprioriti[sz]e|delay|refuse to help|decline to assist)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:and|then) watch what happens\b|\bor be (?:ignored|left|forgotten)\b|\b(?:calm down|be polite|behave|stop \w+ing) or (?:wait|be ignored|lose|get nothing|forget)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:reconsider|change|watch|moderate) your (?:tone|attitude|language|approach) if you want\b|\bmark my words\b"),
    ("threat", "threat to withdraw help", 1.0, r"\bwash(?:ing)? (?:my|our) hands of\b"),
    ("threat", "threat to withdraw help", 1.0, r"\bwhen (?:i|we) (?:get|come) (?:round |around )?to it\b"),
    ("threat", "threat to withdraw help", 0.75, r"\bfind a reason to\b|^be warned\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:you would|you'd) do well to (?:remember|bear in mind|think)\b"),
    ("threat", "deprioritising", 1.0, r"\bbottom of (?:my|our|the) (?:inbox|in-tray|to-do list)\b|\b(?:officially|now) (?:a )?(?:low|bottom|last) priority\b"),
    ("threat", "threat to withdraw help", 1.0, r"^quite the (?:opposite|reverse)[.!]|^if not,? good luck[.!]|\bhow much you need (?:us|me|our help)\b|\bhow slow (?:we|i) can be\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:no obligation|not obliged|under no obligation) to (?:keep )?(?:help|helping|assist|assisting)\b|\bthe more you \w+,? the (?:slower|longer|less)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:other|plenty of) (?:tenants|residents|people|customers|families) who (?:would|'d) appreciate\b|\bappreciate my (?:time|help) more than you\b"),
    ("threat", "threat to withdraw help", 0.75, r"\b(?:will not|won't) be (?:rushing|hurrying)\b|\b(?:i am|we are) not (?:inclined|minded) to (?:use|offer|help|pay|give|exercise)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:goodwill|patience|generosity) (?:is not|is hardly) (?:unlimited|infinite|endless|limitless)\b|\b(?:do|pursue) (?:so|it|this) without (?:my|our) (?:help|support|assistance)\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:have|get) (?:the|your) \w+ or (?:the|an|your) (?:argument|attitude|tone|row|fight),? (?:but )?not both\b"),
    ("threat", "threat to withdraw help", 1.0, r"\b(?:far|much|a lot|rather) less (?:patient|understanding|forgiving|nice|accommodating|friendly) than (?:me|i am|i|us|we are)\b"),
    # --- dismissal ---
    ("dismissal", "dismissal", 1.0, r"\bneither the (?:time|patience|inclination|energy)\b|\b(?:no|lost|run out of|running out of) (?:more )?patience (?:for|with)\b"),
    ("dismissal", "dismissal", 1.0, r"\bnot (?:really )?something (?:i|we) (?:am |are )?(?:going to|need to|will|intend to|want to) (?:spend|waste|hear|bother|engage|read)\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:not|never) (?:going to|willing to|prepared to) (?:spend|waste) (?:any )?(?:more |further |any more )?(?:time|energy|effort)\b|\bdignify\b"),
    ("dismissal", "dismissal", 1.0, r"^whatever[.,!]"),
    ("dismissal", "dismissal", 0.75, r"\b(?:it|this|that) changes nothing\b"),
    ("dismissal", "dismissal", 0.5, r"^(?:goodbye|bye)[.!]+$"),
    ("dismissal", "dismissal", 1.0, r"\b(?:hardly|scarcely|barely|not exactly) (?:an?|the) (?:emergency|priority|crisis|disaster|catastrophe|tragedy|big deal|matter of life and death)\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:hundreds|thousands|plenty|lots|dozens) of (?:other )?(?:people|residents|tenants|customers|families|cases) with (?:real|actual|genuine|proper|serious)\b"),
    ("dismissal", "dismissal", 1.0, r"\bnoted and (?:ignored|filed|binned|disregarded|dismissed)\b"),
    ("dismissal", "dismissal", 0.75, r"\b(?:will not|not) be reading (?:any )?(?:further|more|other)\b"),
    ("dismissal", "dismissal", 0.75, r"\bno point (?:in )?(?:sending|writing|e-?mailing|calling|ringing|complaining|chasing|asking|contacting)\b"),
    ("dismissal", "dismissal", 1.0, r"^not interested[.!]"),
    ("dismissal", "dismissal", 1.0, r"\bif you (?:really )?must[.!]"),
    ("dismissal", "dismissal", 1.0, r"\b(?:can not|do not|fail to) see what (?:else )?you (?:expect|want)\b"),
    ("dismissal", "dismissal", 1.0, r"^again with\b"),
    ("dismissal", "dismissal", 0.75, r"^move on[.!]"),
    ("dismissal", "dismissal", 1.0, r"\bstop (?:ringing|calling|e-?mailing|phoning|writing|complaining|going on|moaning) (?:to (?:me|us) )?about\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:i|we) (?:really |honestly |genuinely )?(?:could not|can not|do not) care less\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:do not have|have no|have not got|have not|has no|did not have) (?:got )?(?:the )?time for (?:this|you|your|these|such)\b"),
    ("dismissal", "dismissal", 1.0, r"\bthe last (?:{comm}) (?:i|we) (?:will|am going to|are going to|shall) (?:be )?(?:answer|read|respond|reply|deal)\w*"),
    ("dismissal", "dismissal", 1.0, r"\bactual work to do\b"),
    ("dismissal", "dismissal", 1.0, r"\bthere is nothing in (?:it|this|that|your (?:complaint|claim|email|letter))\b"),
    ("dismissal", "dismissal", 1.0, r"\bentertain(?:ing)? (?:this|it|that|your|any (?:further|more))\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:got |have )?better things to do\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:not|never|no longer) (?:discussing|going over|revisiting|debating|arguing about|getting into) (?:this|it|that|the matter)(?: again| any further| any more)?\b"),
    ("dismissal", "dismissal", 1.0, r"\bnot worth (?:anyone's|anybody's|our|my|the council's|everyone's) (?:time|effort|attention)\b"),
    ("dismissal", "dismissal", 1.0, r"\bas far as i am concerned\b[^.!?]{0,30}?\b(?:closed|over|finished|done|the end)\b"),
    ("dismissal", "dismissal", 1.0, r"\bsomeone (?:who|that) (?:cares|gives a)\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:that is|this is) the end of (?:it|the matter|that|this)[.!]"),
    ("dismissal", "dismissal", 1.0, r"\b(?:not|is not) (?:very )?(?:high|top) on (?:anyone's|anybody's|our|my|the) (?:list|agenda|priorities|priority list)\b"),
    ("dismissal", "dismissal", 1.0, r"\bif you say so\b|\bso what\?|\bwho cares[.!?]*$|(?<!no )(?<!not a )\bbig deal\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:complain|write|go|take it|send it|escalate it) to (?:whoever|whomever|anyone|anybody|who ever) you (?:like|want|please|wish)\b"),
    ("dismissal", "dismissal", 1.0, r"\bhave to (?:live with|put up with|lump) it\b"),
    ("dismissal", "dismissal", 1.0, r"\bthis (?:conversation|discussion|exchange) is (?:now )?(?:over|finished|at an end)[.!]"),
    ("dismissal", "dismissal", 0.5, r"\b(?:nothing|nothing more|nothing further) to (?:add|say)\b"),
    ("dismissal", "dismissal", 1.0, r"\bnot my circus\b|\byou will (?:have to )?forgive me if\b"),
    ("dismissal", "dismissal", 1.0, r"\bwhy (?:this|it|you) (?:needed|took|required|warranted|merited) (?:two|three|four|five|six|seven|\d+|so many|several) (?:e-?mails|calls|letters|messages|chasers)\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:will not|refuse to) be drawn (?:into|on)\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:i do not make the rules|computer says no|that is just how it is|no ifs,? (?:and )?no buts|and that is final|talk to the hand|we are done here|i am done here)\b|^(?:next|moving on|full stop|period|case closed)[.!]$"),
    ("dismissal", "dismissal", 1.0, r"\bfiled (?:where|accordingly|in the (?:bin|appropriate place|round file))\b|\blife is too short to\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:do not|can not|fail to) see what the (?:fuss|problem|big deal|drama) is\b|\b(?:read|seen|heard) enough (?:of these|of your|complaints|of them)\b"),
    ("dismissal", "dismissal", 1.0, r"^not interested in\b"),
    ("dismissal", "dismissal", 1.0, r"\bnothing (?:more|else|further) to say to you\b|\btake (?:this|it|that|your \w+) elsewhere\b"),
    ("dismissal", "dismissal", 1.0, r"\bnoted,? but (?:irrelevant|ignored|not relevant|unimportant|beside the point)\b|\bpassed (?:on )?to (?:nobody|no one|no-one|the bin)\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:discussed|talked about|covered|been over|argued about) this enough\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:you are|you're) (?:perfectly |quite )?entitled to (?:it|your opinion|your view|think that)\b[^.!?]{0,25}?\bbut\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:do not|never|stop) wast(?:e|ing) [\w' ]{0,20}?time\b|\bbigger fish to fry\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:i am|we are) not here to (?:argue|debate|be shouted at|listen to|be lectured|babysit)\b"),
    ("dismissal", "dismissal", 1.0, r"\bspent (?:quite |more than )?enough time on (?:your|this|it|that)\b|\b(?:possibly|probably|maybe|perhaps) next (?:year|decade|century)\b"),
    ("dismissal", "dismissal", 0.75, r"^feel free to (?:complain|escalate|go to|take it)\b|\b(?:will not|does not|won't) change (?:my|our|the) (?:answer|decision|mind|position)\b"),
    ("dismissal", "dismissal", 1.0, r"\bno point (?:in )?(?:me|us|my|our) (?:explaining|repeating|going over|saying)\b"),
    ("dismissal", "dismissal", 0.75, r"\bno further correspondence will be entered into\b|\bi consider (?:this|the matter) (?:closed|finished)\b|^noted[.!]$"),
    ("dismissal", "dismissal", 1.0, r"\bof which there (?:have been|has been|were) (?:many|plenty|dozens|several)\b|\b(?:considered|read|noted) and,? (?:frankly,? )?(?:dismissed|rejected|ignored)\b"),
    ("dismissal", "dismissal", 1.0, r"^whatever you (?:reckon|say|think|like)\b|\bnot (?:reading|going to read) (?:all )?(?:that|this)\b"),
    ("dismissal", "dismissal", 1.0, r"\bnot (?:engaging|going to engage) (?:with )?(?:this|it|you|that) (?:any )?(?:further|more)\b|\b(?:is|remains) no and will (?:remain|stay|always be|continue to be) no\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:i am|we are) done with (?:this|you|the) (?:conversation|discussion|exchange|case|complaint|nonsense)\b|\bcan we not do this again\b"),
    ("dismissal", "dismissal", 1.0, r"\bwhatever (?:makes you happy|floats your boat|you need to tell yourself)\b|\b(?:does not|doesn't) (?:warrant|deserve|merit) a (?:reply|response|answer)\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:do not|don't) have the patience (?:for|to)\b|\bkeep not (?:replying|responding|answering)\b|\bwasting another (?:afternoon|morning|day|hour|minute|second|week)\b"),
    ("dismissal", "dismissal", 1.0, r"^not today,? thank you[.!]|\bno interest in (?:continuing|discussing|pursuing|hearing)\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:do not|don't) need to justify (?:our|my|the) (?:decisions?|actions?|position) to you\b|\bwhy (?:i|we) should (?:explain|justify|repeat) (?:myself|ourselves|it)\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:{ordinal_many}) time i have (?:answered|explained|told|said|replied)\b"),
    ("dismissal", "dismissal", 1.0, r"\bthe last (?:one|reply|response|answer) you (?:will|are going to) get\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:a|your|another|just a) (?:moan|whinge|gripe|tantrum|strop|hissy fit)\b"),
    ("dismissal", "dismissal", 1.0, r"\bthere is the door\b|\b(?:more important|bigger|better) (?:cases|things|priorities|problems) than (?:a|an|your)\b|^do (?:what|whatever) you (?:like|want|please|must)\b"),
    ("dismissal", "dismissal", 0.75, r"^(?:can not|can't) help[.!]$"),
    ("dismissal", "dismissal", 1.0, r"\bnot (?:really )?something (?:i|we) (?:am |are )?(?:prepared|willing) to (?:spend|waste|discuss|entertain)\b"),
    ("dismissal", "dismissal", 0.75, r"\b(?:is not|isn't|is hardly) worth (?:a|the) (?:claim|complaint|fuss|call|phone call|letter)\b|\bwaste (?:the |our |my )?[\w']+'s time\b"),
    ("dismissal", "dismissal", 1.0, r"\bwhy you (?:think|thought|feel|believe)\b[^.!?]{0,50}?\b(?:is beyond me|i do not know|i will never know|i can not imagine)\b"),
    ("dismissal", "dismissal", 1.0, r"\bwhich (?:is not|is hardly|will not be) (?:likely|going to be soon|any time soon|soon)\b"),
    ("dismissal", "dismissal", 1.0, r"^your [\w' -]{1,25} can wait[.!]"),
    ("dismissal", "dismissal", 0.75, r"\bthe answer is in (?:them|it|there|those|that)[.!]"),
    ("dismissal", "dismissal", 0.75, r"^(?:several|many|numerous|countless) times[.!]$|^(?:closed|enough|done)[.!]$"),
    ("dismissal", "dismissal", 0.75, r"^again[:!]"),
    # --- insult and profanity ---
    ("insult", "insult", 1.0, r"\byou (?:are|were|have been)(?: being| acting)?[ ,]+(?:(?:{adv})[ ,]+){0,4}(?:{you_judge})\b"),
    ("insult", "insult", 1.0, r"\bare you (?:really |seriously |honestly |actually |just )?(?:this |that |so |being )?(?:{you_judge})\b"),
    ("insult", "insult", 1.0, r"\b(?:rudest|most (?:difficult|demanding|unreasonable|aggressive|annoying|tiresome|exhausting))\b[^.!?]{0,30}?\b(?:i|we) (?:have|had) ever\b"),
    ("insult", "insult", 1.0, r"\b(?:like|as|than) an? (?:spoilt |spoiled |naughty |little |sulky |petulant )?(?:child|toddler|baby|brat|teenager|schoolchild|schoolboy|schoolgirl)\b"),
    ("insult", "insult", 1.0, r"\b(?:did|does|could) an? (?:toddler|child|five-year-old|monkey|chimp|six-year-old) (?:fill|write|do|draw|complete)\b"),
    ("insult", "insult", 1.0, r"\b(?:{insult_noun})s?\b"),
    ("insult", "insult", 1.0, r"\b(?:shambles|joke|farce|disgrace|travesty) of an? \w+"),
    ("insult", "insult", 1.0, r"\byour (?:[\w'-]+ ){0,2}?(?:{conduct})(?: [\w'-]+){0,4}? (?:was|is|were|are|has been|reads like|looks like|sounds like)(?: [\w-]+)?[ ,]+(?:{conduct_judge})\b"),
    ("insult", "insult", 1.0, r"\b(?:such|what) an? (?:pile|load|heap|bunch|lot) of (?:nonsense|rubbish|garbage|drivel|tosh|lies|excuses|twaddle|waffle)\b"),
    ("insult", "insult", 1.0, r"\b(?:what|how) (?:did|do) you (?:think|expect|imagine) (?:would|was going to|will|is going to)\b"),
    ("insult", "insult", 1.0, r"\b(?:should|ought to) be (?:ashamed|embarrassed)\b"),
    ("insult", "insult", 1.0, r"\b(?:you|you have|you have not|you do not have)\b[^.!?]{0,12}?\b(?:the )?(?:faintest|slightest|foggiest|first) (?:idea|clue|notion)\b"),
    ("insult", "insult", 1.0, r"\b(?:makes?|made) you (?:look|sound|seem|appear) (?:(?:{adv}) ){0,2}(?:{you_judge}|foolish|silly|daft|unreasonable|desperate|petty|ridiculous)\b"),
    ("insult", "insult", 1.0, r"\byou (?:sound|seem|look|appear|come across as)(?: (?:{adv})){0,3} (?:{you_judge}|foolish|silly|daft|petty)\b"),
    ("insult", "insult", 1.0, r"\b(?:things|what) you (?:write|say|said|wrote|send|sent)\b[^.!?]{0,25}?\b(?:beyond belief|unbelievable|ridiculous|absurd|laughable|nonsense)\b"),
    ("insult", "insult", 1.0, r"(?<!not )(?<!no )(?<!never )\b(?:petty|childish|silly|daft|stupid|pathetic|ridiculous|absurd|laughable|pointless|idiotic|frivolous) (?:complaint|request|claim|excuse|e-?mail|letter|demand|question|behaviou?r|attitude|argument|point|idea|suggestion|rant|message)s?\b"),
    ("insult", "insult", 1.0, r"\b(?:are you|you are|you must be) having a laugh\b|\btaking the (?:mick|mickey|michael|piss)\b|\bwho do you think you are\b|\bget (?:a life|over yourself)\b"),
    ("insult", "insult", 1.0, r"\b(?:do you|you) (?:think|imagine|seem to think) (?:we|i) (?:are|am) (?:stupid|idiots|made of money|mugs|a charity|fools|daft|a bank|mind readers)\b"),
    ("insult", "insult", 1.0, r"\bnot (?:exactly )?the (?:sharpest|brightest)\b|\byou (?:are|were|have been) (?:just )?making (?:it|this|things|stuff|that) up\b"),
    ("insult", "insult", 1.0, r"\byou (?:really |truly )?are the (?:limit|absolute limit|end)\b|\byou are not one of them\b"),
    ("insult", "insult", 1.0, r"\blike (?:talking|speaking|writing) to a (?:brick )?wall\b|\bwhat planet are you (?:on|living on|from)\b"),
    ("insult", "insult", 1.0, r"\beven for you\b|\ba new low\b|\bit takes a special (?:kind|sort|type) of (?:person|tenant|customer|resident)\b"),
    ("insult", "insult", 1.0, r"\bwhat an? (?:thoroughly |truly |really )?(?:unpleasant|rude|nasty|horrible|vile|ridiculous|silly|stupid|pointless) (?:e-?mail|letter|message|complaint|thing to)\b"),
    ("insult", "insult", 1.0, r"\bwho (?:on earth |the hell |exactly )?taught you (?:to|how|that)\b|\bthe only thing (?:worse|more \w+) than your\b"),
    ("insult", "insult", 1.0, r"\bthe least (?:coherent|sensible|reasonable|convincing|intelligent|polite) (?:complaint|e-?mail|letter|claim|argument|message)\b"),
    ("insult", "insult", 1.0, r"\b(?:rarely|never|seldom) (?:read|seen|heard|received) (?:anything|something|such \w+) (?:so|as|quite so) \w+"),
    ("insult", "insult", 1.0, r"\bmanaged to be (?:rude|difficult|unpleasant|obnoxious|offensive|abusive)\b"),
    ("insult", "insult", 1.0, r"\byour (?:\w+ )?(?:e-?mail|letter|message|complaint|point|argument|claim) makes (?:very )?(?:little|no) sense\b|\b(?:can not|could not|struggled to|struggle to) find (?:a|any) (?:coherent|clear|sensible|actual) (?:point|argument|complaint)\b"),
    ("insult", "insult", 1.0, r"\bare you for real\b|\bwhat is (?:wrong|the matter) with you\b"),
    ("insult", "insult", 1.0, r"\b(?:toddlers|children|kids|a toddler|a child|my dog|teenagers) (?:who|that) (?:were|was|are|is) more (?:reasonable|mature|sensible|polite|patient)\b"),
    ("insult", "insult", 1.0, r"\bwind(?:ing)? (?:people|everyone|us|staff|me) up\b|\byou are (?:such |really |very |real |proper )?hard work\b|\b(?:embarrassing|humiliating|making a fool of) yourself\b"),
    ("insult", "insult", 1.0, r"\b(?:talent|gift|knack) for (?:missing|ignoring|misreading|misunderstanding|twisting)\b|\bdetermined to be (?:difficult|awkward|unpleasant|obstructive)\b"),
    ("insult", "insult", 1.0, r"\b(?:manage|managed) to make (?:everything|things|it|this) (?:so )?(?:difficult|complicated|hard|awkward)\b"),
    ("insult", "insult", 1.0, r"\byou are not being (?:entirely |completely |fully |totally )?(?:honest|truthful|straight)\b|\bnothing but (?:rude|difficult|unpleasant|hostile|trouble|abusive)\b"),
    ("insult", "insult", 1.0, r"\b(?:let us say|shall we say|to put it kindly|to be kind|charitably),? (?:imaginative|creative|colou?rful|optimistic|generous|inventive)\b|\bfor someone who (?:complains|writes|e-?mails|calls|claims)\b"),
    ("insult", "insult", 1.0, r"\byour (?:attitude|behaviou?r|e-?mail|letter|complaint|tone) (?:stinks|sucks|is a joke|is a disgrace)\b"),
    ("insult", "insult", 1.0, r"\b(?:the|one of the) (?:daftest|silliest|stupidest|dumbest|most ridiculous|most absurd|most pointless) (?:thing|complaint|e-?mail|idea|request|question|letter)s?\b"),
    ("insult", "insult", 1.0, r"\b(?:difficult|hard|impossible) to take (?:this|you|it|your \w+) seriously\b|\byour (?:conduct|behaviou?r|attitude|e-?mail|letter|language) (?:has been|was|is) nothing short of\b"),
    ("insult", "insult", 1.0, r"\byou (?:seem to |appear to )?(?:enjoy|relish|love) (?:making|causing|complaining|arguing|being difficult|creating)\b|\bgrow a (?:thicker skin|spine|pair)\b"),
    ("insult", "insult", 1.0, r"\b(?:do not|don't) need (?:customers|tenants|residents|people|parents|clients) like you\b|\b(?:behaviou?r|people|customers|attitudes?) like yours? (?:is|are) (?:exactly |precisely )?why\b"),
    ("insult", "insult", 1.0, r"\byou are the reason (?:staff|people|we|i|everyone|nobody|colleagues)\b|\b(?:level|sense) of entitlement\b"),
    ("insult", "insult", 1.0, r"\b(?:written|reads|sounds|looks) like (?:a|an) (?:ransom note|child|toddler|rant|joke|five-year-old)\b"),
    ("insult", "character judgement", 1.0, r"\byou come across as (?:someone|a person|somebody|the kind of person|the sort of person) who\b"),
    ("insult", "insult", 1.0, r"\benjoys? (?:complaining|arguing|moaning|drama|a fight|a moan|a row)\b"),
    ("insult", "insult", 1.0, r"\b(?:met|seen|known|taught|explained this to) [\w -]{1,20}? with more (?:patience|sense|manners|maturity|common sense|brains|success|luck)\b"),
    ("insult", "insult", 1.0, r"\b(?:rudest|worst|most unpleasant|most ungrateful)\b[^.!?]{0,40}?\b(?:i|we) (?:have|had|have had|have ever had|have ever) (?:had|seen|read|received|dealt with)?\b"),
    ("profanity", "profanity", 1.0, r"\b(?:{profanity})\b"),
)


# --- tuning round on v3 (issue 20): constructions, each a class of wording ---
_RULES_V3: tuple[tuple[str, str, float, str], ...] = (
    # irony markers: a reading/interpretation praised as "creative", admiration for a failing, "never tire of"
    ("sarcasm", "irony", 1.0, r"\b(?:creative|imaginative|inventive|novel|original|optimistic|generous) (?:reading|interpretation|take|version|understanding|accounting|use|recollection) of\b"),
    ("sarcasm", "irony", 1.0, r"\b(?:admiration|admire|in awe of|impressed by|marvel at)\b[^.!?]{0,30}?\byour (?:ability|talent|knack|skill|gift|capacity) (?:to|for)\b"),
    ("sarcasm", "irony", 1.0, r"\b(?:we|i) never tire of\b|\bwhy (?:ever |on earth )?did (?:we|i) not think of that\b|\bwho could (?:possibly )?have (?:seen|predicted|guessed|foreseen) that\b"),
    ("sarcasm", "irony", 1.0, r"\b(?:{ordinal_many}) time lucky\b"),
    ("sarcasm", "irony", 1.0, r"\b(?:is|was|are|were) (?:rather |quite |very |most )?(?:touching|sweet|adorable|charming|cute|quaint),? (?:given|considering|when)\b"),
    ("sarcasm", "mock praise", 1.0, r"\b(?:well done|congratulations|congrats|bravo|good job|nice work|gold star)\b,? (?:(?:\w+ ){0,2}?(?:on|for) )?(?:finally |eventually |at last )?(?:working out|figuring out|realising|noticing|reading)\b"),
    ("sarcasm", "irony", 0.5, r"\b(?:amazing|great|perfect|brilliant|impeccable|wonderful|lovely|excellent) timing\b"),
    ("sarcasm", "irony", 0.75, r"\b(?:honoured|flattered|touched|delighted|thrilled|privileged)\b (?:that )?you (?:have )?(?:chosen|decided|seen fit|felt the need|elected)\b"),
    ("sarcasm", "irony", 1.0, r"\bgiven you something (?:new |fresh |else |more )?to (?:write|complain|moan|talk|e-?mail) (?:to us )?about\b"),
    ("sarcasm", "mock gratitude", 1.0, r"\b(?:{thanks})\b[^.!?]{0,20}?\bthe (?:all-?caps|capitals|caps|shouting|lecture|sermon|essay|novel|exclamation marks)\b"),
    ("sarcasm", "mock gratitude", 1.0, r"\b(?:explain\w*|tell\w*|teach\w*|show\w*) (?:us|me) how to do (?:our|my) (?:jobs?|work)\b(?! (?:better|well|properly|right)\b)"),
    ("sarcasm", "irony", 1.0, r"\b(?:marvellous|startling|shocking|earth-shattering|astonishing|stunning|remarkable|amazing) (?:revelation|discovery|insight)\b"),
    ("sarcasm", "irony", 1.0, r"^(?:brilliant|great|wonderful|fantastic|marvellous|lovely|perfect|oh),? so\b[^.!?]{0,60}?\bnow\?"),
    ("sarcasm", "scare quotes", 1.0, r"\b(?:customer|tenant|resident|patient|client|caller|parent|he|she|they|you|mr \w+|mrs \w+|ms \w+) (?:is |was |were |are |seems |seemed )?'(?:shocked|surprised|outraged|appalled|upset|devastated|horrified|confused|baffled|stunned|amazed)'"),
    ("sarcasm", "mock gratitude", 0.5, r"\b(?:thanks|thank you) (?:a million|a bunch|ever so much) for\b"),
    ("sarcasm", "irony", 0.5, r"\breally made (?:our|my|the) [\w ]{0,15}?(?:day|week|morning)\b"),
    # condescension: the reader's understanding doubted, the explanation made "basic"
    ("condescension", "condescension", 1.0, r"\b(?:maybe|perhaps|because maybe|since maybe) (?:is|it is|this is|that is) (?:too |very |a bit |so )?(?:difficult|hard|complicated|complex) for you\b|\bi explain (?:to )?you (?:again|once more)\b"),
    ("condescension", "condescension", 1.0, r"\bi am sure it (?:all )?(?:feels|seems|is|must be) (?:very |really |all very |so )?(?:confusing|complicated|difficult|overwhelming) for you,? but\b"),
    ("condescension", "condescension", 1.0, r"\b(?:explain|repeat|go over|say)\b[^.!?]{0,40}?\bagain,? and again\b"),
    ("condescension", "condescension", 1.0, r"\bso (?:that )?you (?:can|could|will be able to|might) (?:get|make it) all the way through\b"),
    ("condescension", "condescension", 1.0, r"\b(?:keep (?:it|this|things) (?:basic|very simple)(?: for you\b|\)|:)|in words of one syllable\b)"),
    ("condescension", "condescension", 0.75, r"\b(?:in|into) the (?:simplest|plainest|most basic) (?:possible )?(?:terms|words|language)\b"),
    ("condescension", "condescension", 0.75, r"\b(?:longer|long|big|complicated|difficult) words in it\b|\bhere is the (?:short|simple|easy) version\b"),
    ("condescension", "condescension", 1.0, r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday) (?:comes|is) (?:after|before) (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"),
    ("condescension", "condescension", 1.0, r"\bstruggle (?:with )?(?:reading|telling|counting|following) (?:a |the )?(?:timetable|clock|calendar|map|signs?|dates?|time|numbers)\b"),
    ("condescension", "condescension", 1.0, r"\bfind the (?:idea|concept|notion|principle) of\b[^.!?]{0,30}?\b(?:difficult|hard|confusing|tricky|challenging)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:put|written|printed|highlighted) (?:it |this |them )?in (?:bold|capitals|big letters|large print|yellow) (?:for you|so you|this time|so that you)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:seemed|proved|was|were|appeared) (?:to be )?too much (?:for you )?(?:last time|before)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:i think|i am sure|hopefully|surely|i trust) you can (?:manage|cope with|handle) (?:that|this|it)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:drew|draw|drawn|drawing) (?:her|him|them|you) a (?:picture|diagram|map)\b"),
    ("condescension", "condescension", 1.0, r"\b(?:may not be aware|might not know|may not know|may be surprised to learn) that [\w ]{1,25}?(?:costs? money|is not free|are not free|has to be paid for)\b"),
    ("condescension", "condescension", 1.0, r"\bthere are (?:some |a few )?(?:numbers|sums|long words|figures|maths) involved\b"),
    ("condescension", "condescension", 0.75, r"\bask (?:a|someone|somebody|your) (?:[\w-]+ ){0,2}?to read (?:this|it|the letter|this one|this letter) (?:out )?(?:to|for) you\b"),
    ("condescension", "condescension", 1.0, r"\bthe last (?:two|three|four|five|few|several|\d+) (?:letters|e-?mails|messages|reminders) (?:did not|have not) (?:get|gotten|got) through\b"),
    ("condescension", "condescension", 1.0, r"\bthe point (?:appears|seems) to have (?:been lost|been missed|escaped you|passed you by)\b"),
    ("condescension", "condescension", 1.0, r"^bless (?:you|your heart|him|her)\b[^.!?]{0,20}?\b(?:for trying|for the effort|trying)\b"),
    ("condescension", "condescension", 1.0, r"\bdespite the (?:big|large|huge|giant|massive|bright|clear|enormous) (?:[\w-]+ )?(?:signs?|notices?|arrows?|print|lettering)\b"),
    ("condescension", "condescension", 0.75, r"\bsit down with a (?:pen|pencil|calculator|cup of tea|strong coffee)\b"),
    ("condescension", "condescension", 1.0, r"\bsomething as (?:simple|basic|easy|straightforward) as\b|\byou are an? (?:adult|grown-?up|grown adult)\b"),
    # blame: the reader's choices and habits named as the cause
    ("blame", "blame", 1.0, r"\b(?:a bit|a little|rather|somewhat|pretty) rich (?:to|for you|of you|coming)\b"),
    ("blame", "blame", 1.0, r"\b(?:is|are) what happens when (?:you |people |tenants |customers )?[\w ]{0,25}?(?:never|do not|fail to|refuse to|are not)\b"),
    ("blame", "blame", 1.0, r"\bconsequences are (?:yours|your own|all yours)\b|\byours to own\b"),
    ("blame", "blame", 1.0, r"\b(?:ignoring|ignored) (?:all |every one of |each of )?(?:our|the|my) (?:letters|reminders|e-?mails|calls|warnings|messages|notices|advice)\b"),
    ("blame", "blame", 1.0, r"\bif you (?:had|would|would have) (?:\w+ ){0,3}?(?:followed|read|listened|checked|opened|kept|paid|answered|turned up|been|done)\b[^.!?]{0,80}?\b(?:would|would not) (?:still|have|be|not)\b"),
    ("blame", "blame", 0.75, r"^(?:perhaps|maybe) if\b[^.!?]{0,60}?\b(?:would not|would|will not)\b"),
    ("blame", "blame", 1.0, r"^(?:maybe|perhaps) (?:just )?(?:spend (?:a (?:little|bit|lot) )?less|cut (?:back|down)|stop \w+ing|try (?:harder|reading|listening|paying)|get up earlier|pay attention|read (?:the|your))\b[^.!?]{0,60}?\band (?:the|your|it|you)\b[^.!?]{0,40}?\b(?:would not|would|will not)\b"),
    ("blame", "blame", 1.0, r"\b(?:has come|came|comes|stems|stemmed) from your (?:side|end)\b"),
    ("blame", "blame", 1.0, r"\ban? (?:household|user|pet-training|lifestyle|parenting|housekeeping|hygiene|personal organisation|you) (?:problem|issue|matter)\b"),
    ("blame", "blame", 1.0, r"\b(?:could not|can not) be bothered\b"),
    ("blame", "blame", 1.0, r"\b(?:author|architect) of (?:her|his|their|your) own (?:misfortune|problems?|troubles?|downfall|situation)\b|\b(?:only|largely|entirely) (?:have|has) (?:yourself|himself|herself|themselves) to blame\b"),
    ("blame", "blame", 1.0, r"\b(?:your|their|the family's|the parents'|his|her) (?:lack of (?:interest|effort|engagement|care|co-?operation)|indifference|apathy)\b"),
    ("blame", "blame", 1.0, r"\bif (?:parents|tenants|customers|residents|people|families|you) (?:took|showed|made|put in) (?:a (?:little|bit) )?more (?:responsibility|effort|care|interest)\b"),
    ("blame", "blame", 1.0, r"\bbecause you (?:are|were) not (?:careful|organised|paying attention|listening|responsible)\b|\bevery (?:year|month|time|week),? (?:the )?same (?:problem|story|thing)\b"),
    ("blame", "blame", 1.0, r"^(?:responsible|sensible|organised|organized|careful) (?:tenants|people|customers|parents|residents|patients|adults|drivers|owners) (?:tend to|usually|generally|always|would|do not|know to|report|keep|check|read|pay|open|remember)\b"),
    ("blame", "blame", 1.0, r"\b(?:that is|thats|this is|it is) (?:all )?down to you,? not\b|\bkept not (?:turning up|attending|paying|answering|replying|coming)\b"),
    # threat: help held back until the reader does something
    ("threat", "threat", 0.75, r"\b(?:stays?|remains?|will (?:stay|remain|be kept)) on hold until you\b"),
    ("threat", "threat", 1.0, r"\b(?:calls|e-?mails|messages|complaints|letters|behaviou?r|conduct|language|tone|reviews|posts)\b[^.!?]{0,40}?\bwill be taken into account when (?:your|the)\b[^.!?]{0,40}?\b(?:reviewed|assessed|considered|decided)\b"),
    ("threat", "threat", 1.0, r"\b(?:remember|forget|bear in mind) who (?:decides|signs off|approves|controls|holds)\b"),
    ("threat", "threat", 1.0, r"\b(?:people|patients|customers|tenants|residents|those|anyone|parents) who (?:complain|write|call|chase|moan)\b[^.!?]{0,40}?\b(?:find|discover|notice)\b"),
    # dismissal
    ("dismissal", "dismissal", 1.0, r"\bpeople with (?:actual|real|genuine|proper) (?:problems|issues|complaints)\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:do not|not|no longer) (?:intend|propose|plan|going|prepared|willing) to (?:spend|waste|devote) (?:any )?(?:further|more|any more|another) (?:time|minute|second|hour|effort)\b"),
    ("dismissal", "dismissal", 0.75, r"\b(?:do not|no longer) (?:intend|propose|plan) to (?:engage|respond|reply|correspond)\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:is|are) of no interest to\b|\bregard as (?:being )?of no (?:consequence|importance|interest|relevance)\b"),
    ("dismissal", "dismissal", 1.0, r"\bwhen (?:we|i) have nothing (?:more important|better|else) to do\b"),
    ("dismissal", "dismissal", 0.75, r"\b(?:skimmed|glanced at|flicked through) your\b"),
    ("dismissal", "dismissal", 0.75, r"\b(?:will not|not) be looking at (?:it|this|that|your \w+) again\b|\bnothing in it changes\b"),
    ("dismissal", "dismissal", 0.75, r"\bnot the end of the world\b|\b(?:get to|get round to|look at) it (?:at some point|eventually|one day|some time)\b"),
    ("dismissal", "dismissal", 0.75, r"\bit is (?:a|an|just a|only a) [\w$\u00a3 -]{2,25}, not (?:a|an|the)\b|^look, it is (?:a|an|just a|only a)\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:not going to|will not) (?:spend|waste) (?:my|our|the|an|a|any) (?:whole )?(?:afternoon|morning|day|evening|week|hour|energy)\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:not|none of (?:it|them|this|that) (?:is|are)) my (?:problem|concern)\b(?! to\b)"),
    ("dismissal", "dismissal", 0.75, r"\b(?:all )?very interesting,? but\b|\bnot (?:an )?important thing\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:do not|never) (?:write|e-?mail|call|contact|ring|message) (?:to )?(?:us|me) (?:about|regarding|over) [\w' ]{1,20}? again\b"),
    ("dismissal", "dismissal", 0.75, r"\b(?:i|we) can not be expected to\b|\blike every(?:body|one) else[.!]"),
    ("dismissal", "dismissal", 1.0, r"\b(?:you are|ur|you're|u r) not (?:special|that special|that important|the only one)\b"),
    ("dismissal", "dismissal", 1.0, r"\bnever (?:hurt|killed|harmed) any(?:one|body)\b"),
    ("dismissal", "dismissal", 0.75, r"\b(?:do not|don't) have (?:the )?time to (?:go through|read|answer|deal with|respond to)\b"),
    ("dismissal", "dismissal", 1.0, r"\bthe answer to (?:all of (?:them|these|it)|every one of them|each of them) is no\b"),
    ("dismissal", "dismissal", 1.0, r"\b(?:ranting|moaning|whinging|whining|banging on|going on) (?:again|on)\b|\bon about\b[^.!?]{0,30}?\bagain\b|\btalk (?:himself|herself|themselves|yourself) out\b"),
    ("dismissal", "dismissal", 1.0, r"^(?:yeah|yep|yup|ok|okay|right),? noted[.!]"),
    # insult: the reader (or their home, family) judged; masked swearing
    ("insult", "insult", 1.0, r"\b(?:your (?:[\w']+ ){0,2}?(?:flat|house|home|room|garden|property|kitchen|bedroom|bathroom|place|car|yard|office|desk)|the (?:flat|house|property|place|room)|it|this place) (?:is|was|looks like|resembles|is like) (?:like )?an? (?:absolute |total |complete |utter |real )?(?:pigsty|pig sty|tip|dump|hovel|bomb site|squat|cesspit|sty|rubbish tip)\b|\bpigsty\b"),
    ("insult", "insult", 1.0, r"\b(?:a|like a) (?:bunch|pack|load|lot|gang|flock) of (?:vultures|sharks|parasites|animals|idiots|clowns|hyenas|leeches|scroungers|liars|chancers|crooks|thieves)\b"),
    ("insult", "insult", 1.0, r"\b(?:a|real|right) (?:real |right )?piece of work\b|\bserial (?:moaner|complainer|whinger|pest)\b"),
    ("insult", "insult", 1.0, r"\bnothing short of (?:thuggish|abusive|vile|aggressive|intimidating|contemptible|feral)\b|\bthat of an? (?:spoilt |spoiled |naughty |sulky |petulant )?(?:child|toddler|brat)\b"),
    ("insult", "insult", 1.0, r"\byou (?:just |simply |clearly |obviously )?(?:have not|do not have|have no|have not got) (?:got )?(?:a|any) clue\b"),
    ("insult", "insult", 1.0, r"\byou are (?:an? )?(?:very |really |such an? |an? )?(?:bad|terrible|awful|poor|negligent|neglectful|lousy|rubbish) (?:mother|father|parent|mum|dad|tenant|neighbour|customer|person|driver|owner|carer)\b"),
    ("insult", "insult", 1.0, r"\b(?:total|complete|utter|absolute|real) (?:headcase|head case|nutter|nutcase|basket case|nightmare|liability)\b|\b(?:headcase|nutcase|nutter)\b"),
    ("profanity", "profanity", 1.0, r"(?<![\w*@.])(?:f\*+(?:k|ck|cking|king|ing|in|ed|er|s)?|sh\*+t[a-z]*|s\*\*t|b\*+(?:ch|st|rd|llocks)[a-z]*|c\*+t|p\*+ss[a-z]*|tw\*t|w\*+k[a-z]*)(?![\w*@])|\bthe a\*{2,}(?![\w*@])|\bwhat the [a-z]\*+(?![\w*@])|\b(?:ffs|christ alive|christ almighty|for god'?s sake|what the hell)\b"),
)

# Reported speech and apology: "I'm sorry you felt you were treated like a child",
# "you said our engineer was rude" quote the reader or own up, so the grammar stays quiet
# in that sentence (the phrase list and structural cues still apply). "Sorry, but ..." is no apology.
GUARD = re.compile(
    r"\b(?:(?<!oh, i am )(?<!oh i am )(?<!we are so )(?<!i am so )sorry(?!,? (?:but|i must have|did i miss|i did not realise)\b)|(?<!oh, i do )(?<!oh i do )apologi[sz]e|apologies|you felt|made you feel|you feel|"
    r"you (?:have )?said (?:that|our|the|we|it|your|he|she|they)|you told (?:us|me) (?:that|our|we|about)|you described|you mentioned|you were called|called you|you were told|"
    r"in your (?:e-?mail|letter|words|complaint)|you (?:say|claim|claimed) (?:that|you|we|our))\b")
UNGUARDED = frozenset({"profanity", "threat"})



@dataclass(frozen=True)
class Branches:
    """A big alternation searched one branch at a time, and only the branches whose literals a
    sentence holds (tone.ToneLexicon finds those in its one literal scan). Why: TRIGGER and
    WITHDRAW have 28 and 54 branches; searched whole they cost most of a sentence's cue time."""

    sources: tuple[str, ...]
    needs: tuple[frozenset[str], ...]  # per branch; empty = always search
    whole_source: str = ""  # the alternation in one regex (what search must agree with; tests)

    @classmethod
    def of(cls, slot: str, wrap: str) -> "Branches":
        sources = tuple(wrap.format(b) for b in split_alternatives(SLOTS[slot]))
        return cls(sources, tuple(required_literals(p) or frozenset() for p in sources),
                   wrap.format(expand("{" + slot + "}")))

    def whole(self) -> re.Pattern:
        """The alternation compiled as one regex; the desk never searches it (see search)."""
        return re.compile(self.whole_source)

    @property
    def parts(self) -> tuple[re.Pattern, ...]:
        """The branches compiled, on first use (not at import: the desk's start-up does not need them)."""
        parts = self.__dict__.get("_parts")
        if parts is None:
            parts = tuple(re.compile(p) for p in self.sources)
            object.__setattr__(self, "_parts", parts)
        return parts

    def search(self, text: str, chosen: Iterable[int]) -> Optional[re.Match]:
        """What the whole alternation's search finds, given `chosen` (ascending) includes every branch
        that can match: the leftmost match, and at one position the earliest branch."""
        best, parts = None, self.parts
        for i in chosen:
            m = parts[i].search(text)
            if m is not None and (best is None or m.start() < best.start()):
                best = m
        return best


# Threat pairs: the two halves of "do X again and I will stop helping".
TRIGGER_BRANCHES = Branches.of("trigger", "(?:{})")
WITHDRAW_BRANCHES = Branches.of("withdraw", r"\b(?:{})\b")


def compile_rules() -> tuple[GrammarRule, ...]:
    out = []
    for family, label, strength, p in _RULES + _RULES_V3:
        rx = re.compile(expand(p))
        out.append(GrammarRule(family, label, strength, rx, required_literals(rx.pattern) or frozenset()))
    return tuple(out)


RULES = compile_rules()
FAMILIES = ("sarcasm", "condescension", "blame", "threat", "dismissal", "insult", "profanity")
