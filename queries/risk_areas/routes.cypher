// Risk areas: every route's origin country and border post, to roll the item cube up by them.
MATCH (r:Route)
RETURN r.key AS route, r.origin_country AS origin, r.border_post AS border_post
