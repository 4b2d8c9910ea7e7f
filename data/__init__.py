"""Data shipped with the mapper: sample articles, curated gazetteer additions and lexicons."""
