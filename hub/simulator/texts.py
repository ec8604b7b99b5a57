"""What leads and agents write: SMS, e-mail, notes and task titles, by latent state.

Inbound wording depends on the lead's latent state (a HOT buyer asks to see a house, a browsing one
says "just looking"), so message text carries signal, as in real conversations. Opt-out wording
follows COMPLIANCE.md: carrier keywords (GHL sets SMS DND for these) and free-text intents that a
human has to recognise (GHL does not act on them, which is why the hub's STOP guard exists).
"""

from __future__ import annotations

# Keywords carriers and GHL treat as an opt-out (COMPLIANCE.md guard 3), in the casing people use.
STOP_KEYWORDS = (
    "STOP",
    "Stop",
    "stop",
    "STOPALL",
    "UNSUBSCRIBE",
    "Unsubscribe",
    "CANCEL",
    "END",
    "QUIT",
    "Quit",
    "REVOKE",
    "OPTOUT",
    "Stop.",
)
# Clear free-text opt-out intents; no automatic DND follows them.
STOP_PHRASES = (
    "stop texting me",
    "Please stop texting me",
    "Remove me from your list",
    "wrong number",
    "Wrong number, stop",
    "not interested, stop messaging me",
    "Take me off this list please",
    "Do not text this number again",
)
START_KEYWORDS = ("START", "Start", "UNSTOP", "SUBSCRIBE")

BUYER_SMS = (
    # COLD
    (
        "Who is this?",
        "Not right now, thanks",
        "We decided to wait",
        "Maybe next year",
        "Already working with someone, thanks",
    ),
    # BROWSING
    (
        "Just looking for now",
        "Thanks, I'll take a look",
        "Still early for us, just browsing",
        "What's the market like in {area}?",
        "Thanks! Will let you know",
        "ok thanks 👍",
        "Are prices coming down at all?",
        "HELP",
    ),
    # ACTIVE
    (
        "Is {address} still available?",
        "Can you send me more like {address}?",
        "What are the HOA fees on {address}?",
        "We liked {address}, any others in {area}?",
        "Is {address} in a good school district?",
        "How long has {address} been on the market?",
        "Could we see a couple of homes in {area} next week?",
        "What would the taxes be on {address}?",
    ),
    # HOT
    (
        "Can we see {address} this Saturday?",
        "We're pre-approved for {budget_k}k, ready to move",
        "We'd like to make an offer on {address}",
        "Can you send comps for {address}? Thinking about offering",
        "Our lease ends next month, we need to find something soon",
        "Can we tour {address} tomorrow after 5?",
        "Lender says we're good up to {budget_k}k. What's next?",
    ),
)
SELLER_SMS = (
    ("Not selling right now", "Who is this?", "We're staying put for now", "Maybe in a year or two"),
    (
        "Just curious what homes in {area} are going for",
        "What's my place worth roughly?",
        "Thanks, just researching",
        "How's the market in {area}?",
        "ok",
    ),
    (
        "What would you list my house at?",
        "How long are homes in {area} taking to sell?",
        "What's your commission?",
        "Can you send me recent sales near me?",
        "Should we fix the roof before listing?",
    ),
    (
        "We want to list next month, can you come by?",
        "Can you do a walkthrough this week?",
        "We're ready to sign, what do you need from us?",
        "We found our next place, need to sell fast",
    ),
)
EMAIL_REPLIES = (
    ("<div>Please remove me from these emails.</div>", "<div>Not interested at this time.</div>"),
    (
        "<div>Thanks for the listings, we're still early in the process.</div>",
        "<div>Got it, thank you!</div>",
        "<div>Could you send a few more in {area}?</div>",
    ),
    (
        "<div>We really like {address}. Is it still available?</div>",
        "<div>Could you tell us more about {address}? What's the HOA?</div>",
        "<div>Thanks {agent_first}, can we set up a time to look at a few homes?</div>",
    ),
    (
        "<div>We'd like to see {address} as soon as possible.</div>",
        "<div>Attached is our pre-approval letter for {budget_k}k. Let's talk offers.</div>",
        "<div>{agent_first}, we're ready. When can we go?</div>",
    ),
)

FIRST_TOUCH = (
    "Hi {first}, this is {agent_first} with {brokerage}. Saw your request about homes in {area} — "
    "what's your timeline? Reply STOP to opt out.",
    "Hey {first}! {agent_first} from {brokerage} here. Are you looking to buy soon or just browsing? "
    "Reply STOP to unsubscribe.",
    "Hi {first}, thanks for reaching out to {brokerage}. I'm {agent_first}, happy to help. "
    "When's a good time to chat? Reply STOP to opt out.",
)
AUTORESPONDER = (
    "Thanks for contacting {brokerage}! An agent will reach out shortly. Reply STOP to opt out.",
    "{brokerage}: we got your request and {agent_first} will text you soon. Msg&data rates may apply. "
    "Reply STOP to opt out.",
)
FOLLOW_UPS = (
    "Hi {first}, just checking in — still looking in {area}?",
    "{first}, a new listing just came up in {area} that fits what you described. Want the link?",
    "Hey {first}, any questions on the homes I sent over?",
    "Hi {first}, happy to set up showings this weekend if you're interested.",
    "{first}, rates moved a bit this week — want me to connect you with a lender?",
    "Hi {first}, are you still thinking about making a move this year?",
)
AGENT_REPLIES = (
    "Great question! Let me check and get right back to you.",
    "Yes it is! Want to see it this week?",
    "Absolutely, I'll send a few more options tonight.",
    "Sure thing — does Saturday morning work?",
    "Thanks {first}! I'll put together some comps for you.",
    "Sounds good, talk soon!",
)
DRIP_SUBJECTS = (
    "New listings in {area}",
    "Your weekly home report",
    "Homes you might like in {area}",
    "Market update: {area}",
    "Just listed near you",
)
CALL_NOTES = (
    "Spoke with {who}: pre-approved around {budget_k}k, wants {beds} beds in {area}. Timeline {timeline}.",
    "Talked to {who}, still early, will follow up in a few weeks.",
    "{who} asked about schools in {area}; sending listings tonight.",
    "Call with {who}: motivated, lease ends soon. Wants to tour this week.",
    "{who} is interviewing other agents. Follow up with market report.",
)
VOICEMAIL_NOTES = ("Left voicemail for {who}.", "No answer, left VM.", "Called {who}, straight to voicemail.")
SHOWING_NOTES = (
    "Showing feedback: {who} liked the layout, kitchen too small.",
    "Showing feedback: loved {address}, thinking about an offer.",
    "Showing feedback: not a fit, too close to the highway.",
)
TASK_TITLES = (
    "Call {who} back",
    "Send listings to {who}",
    "Follow up with {who} after showing",
    "Send CMA to {who}",
    "Check in with {who}",
)


def words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of `text` (compact name lists)."""
    return tuple(text.split())


def fill(template: str, values: dict[str, str]) -> str:
    """Substitute `{name}` placeholders (templates only use names `values` provides)."""
    return template.format_map(values)
