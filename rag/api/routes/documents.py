from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from index.durable import current_build
from index.load import LoadError
from index.provider_manifest import ManifestError
from index.store import IndexBusy
from index.upload import MAX_NAME, AlreadyLoaded, UploadError, add_contract, check_upload, remove_contract
from rag.api.deps import Config, Keyed, Live, known_document
from rag.api.schemas import ClauseOut, DocumentDetailOut, DocumentOut, HeadingOut, UploadedOut
from rag.pipeline import build
from rag.settings import Settings

router = APIRouter(tags=["contracts"])


@router.get("/v1/documents", response_model=list[DocumentOut])
def documents(_: Keyed, p: Live) -> list[DocumentOut]:
    return [DocumentOut(**p.document_summary(d)) for d in p.index.documents]


@router.get(
    "/v1/documents/{doc_id}",
    response_model=DocumentDetailOut,
    responses={404: {"description": "unknown document"}},
)
def document(doc_id: str, _: Keyed, p: Live) -> DocumentDetailOut:
    """A contract's text (offsets index it) and its clause tree (headings and clauses)."""
    doc_id = known_document(p, doc_id)
    return DocumentDetailOut(
        **p.document_summary(doc_id),
        text=p.index.documents[doc_id].text,
        headings=[HeadingOut(**h.to_dict()) for h in p.headings_of(doc_id)],
        clause_list=[ClauseOut(**c.to_dict()) for c in p.clauses_of(doc_id)],
    )


@router.get(
    "/v1/clauses/{doc_id}/{clause_id}",
    response_model=ClauseOut,
    responses={404: {"description": "unknown document or clause"}},
)
def clause(doc_id: str, clause_id: str, _: Keyed, p: Live) -> ClauseOut:
    """One clause with its sentences and their offsets."""
    found = p.index.clause(known_document(p, doc_id), clause_id)
    if found is None:
        raise HTTPException(404, f"unknown clause {clause_id!r} in {doc_id}")
    return ClauseOut(**found.to_dict())


def _writable(config: Settings) -> None:
    if not config.api_keys:  # a change to the corpus needs a caller who is known
        raise HTTPException(403, "adding or removing contracts needs API keys: set RAG_API_KEYS")


async def _rebuild(config: Settings, p: Live) -> str | None:
    try:
        await run_in_threadpool(build, config, p.embedder, progress=False)
    except IndexBusy as exc:
        raise HTTPException(
            503, f"the file was saved but the index is busy, run `rag index`: {exc}"
        ) from None
    return current_build(config.index_dir)


@router.post(
    "/v1/documents",
    response_model=UploadedOut,
    status_code=201,
    responses={
        403: {"description": "no API keys are configured, so the corpus cannot be changed"},
        409: {"description": "a contract of that name is already loaded"},
        413: {"description": "the file is over RAG_MAX_FILE_BYTES"},
        422: {"description": "the file name or the file is not a contract the loader can read"},
    },
)
async def upload(
    request: Request,
    filename: Annotated[str, Query(min_length=1, max_length=MAX_NAME, description="e.g. 晨星.txt")],
    _: Keyed,
    config: Config,
    p: Live,
) -> UploadedOut:
    """Add a contract: the request body is the file (txt, md, docx or pdf), checked by the loader ``rag
    index`` uses, written into the contracts folder under its own name, and the index rebuilt."""
    _writable(config)
    data = await request.body()
    try:
        checked = check_upload(filename, data, config.max_file_bytes)
        add_contract(config.contracts_dir, checked, data)
    except AlreadyLoaded as exc:
        raise HTTPException(409, str(exc)) from None
    except (UploadError, ManifestError) as exc:
        raise HTTPException(422, str(exc)) from None
    found = checked.provider
    try:
        built = await _rebuild(config, p)
    except LoadError as exc:  # the folder cannot be indexed with it: take it out again, keep the index
        remove_contract(config.contracts_dir, checked.name)
        raise HTTPException(
            422, f"{checked.name} was not added, the index could not be rebuilt: {exc}"
        ) from None
    return UploadedOut(
        doc_id=checked.name,
        provider=found.name,
        entity=found.entity,
        aliases=list(found.aliases),
        build=built,
    )


@router.delete(
    "/v1/documents/{doc_id}",
    status_code=204,
    responses={403: {"description": "no API keys are configured"}, 404: {"description": "unknown document"}},
)
async def remove(doc_id: str, _: Keyed, config: Config, p: Live) -> Response:
    """Remove a contract from the contracts folder (and its providers.toml entry) and rebuild the index."""
    _writable(config)
    try:
        remove_contract(config.contracts_dir, doc_id)
    except UploadError as exc:
        raise HTTPException(404, str(exc)) from None
    except ManifestError as exc:
        raise HTTPException(422, str(exc)) from None
    try:
        await _rebuild(config, p)
    except LoadError as exc:  # e.g. the last contract removed: the server keeps its current index
        raise HTTPException(422, f"{doc_id} was removed but the index could not be rebuilt: {exc}") from None
    return Response(status_code=204)
