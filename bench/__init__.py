"""Benchmark of policyc's router against hand-written and rules-engine anchors (issue 3)."""
