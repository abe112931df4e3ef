"""finweek-desktop: an offline catalog of the Shizimen Finance Week documents."""

__version__ = "0.1.0"
