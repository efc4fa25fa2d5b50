"""Evidence a bundle carries about itself: signatures over its digest and RFC 3161 timestamp tokens.

    tsa.py         ask a timestamp authority for a token over some bytes; check a token offline
"""
