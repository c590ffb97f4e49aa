"""Workload models: what-if runs of the engine with generated agent behaviour (issue 15).

A model (policies/workloads/*.yaml; policyc/workload/schema.py) says who writes
and when (arrivals), how whoever holds a chat acts on it (handling), who works
when (staff) and a seed. `load_model` reads it, `bind` ties it to one policy,
`drive` runs it through the engine (policyc/workload/driver.py), and
`metrics.summary` gives waits, service level and load; `sweep` repeats a run
per agent count.
"""
