// Risk areas: declaration items per area of one $dimension (hs_chapter, origin, border_post, route,
// month): items, inspected items and hits (inspection results as the store holds them now), the
// duties at stake Tamga estimates on undervalued items, and the lanes Tamga proposed and those
// assigned at the time (channel). Items without a route count under a null origin/post/route.
MATCH (d:Declaration)
OPTIONAL MATCH (d)-[:ON_ROUTE]->(r:Route)
WITH d, CASE $dimension
          WHEN 'hs_chapter' THEN substring(d.hs_code, 0, 2)
          WHEN 'origin' THEN r.origin_country
          WHEN 'border_post' THEN r.border_post
          WHEN 'route' THEN r.key
          ELSE substring(toString(d.date), 0, 7)
        END AS area
RETURN area, count(d) AS items,
       sum(CASE WHEN d.inspection_result IN ['clear', 'violation'] THEN 1 ELSE 0 END) AS inspected,
       sum(CASE WHEN d.inspection_result = 'violation' THEN 1 ELSE 0 END) AS hits,
       coalesce(sum(d.uv_duties_at_stake), 0) AS duties_at_stake,
       sum(CASE WHEN d.lane = 'red' THEN 1 ELSE 0 END) AS lane_red,
       sum(CASE WHEN d.lane = 'yellow' THEN 1 ELSE 0 END) AS lane_yellow,
       sum(CASE WHEN d.lane = 'blue' THEN 1 ELSE 0 END) AS lane_blue,
       sum(CASE WHEN d.channel = 'red' THEN 1 ELSE 0 END) AS channel_red,
       sum(CASE WHEN d.channel = 'yellow' THEN 1 ELSE 0 END) AS channel_yellow,
       sum(CASE WHEN d.channel = 'blue' THEN 1 ELSE 0 END) AS channel_blue
