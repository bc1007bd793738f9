"""Routes for receipts (being written)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
# Served only under /open-api/v2 (close, stock operations: spec §12.8, §12.10).
v2_router = APIRouter()
# Served only under /open-api (create, PUT, DELETE: spec §12.5, §12.7, §12.9).
v1_router = APIRouter()
