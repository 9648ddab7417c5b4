"""The page guard below the command line: Azure's nextLink lists, the Jobs tab's older pages."""

from __future__ import annotations

import httpx2
import pytest

from ftui.provider.azure_deploy import ControlPlane, DeployError, Resource
from ftui.session.jobs import JobsModel
from tests.provider.test_azure_deploy import deployment

RESOURCE = Resource("sub", "rg", "res", "https://arm.test")


def plane(pages: dict[str, dict]) -> ControlPlane:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, json=pages[request.url.params.get("page", "1")])

    http = httpx2.AsyncClient(transport=httpx2.MockTransport(handler))
    return ControlPlane(RESOURCE, lambda: ("tok", None), http=http)


LINK = RESOURCE.deployments_url + "?page="


@pytest.mark.parametrize(
    "pages",
    [
        {"1": {"value": [deployment("a", "m", "Succeeded")], "nextLink": LINK + "1"}},  # links to itself
        {
            "1": {"value": [deployment("a", "m", "Succeeded")], "nextLink": LINK + "2"},
            "2": {"value": [deployment("b", "m", "Succeeded")], "nextLink": LINK + "1"},  # back to the first
        },
    ],
)
async def test_deployments_list_stops_when_next_link_loops(pages: dict) -> None:
    p = plane(pages)
    with pytest.raises(DeployError) as caught:
        await p.list_deployments()
    await p.aclose()
    assert "Listing deployments stopped after" in str(caught.value) and caught.value.exit_code == 3


async def test_deployments_list_follows_next_links_to_the_end() -> None:
    pages = {
        "1": {"value": [deployment("a", "m", "Succeeded")], "nextLink": LINK + "2"},
        "2": {"value": [deployment("b", "m", "Creating")]},
    }
    p = plane(pages)
    assert [d.name for d in await p.list_deployments()] == ["a", "b"]
    await p.aclose()


class Job:
    def __init__(self, job_id: str) -> None:
        self.id, self.status, self.fine_tuned_model = job_id, "running", None


def test_an_older_page_with_nothing_new_stops_asking_for_more() -> None:
    model = JobsModel()
    assert model.listed([Job("a"), Job("b")], True, first=True) is False
    assert model.listed([Job("c")], True, first=False) is False and model.more
    assert model.listed([Job("a"), Job("c")], True, first=False) is True  # the server repeats itself
    assert model.more is False and model.order == ["a", "b", "c"]
    model.listed([Job("a"), Job("b")], True, first=True)  # a refresh does not offer more again
    assert model.more is False
