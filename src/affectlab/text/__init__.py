"""Affect profiling of text corpora: sentiment, subjectivity, concreteness, corpus comparison."""
