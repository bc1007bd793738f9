"""clopos — a toolkit for the Clopos POS Open API.

Parts: ``clopos.server`` (a faithful, persistent Open API server), ``clopos.client``
(typed SDK), ``clopos.unified`` (Apideck-style unified POS API) and the ``clopos`` CLI.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
