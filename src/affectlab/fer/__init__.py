"""Facial expression recognition from video with frozen self-supervised video encoders."""
