"""The dataset core: indexing, format detection, validation, token counts and estimates.

Nothing in this package imports Textual or touches the network.
"""
