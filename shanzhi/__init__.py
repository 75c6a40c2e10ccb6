"""Shanzhi (善治): rural governance for Chinese county governments."""

__version__ = "0.1.0"
