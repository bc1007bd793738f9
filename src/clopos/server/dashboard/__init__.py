"""The till dashboard at /till: a server-rendered page for the person playing the POS.

``router`` is mounted at ``/till`` by ``clopos.server.app``; see ``docs/till-dashboard.md``.
"""

from clopos.server.dashboard.routes import router

__all__ = ["router"]
