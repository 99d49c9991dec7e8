"""Reading and validating layers: boundary, grids, stations, rest points, candidates."""
