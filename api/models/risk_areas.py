"""Risk areas at a glance (`GET /api/v1/risk-areas`): the shapes of `graph.pipeline.risk_areas.overview`."""

from __future__ import annotations

from pydantic import Field

from api.models.common import Public


class AreaRow(Public):
    area: str | None = Field(description="the area: HS chapter, origin country, border post, route key or "
                                         "month (YYYY-MM); null for items without one")
    items: int = Field(description="declaration items")
    offences: int = Field(description="enforcement records concerning the area's items")
    inspected: int = Field(description="items with an inspection result (clear or violation)")
    hits: int = Field(description="items inspected with a violation")
    hit_rate: float | None = Field(description="hits / inspected; null when nothing was inspected")
    duties_evaded: float = Field(description="duties the area's offences evaded")
    duties_undervalued: float = Field(description="duties Tamga estimates lost on undervalued items")
    duties_at_stake: float = Field(description="duties evaded plus duties undervalued")
    lanes: dict[str, int] = Field(description="items per lane Tamga proposed (green: no stored lane)")
    channels: dict[str, int] = Field(description="items per lane assigned at the time (channel)")


class LaneMonth(Public):
    month: str
    items: int
    shares: dict[str, float] = Field(description="share of the month's items per proposed lane")
    channel_shares: dict[str, float] = Field(description="share per lane assigned at the time")
    expected: dict[str, float] = Field(description="expected share per lane")


class ProfileHits(Public):
    profile_id: str
    name: str
    action: str | None = None
    version: int | None = None
    retired: bool | None = None
    hits: int = Field(description="items whose stored reasons name the profile (yellow, red and blue items)")
    share: float | None = Field(default=None, description="hits / all items")
    expected_rate: float | None = None
    expected_hits: float | None = Field(default=None, description="expected_rate x all items")


class RiskAreas(Public):
    scored_at: str = Field(description="when the scoring run whose lanes and reasons are read finished")
    items: int
    dimensions: dict[str, list[AreaRow]] = Field(
        description="hs_chapter, origin, border_post, route, month -> their areas (months in time order, "
                    "the others by duties at stake)")
    lane_shares: list[LaneMonth]
    expected_lane_shares: dict[str, float] = Field(
        description="red and yellow: the model's cuts; blue: the live blue profiles' expected rates")
    profiles: list[ProfileHits] = Field(description="most hits first")
    unplaced_offences: dict[str, float] = Field(description="offences concerning no stored item")
    plot_titles: dict[str, str] = Field(description="plot name -> title, in page order")
    plots: dict[str, str] = Field(default={}, description="plot name -> SVG text (with plots=true); also "
                                                          "GET /api/v1/risk-areas/plots/{name}.svg")
