from __future__ import annotations

from fastapi import APIRouter

from rag.api.deps import Keyed, Live
from rag.api.schemas import FactOut, ProviderOut

router = APIRouter()


@router.get("/v1/providers", response_model=list[ProviderOut], tags=["contracts"])
def providers(_: Keyed, p: Live) -> list[ProviderOut]:
    """Provider, legal entity and aliases of every contract."""
    return [ProviderOut(**provider.to_dict()) for provider in p.index.providers.values()]


@router.get("/v1/facts", response_model=list[FactOut], tags=["answers"])
def facts(_: Keyed, p: Live) -> list[FactOut]:
    """The provider × attribute table; a cell without a citation is 未约定 (not stated)."""
    return [FactOut(**row) for row in p.table.to_dicts()]
