"""Selectivity after the model's lanes, in one scoring run: trader categories, risk profiles, random picks.

Apart from `run` because the order matters and has a reason: the profiles may read the trader
categories (`trader.category`), the categories count profile hits, and the random picks are drawn over
the final lanes (so a lane's share is of what that lane finally holds). `after_model` keeps that order
in one place; `run._declaration_analytics` calls it once the model has scored the items.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graph.settings import Settings

if TYPE_CHECKING:
    from graph.pipeline.run import Results


def categorise(r: Results, fired: list[list[str]] | None, settings: Settings) -> None:
    """The run's trader categories (the months each entity's changed: what the store keeps) and each
    entity's current one."""
    from graph.declarations import categories

    cats = categories.trader_categories(r.frames, r.resolution.entity_of, r.party_risk(), fired,
                                        high=settings.category_high, medium=settings.category_medium,
                                        changes_only=True)
    r.declarations["trader_categories"] = cats
    months = categories.month_ends(r.frames.declarations["date"]) if len(r.frames.declarations) else []
    if months:  # the last month categorised: the next run adds only the months after it
        r.declarations["categories_through"] = str(months[-1])
    r.declarations["current_categories"] = categories.current(cats)


def after_model(r: Results, profiles: list[Any] | None, model, settings: Settings, step) -> Any:
    """After the model's lanes: the trader categories (fed by the profile hits), the live profiles (the
    strictest lane wins; a profile may read the categories), then the random picks over the final lanes.
    Profiles that read `trader.category` need the categories first, and those need profile hits: the
    hits of the other profiles feed the categories, then every profile is evaluated with them. Without
    a model (`model` None) there are no lanes: the categories and the profiles' hits still stand, and
    no random pick is drawn. Returns the profiles' `Applied` (None without profiles)."""
    from graph.declarations.selection import apply_random
    from graph.pipeline.profile_context import apply_to_results, profile_context

    a = r.declarations.get("assessment")
    # the model's valuation reference, as POST /assess uses it, so the two agree
    norms = {6: model.norms} if model is not None else None
    fired = None
    if profiles:
        from graph.declarations.profile_criteria import conditions, parse
        from graph.declarations.profiles import apply_profiles

        def reads_category(p: Any) -> bool:
            return any(c.field.endswith(".category") for c in conditions(p.tree or parse(p.criteria)))

        plain = [p for p in profiles if not reads_category(p)]
        if len(plain) < len(profiles):
            fired = apply_profiles(r.frames.declarations, profile_context(r, norms), plain, on=None).fired
    with step("categories_profiles"):
        if profiles and fired is None:
            applied = apply_to_results(r, profiles, norms=norms)
            fired = applied.fired
            categorise(r, fired, settings)
        else:
            categorise(r, fired, settings)
            if profiles:
                applied = apply_to_results(r, profiles, norms=norms,
                                           categories=r.declarations["current_categories"])
    if profiles:
        selected = sum(map(bool, applied.fired))
        r.notes.append(f"risk profiles: {len(profiles)} live, {selected} items selected")
    if a is not None:
        apply_random(a, settings.random_share, settings.random_seed, settings.random_lane)
        r.notes.append(f"random selection: {int(a['random'].sum())} items drawn "
                       f"(shares {settings.random_share})")
    return applied if profiles else None
