"""The till dashboard at /till: a server-rendered page for the person playing the POS."""
