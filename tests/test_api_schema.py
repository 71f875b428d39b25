"""schemathesis over the OpenAPI schema: generated requests of every shape, and never a server error."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from index.embed import HashingEmbedder
from index.store import build_index
from rag.api import PipelineHolder, create_app
from rag.settings import BUNDLED_CONTRACTS, Settings


def _app():  # type: ignore[no-untyped-def]
    import atexit
    import shutil
    import tempfile
    from pathlib import Path

    index_dir = Path(tempfile.mkdtemp(prefix="rag-schema-"))
    atexit.register(shutil.rmtree, index_dir, True)
    build_index(BUNDLED_CONTRACTS, index_dir, HashingEmbedder())
    config = Settings(index_dir=index_dir, embed_model="hashing")
    holder = PipelineHolder(config)
    holder.load()  # loaded before schemathesis calls the app, whether or not it runs the lifespan
    return create_app(config, holder)


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_server_fail(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[schemathesis.checks.not_a_server_error])
