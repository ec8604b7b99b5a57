"""What a listing alert says: a short numbered list for SMS, one card per listing for email.

The send path adds what compliance needs (business name and STOP wording on a first text, the
unsubscribe link and postal address on email); this module only lays out the listings. Listing text
comes from the feed, so every value is HTML-escaped in the email.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from hub.listings.alerts import AlertListing

LISTING_ID_PLACEHOLDER = "{listing_id}"
DEFAULT_INTRO = "New homes that match what you're looking for:"


def price(amount: float | None) -> str:
    return f"${amount:,.0f}" if amount is not None else "price on request"


def place(listing: AlertListing) -> str:
    parts = [p for p in (listing.address, listing.city) if p]
    return ", ".join(parts) if parts else f"Listing {listing.listing_id}"


def beds_baths(listing: AlertListing) -> str:
    parts = []
    if listing.bedrooms is not None:
        parts.append(f"{listing.bedrooms} bd")
    if listing.bathrooms is not None:
        parts.append(f"{listing.bathrooms:g} ba")
    return "/".join(parts)


def size(listing: AlertListing) -> str:
    return f"{listing.living_area_sqft:,} sq ft" if listing.living_area_sqft else ""


def link(listing_url: str | None, listing_id: str) -> str | None:
    return listing_url.replace(LISTING_ID_PLACEHOLDER, listing_id) if listing_url else None


def sms_body(listings: Sequence[AlertListing], *, intro: str, listing_url: str | None) -> str:
    """ "New homes ...:\n1) 12 Oak St, Austin - $450,000, 3 bd/2 ba https://…\nReply to see one." """
    lines = [intro.strip() or DEFAULT_INTRO]
    for number, listing in enumerate(listings, start=1):
        line = f"{number}) {place(listing)} - {price(listing.list_price)}"
        if beds_baths(listing):
            line += f", {beds_baths(listing)}"
        url = link(listing_url, listing.listing_id)
        if url:
            line += f" {url}"
        lines.append(line)
    lines.append("Reply to set up a showing.")
    return "\n".join(lines)


def email_subject(listings: Sequence[AlertListing]) -> str:
    if len(listings) == 1:
        return f"New listing for you: {place(listings[0])}"
    return f"{len(listings)} new homes that match your search"


def email_html(listings: Sequence[AlertListing], *, intro: str, listing_url: str | None) -> str:
    cards = [_card(listing, listing_url) for listing in listings]
    head = Markup("<p>{}</p>").format(intro.strip() or DEFAULT_INTRO)
    return str(head + Markup("").join(cards) + Markup("<p>Reply to this email to set up a showing.</p>"))


def _card(listing: AlertListing, listing_url: str | None) -> Markup:
    details = [beds_baths(listing), size(listing), listing.property_type or ""]
    reasons = Markup("").join(Markup("<li>{}</li>").format(reason) for reason in listing.reasons[:3])
    body = Markup(
        '<div style="border:1px solid #ddd;border-radius:6px;padding:12px;margin:12px 0">'
        '<div style="font-size:18px;font-weight:bold">{price}</div>'
        "<div>{place}</div><div>{details}</div>"
    ).format(
        price=price(listing.list_price), place=place(listing), details=" · ".join(d for d in details if d)
    )
    if listing.features:
        body += Markup("<div>{}</div>").format(", ".join(listing.features[:5]))
    if reasons:
        body += Markup("<ul>{}</ul>").format(reasons)
    url = link(listing_url, listing.listing_id)
    if url:
        body += Markup('<a href="{}">View this home</a>').format(url)
    return body + Markup("</div>")
