"""The llama-index face of the project: a BaseRetriever and a BaseQueryEngine over the fakes."""

from __future__ import annotations

from conftest import SEEDS
from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import NodeWithScore

from rag import ingest
from rag.llamaindex import NewsQueryEngine, NewsRetriever, ProjectLLM

GIFT = "Quel cadeau Poutine a-t-il offert à Kim ? gant combinaison spatiale"


def test_retriever_returns_scored_nodes_with_article_metadata(seeded):
    retriever = NewsRetriever(seeded, k=3)
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve(GIFT)
    assert len(nodes) == 3 and all(isinstance(n, NodeWithScore) for n in nodes)
    first = nodes[0]
    assert first.node.node_id == f"{first.node.metadata['article_id']}:{first.node.metadata['n']}"
    assert {"article_id", "title", "date", "also_in"} <= set(first.node.metadata)
    assert first.node.metadata["article_id"] == "004_e36b65c31de3faa9" and "gant" in first.node.get_content()
    assert "article_hash" not in first.node.get_content(metadata_mode="llm")  # bookkeeping stays out of prompts
    assert "date_start" not in first.node.get_content(metadata_mode="llm")


def test_retriever_takes_filters(seeded):
    from rag import Filters

    nodes = NewsRetriever(seeded, k=3, filters=Filters.parse(["002_7b9975ba05c54ee4"])).retrieve(GIFT)
    assert len(nodes) == 3 and {n.node.metadata["article_id"] for n in nodes} == {"002_7b9975ba05c54ee4"}


def test_query_engine_response_carries_the_checked_citations(make_services):
    services = make_services(script=["Poutine a offert à Kim un gant provenant d'une combinaison spatiale [3]."])
    ingest(services, [SEEDS], progress=False)
    engine = NewsQueryEngine(services)
    assert isinstance(engine, BaseQueryEngine)
    response = engine.query(GIFT)
    assert "gant" in str(response) and not response.metadata["abstained"]
    (node,) = response.source_nodes  # the passage that states it, whatever number the model wrote
    assert "gant provenant" in node.node.get_content()
    assert node.node.metadata["support"][0]["text"] in node.node.get_content()
    assert response.metadata["claims"][0]["kept"] is True


def test_query_engine_abstention_has_no_sources(make_services):
    services = make_services(script=["Je ne sais pas."])
    ingest(services, [SEEDS], progress=False)
    response = NewsQueryEngine(services).query("Comment s'appelle le conducteur du train ?")
    assert response.source_nodes == [] and response.metadata["abstained"] and response.metadata["abstain_code"] == "declined"


def test_retriever_plugs_into_a_stock_llama_index_query_engine(seeded):
    llm = ProjectLLM(seeded.llm, context_window=2048, num_output=64)
    engine = RetrieverQueryEngine.from_args(NewsRetriever(seeded, k=2), llm=llm)
    response = engine.query(GIFT)
    assert len(response.source_nodes) == 2 and str(response)
