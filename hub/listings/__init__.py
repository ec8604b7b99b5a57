"""Listings: import feeds (CSV / JSON, RESO-like), buyers' stated preferences, stored matches and the
listing alerts sent from them (docs/listings.md). Ranking itself is ml.matching's; tasks/
listing_matching.py connects the two.

Import the modules (`hub.listings.importer`, `.matches`, `.preferences`, ...) directly: the package
itself imports nothing, so the API's webhook process does not load pandas to serve an import route.
"""
