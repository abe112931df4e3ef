"""Search by meaning: passages of documents as vectors of a multilingual
sentence encoder whose weights ship inside a pip package (``encoder.py``),
stored in the catalog database and kept in step with the change log
(``follower.py``, in two passes: the first passages, then the rest), searched
in two stages: the signs of every passage held in memory, then the
candidates' int8 vectors read from the database and scored exactly
(``vectors.py``)."""
