"""Open Referral HSDS 3.0 views of our listings, shared by the export and the /hsds API.

`vocabulary`: our own taxonomy (categories and facets as HSDS taxonomy terms) and the
deterministic ids that tie HSDS objects to listings; `objects`: a listing as HSDS objects.
"""
