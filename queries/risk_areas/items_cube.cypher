// Risk areas: declaration items counted per (HS chapter, route, month), one pass over the items
// (graph.pipeline.risk_areas rolls the cube up per dimension; a pass per dimension cost five times
// as much): items, inspected items and hits (inspection results as the store holds them now), the
// duties at stake Tamga estimates on undervalued items, the lanes Tamga proposed and those
// assigned at the time (channel). Items without a route have a null route.
MATCH (d:Declaration)
OPTIONAL MATCH (d)-[:ON_ROUTE]->(r:Route)
WITH d, substring(d.hs_code, 0, 2) AS hs_chapter, r.key AS route, substring(toString(d.date), 0, 7) AS month
RETURN hs_chapter, route, month, count(d) AS items,
       sum(CASE WHEN d.inspection_result IN ['clear', 'violation'] THEN 1 ELSE 0 END) AS inspected,
       sum(CASE WHEN d.inspection_result = 'violation' THEN 1 ELSE 0 END) AS hits,
       coalesce(sum(d.uv_duties_at_stake), 0) AS duties_undervalued,
       sum(CASE WHEN d.lane = 'red' THEN 1 ELSE 0 END) AS lane_red,
       sum(CASE WHEN d.lane = 'yellow' THEN 1 ELSE 0 END) AS lane_yellow,
       sum(CASE WHEN d.lane = 'blue' THEN 1 ELSE 0 END) AS lane_blue,
       sum(CASE WHEN d.channel = 'red' THEN 1 ELSE 0 END) AS channel_red,
       sum(CASE WHEN d.channel = 'yellow' THEN 1 ELSE 0 END) AS channel_yellow,
       sum(CASE WHEN d.channel = 'blue' THEN 1 ELSE 0 END) AS channel_blue
