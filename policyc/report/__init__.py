"""The HTML report of `policyc simulate`: time series from the records, charts, one page."""
