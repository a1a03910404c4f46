"""Plots and HTML reports shared by both halves of affectlab."""
