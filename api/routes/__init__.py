"""HTTP routes: each parses a request, calls ``geo`` and serialises the answer."""
