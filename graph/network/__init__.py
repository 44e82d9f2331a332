"""Network analytics on resolved entities: resolution, projection, groups, phoenix, communities, risk."""
