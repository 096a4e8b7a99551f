"""A queue of tickets analysed in parallel (process pool or Dask), with an index and a cache."""
