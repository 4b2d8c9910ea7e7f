"""Speed benchmarks of the mapper: ``python -m benchmarks`` (or ``make bench``)."""
