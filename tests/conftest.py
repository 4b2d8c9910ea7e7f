"""Shared fixtures: tiny frames built in code, the sample run, and the read-only shared data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import mapper

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the test with a reason when it is not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{'/'.join(parts)} not found beside the checkout (../shared is optional)")
    return path


@pytest.fixture(autouse=True, scope="session")
def _isolated_data_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep a developer's own imported layers and overrides out of the tests."""
    mapper.settings.data_folder = tmp_path_factory.mktemp("mapper-data")
    mapper.settings.overrides_file = None


@pytest.fixture
def make_articles() -> Callable[..., pd.DataFrame]:
    """Build an articles frame from ``(published, text)`` pairs."""

    def make(*items: tuple[str, str], url: str = "https://example.test/a") -> pd.DataFrame:
        return pd.DataFrame(
            {
                "url": [f"{url}{i}" for i in range(len(items))],
                "source": "example.test",
                "published": pd.to_datetime([p for p, _ in items], utc=True),
                "title": "",
                "text": [t for _, t in items],
                "captions": "",
                "path": "",
            },
            index=pd.Index([f"a{i}" for i in range(len(items))], name="article_id"),
        )

    return make


@pytest.fixture
def claims_of(make_articles: Callable[..., pd.DataFrame]) -> Callable[[str, str], pd.DataFrame]:
    """Run mentions and claims on one text published on a date."""

    def run(published: str, text: str) -> pd.DataFrame:
        articles = make_articles((published, text))
        found = mapper.mentions_from_articles(articles)
        return mapper.claims_from_articles(articles, found)

    return run


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> mapper.RunResult:
    """The whole pipeline on the bundled sample, written (self-contained) to a temp folder."""
    out = tmp_path_factory.mktemp("sample_outputs")
    return mapper.run(out=out, self_contained=True)
