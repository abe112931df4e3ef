"""A catalog shared by a team on a PostgreSQL server.

``setup.py`` migrates the schema and loads the seed once per team catalog
(one desktop at a time, under a server-side advisory lock) and gives the
catalog its identity; ``listener.py`` wakes a desktop's followers when a
colleague commits (LISTEN/NOTIFY); ``files.py`` keeps file content in the
team database, with a local cache by hash; ``upkeep.py`` prunes the change
log to what every desktop applied and purges the trash, once a day per team;
``team.py`` is the service part (status, push). Nothing here imports Qt.
"""
