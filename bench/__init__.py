"""The benchmark: synthetic submissions at a city's volume, the pipeline's figures and two baselines."""
