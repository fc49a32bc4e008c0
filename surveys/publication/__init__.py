"""Everything published to researchers, all under the small-cell rule: the privacy surface.

The rule itself is ``analysis.disclosure`` (pure, one implementation for every
surface). ``cube`` protects the survey's count cube with it, and every
``aggregates`` table is read from that cube; ``filters`` reads a request's
selection; ``estimates`` and ``reports`` run ``analysis`` on cell means and
publish counts through the same rule; ``exports`` and ``codebook`` write
files; ``downloads`` builds and audits each download.
"""
