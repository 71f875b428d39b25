"""A real Milvus server (the C++ Milvus 2.3 standalone that the ``milvus`` package ships) on 127.0.0.1:
the network path's errors. Milvus 2.3 predates sparse vectors and ``hybrid_search`` (2.4), so the backend
refuses it in one line; searching over the network is proved against the Milvus Lite gRPC server in
test_milvus.py. The tests talk to it on 127.0.0.1 only (Milvus 2.3 itself listens on every interface)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from index.milvus_store import MilvusConfig, MilvusError, connect

milvus = pytest.importorskip("milvus", reason="the dev extra's `milvus` package ships the Milvus server")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Milvus standalone with authentication on (user root, password Milvus), stopped after the tests."""
    instance = milvus.MilvusServer()
    instance.config.set("authorization_enabled", True)
    for component in ("rootCoord", "proxy", "queryCoord", "queryNode", "indexNode", "dataCoord", "dataNode"):
        instance.config.set(f"{component}.ip", "127.0.0.1")  # advertise loopback, not the first interface
    instance.set_base_dir(str(tmp_path_factory.mktemp("milvus-server")))
    instance.start()  # waits until the server answers
    try:
        yield f"http://127.0.0.1:{instance.listen_port}"
    finally:
        instance.stop()


@pytest.mark.parametrize("token", ["", "root:wrong-password"])
def test_a_wrong_or_missing_token_is_one_line(server: str, token: str) -> None:
    with pytest.raises(MilvusError, match=r"refused the credentials \(RAG_MILVUS_TOKEN\)") as caught:
        connect(MilvusConfig(server, token=token, timeout=5))
    assert "\n" not in str(caught.value)


def test_a_server_older_than_2_4_is_refused_with_the_reason(server: str) -> None:
    with pytest.raises(MilvusError, match=r"is v2\.3\.\d+.*needs Milvus 2\.4 or newer") as caught:
        connect(MilvusConfig(server, token="root:Milvus", timeout=5))
    assert "\n" not in str(caught.value)


def test_the_server_is_the_real_milvus(server: str) -> None:
    from pymilvus import MilvusClient

    client = MilvusClient(uri=server, token="root:Milvus", timeout=5)
    assert client.get_server_version().startswith("v2.3")
    client.close()
