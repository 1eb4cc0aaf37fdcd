"""Datasets: many inputs to partitioned Parquet."""
