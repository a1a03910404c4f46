"""Probes on frozen features: models, checkpoints, training, k-fold evaluation, cross-dataset, metrics, runs."""
