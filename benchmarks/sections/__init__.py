"""The benchmark's sections, one module each; ``benchmarks/run.py`` calls them in order.

Each section measures against the :class:`_common.Bench` it is given and appends its rows
(and notes) to it. ``requests``, ``cold pull`` and ``warm pull`` share one user's pulls: the
cold pull's cache is what the warm pull reads.
"""
