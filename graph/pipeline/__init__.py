"""The scoring run behind `tamga score` (frames in, results written back) and the read model of the
stored results that the exports and the API share."""
