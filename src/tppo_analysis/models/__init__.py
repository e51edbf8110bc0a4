"""Statistical models for the public record: interval-censored counts and monthly series."""

from __future__ import annotations

from .interval import IntervalCountModel, IntervalCountResults

__all__ = ["IntervalCountModel", "IntervalCountResults"]
