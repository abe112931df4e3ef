"""Search by meaning: passages of documents as vectors of a multilingual
sentence encoder whose weights ship inside a pip package (``encoder.py``),
stored in the catalog database and kept in step with the change log
(``follower.py``), searched exactly with numpy over int8 vectors held in
memory (``vectors.py``)."""
