"""The feature cache: the store of encoder tokens (store.py) and the extraction that fills it (extract.py)."""
